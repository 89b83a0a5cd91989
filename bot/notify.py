"""Delivers domain notices: rendered in each recipient's language, written to the outbox."""

from __future__ import annotations

import datetime as dt

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.calls import message_calls
from bot.i18n import Safe, Texts, Translator
from bot.keyboards import keyboard
from bot.services.notices import Category, FileRequest, Key, Lines, Notice
from bot.storage import outbox
from bot.storage.users import get_users

BUILD = "build"  # the payload field of an outbox row whose file is still to be built
# An attachment's kind -> the Bot API method that sends it by file id, and its field.
FILE_CALLS = {
    "photo": ("sendPhoto", "photo"),
    "document": ("sendDocument", "document"),
    "voice": ("sendVoice", "voice"),
}


def build_request(request: FileRequest, language: str) -> dict[str, object]:
    return {"kind": request.kind, "params": dict(request.params), "language": language}


def render(t: Translator, notice: Notice) -> str:
    return t(notice.key, **{name: _value(t, v) for name, v in notice.values.items()})


def _value(t: Translator, value: object) -> object:
    if isinstance(value, Key):
        return t(value.key)
    if isinstance(value, Category):
        return t.category(value.name)
    if isinstance(value, Lines):
        # Each line is rendered (and its values escaped) by the translator already.
        return Safe(
            "\n".join(
                t(key, **{name: _value(t, v) for name, v in values.items()})
                for key, values in value.items
            )
        )
    if isinstance(value, dt.datetime):
        return t.datetime(value)
    if isinstance(value, dt.date):
        return t.date(value)
    if value is None:
        return "-"
    return value


async def deliver(session: AsyncSession, texts: Texts, notices: list[Notice]) -> int:
    """Writes the notices to the outbox; users who blocked the bot are skipped, and a notice
    whose dedupe key was written before is not written again. Users and keys are looked up
    for all notices at once (a questionnaire goes to thousands in one go)."""
    if not notices:
        return 0
    users = await get_users(session, {notice.user_id for notice in notices})
    seen = await outbox.existing_keys(
        session, {n.dedupe_key for n in notices if n.dedupe_key is not None}
    )
    written = 0
    for notice in notices:
        user = users.get(notice.user_id)
        if notice.user_id <= 0:
            continue  # an erased reporter: nobody to tell
        if (user is not None and not user.reachable) or notice.dedupe_key in seen:
            continue
        t = (
            texts.for_user(user.language, user.telegram_language)
            if user
            else texts.for_user(None, None)
        )
        markup = (
            keyboard(
                [[(t(label), data) for label, data in row] for row in notice.buttons],
                web_app_base=texts.web_app_base,
            )
            if notice.buttons
            else None
        )
        key = notice.dedupe_key
        calls = message_calls(notice.user_id, render(t, notice), markup) if notice.key else []
        for number, call in enumerate(calls):
            outbox.add(
                session,
                chat_id=notice.user_id,
                method=call.method,
                payload=call.params,
                dedupe_key=f"{key}#{number}" if key and number else key,
                not_before=notice.not_before,
                condition=notice.condition.to_json() if notice.condition else None,
            )
        for number, (kind, file_id) in enumerate(notice.attachments, start=1):
            method, field = FILE_CALLS.get(kind, FILE_CALLS["document"])
            outbox.add(
                session,
                chat_id=notice.user_id,
                method=method,
                payload={"chat_id": notice.user_id, field: file_id},
                dedupe_key=f"{key}#f{number}" if key else None,
                not_before=notice.not_before,
                condition=notice.condition.to_json() if notice.condition else None,
            )
        for number, request in enumerate(notice.files):
            # The build request only: the file is made by the outbox sender after the commit.
            outbox.add(
                session,
                chat_id=notice.user_id,
                method="sendPhoto" if request.photo else "sendDocument",
                payload={"chat_id": notice.user_id, BUILD: build_request(request, t.language)},
                dedupe_key=f"{key}#file{number}" if key else None,
                not_before=notice.not_before,
                condition=notice.condition.to_json() if notice.condition else None,
            )
        if notice.dedupe_key is not None:
            seen.add(notice.dedupe_key)
        written += 1
    return written
