"""The typed context handlers receive, and the unit of work of one update.

The gate (bot/updates.py) opens an `UpdateScope` for each update: one database session, the
user, their translator, and the replies to send once the update's effects are committed.
Handlers reach it through `context.db`, `context.t`, `context.reply(...)`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.calls import ApiCall, message_calls
from bot.i18n import Translator
from bot.notify import deliver
from bot.render import split_html
from bot.storage import outbox
from bot.storage.job_leases import new_holder

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from bot.config import Settings
    from bot.core import Core
    from bot.i18n import Texts
    from bot.jobs.outbox import OutboxSender
    from bot.services.access import Access
    from bot.services.errors import Refused
    from bot.services.notices import Notice
    from bot.storage.db import Database
    from bot.storage.models import FlowState, User


@dataclass
class UpdateScope:
    session: AsyncSession
    update_id: int
    t: Translator
    user: User | None = None
    user_id: int | None = None  # the update's Telegram user, known or not
    # The user's updates applied in the flood window, read by the gate with the account.
    recent: int | None = None
    replies: list[ApiCall] = field(default_factory=list)
    failed: bool = False
    durable_added: bool = False
    answered: bool = False  # the pressed button's spinner was answered (only once is allowed)
    access: Access | None = None  # computed on first use, then kept for the update


_current: ContextVar[UpdateScope | None] = ContextVar("suara_update_scope", default=None)


def current_scope() -> UpdateScope:
    scope = _current.get()
    if scope is None:
        raise RuntimeError("no update is being processed in this task")
    return scope


class AppState:
    """What the chat application shares; PTB creates it as bot_data. The core (settings,
    database, texts, clock, calendar, analyzer) is the one every door shares; the rest is the
    chat door's own wiring."""

    core: Core
    outbox: OutboxSender
    # Deep-link payload prefix -> handler(update, context, payload), filled by feature modules.
    deep_links: dict[str, Callable[[Update, SuaraContext, str], Awaitable[None]]]
    # Deep-link prefix -> the role a new user coming by it has (a training's join link means
    # an ASN): onboarding then does not ask.
    deep_link_roles: dict[str, str]

    # Flow name -> handler(update, context, state) for messages while a user is in that flow.
    flow_inputs: dict[str, Callable[[Update, SuaraContext, FlowState], Awaitable[None]]]
    # Flow code (in button data) -> the flow (bot/handlers/flow.py).
    flows: dict[str, Any]
    # Commands (names without /) and flows (codes) that a banned user may still use: their
    # rights over their data (UU PDP) do not end with a ban (bot/handlers/guards.py).
    open_to_banned: set[str]
    open_flows_to_banned: set[str]
    # Main-menu entry -> what pressing it does, filled by feature modules.
    menu_items: dict[str, Callable[[Update, SuaraContext], Awaitable[None]]]

    # What a consented user's free text outside any flow becomes (the complaint offer).
    free_text: Callable[[Update, SuaraContext], Awaitable[None]] | None

    # This application as the holder of job leases (bot/storage/job_leases.py): one per
    # application, so two in one process (tests) are two workers too.
    holder: str

    def __init__(self) -> None:
        self.holder = new_holder()
        self.free_text = None
        self.deep_links = {}
        self.deep_link_roles = {}
        self.flow_inputs = {}
        self.flows = {}
        self.menu_items = {}
        self.open_to_banned = set()
        self.open_flows_to_banned = set()

    # The core's parts, by their old names: one clock, one database, whoever asks.
    @property
    def settings(self) -> Settings:
        return self.core.settings

    @property
    def texts(self) -> Texts:
        return self.core.texts

    @property
    def db(self) -> Database:
        return self.core.db

    @property
    def sentiment(self) -> Callable[[str], tuple[str, float]] | None:
        return self.core.sentiment

    @property
    def clock(self) -> Callable[[], dt.datetime]:
        return self.core.clock

    @clock.setter
    def clock(self, value: Callable[[], dt.datetime]) -> None:
        self.core.clock = value


class SuaraContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], AppState]):
    """CallbackContext with the update's session, translator and reply buffer."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)

    @property
    def scope(self) -> UpdateScope:
        return current_scope()

    @property
    def db(self) -> AsyncSession:
        return current_scope().session

    @property
    def t(self) -> Translator:
        return current_scope().t

    @property
    def core(self) -> Core:
        return self.bot_data.core

    @property
    def settings(self) -> Settings:
        return self.bot_data.settings

    @property
    def texts(self) -> Texts:
        return self.bot_data.texts

    @property
    def user(self) -> User | None:
        return current_scope().user

    async def access(self) -> Access:
        """Who the update's user is (admin, organizer of which units, citizen or ASN),
        computed once per update from the database."""
        from bot.services.access import Access, load

        scope = current_scope()
        if scope.access is None:
            if scope.user_id is None:
                scope.access = Access(user_id=0)
            else:
                scope.access = await load(scope.session, self.settings, scope.user_id, scope.user)
        return scope.access

    def deny(self, update: Update, key: str = "access.denied", **values: object) -> None:
        """The answer to anything this person may not do (or that is not theirs); `key` for a
        record whose existence must not be confirmed to a stranger ("not found")."""
        text = self.t(key, **values)
        if update.callback_query is not None:
            self.answer(update, text, alert=True)
        else:
            self.reply(update, text)

    def refuse(self, update: Update, refusal: Refused) -> None:
        """Renders a service's refusal in the caller's language: an alert on a button, a
        message otherwise."""
        self.deny(update, refusal.key, **refusal.values)

    def send(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        """Sends after this update's commit; lost if the process dies in between."""
        current_scope().replies.extend(message_calls(chat_id, text, markup))

    def call(self, method: str, **params: Any) -> None:
        current_scope().replies.append(ApiCall(method, params))

    def reply(self, update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        """Answers in the update's chat, after commit."""
        self.send(reply_chat_id(update), text, markup)

    def answer(self, update: Update, text: str | None = None, *, alert: bool = False) -> None:
        """Answers a button press (stops the spinner), after commit."""
        query = update.callback_query
        scope = current_scope()
        if query is None or scope.answered:
            return
        scope.answered = True
        params: dict[str, Any] = {"callback_query_id": query.id}
        if text:
            params.update(text=text, show_alert=alert)
        self.call("answerCallbackQuery", **params)

    def edit(self, update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        """Replaces the text (and buttons) of the message whose button was pressed."""
        query = update.callback_query
        message = query.message if query else None
        parts = split_html(text)
        if message is None or len(parts) > 1:
            # Too long for one message: the pressed one keeps its text, the new text follows.
            self.reply(update, text, markup)
            return
        params: dict[str, Any] = {
            "chat_id": message.chat.id,
            "message_id": message.message_id,
            "text": text,
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
        }
        if markup is not None:
            params["reply_markup"] = markup.to_dict()
        self.call("editMessageText", **params)

    async def send_durable(
        self,
        chat_id: int,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
        *,
        dedupe_key: str | None = None,
    ) -> None:
        """Sends through the outbox, committed with this update: delivered even after a crash."""
        for number, call in enumerate(message_calls(chat_id, text, markup)):
            await outbox.enqueue(
                current_scope().session,
                chat_id=chat_id,
                method=call.method,
                payload=call.params,
                dedupe_key=f"{dedupe_key}#{number}" if dedupe_key and number else dedupe_key,
            )
        current_scope().durable_added = True

    async def send_durable_file(
        self, chat_id: int, method: str, name: str, data: bytes, caption: str | None = None
    ) -> None:
        """A photo (sendPhoto) or document (sendDocument) through the outbox, committed with
        this update: the file is kept with the row until it is sent."""
        payload: dict[str, Any] = {"chat_id": chat_id}
        if caption:
            payload["caption"] = caption
        await outbox.enqueue(
            current_scope().session,
            chat_id=chat_id,
            method=method,
            payload=payload,
            file=(name, data),
        )
        current_scope().durable_added = True

    async def notify(self, notices: list[Notice]) -> None:
        """Tells other people (organizers, the citizen) through the outbox, with this update."""
        if await deliver(current_scope().session, self.texts, notices):
            current_scope().durable_added = True


def reply_chat_id(update: object) -> int:
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.effective_chat.id
    raise ValueError("update has no chat to reply to")
