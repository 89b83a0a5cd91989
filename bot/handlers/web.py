"""The web workspace from the chat: /masuk sends a single-use login link for a browser, and
the bot's menu button opens the workspace as a Mini App for organizers and admins."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.config import Settings
from bot.context import SuaraContext
from bot.handlers.requires import command, requires
from bot.i18n import Translator
from bot.services import web as web_service
from bot.services.access import Need
from bot.services.errors import Refused


def menu_button(settings: Settings, t: Translator) -> dict[str, object] | None:
    """The Mini App menu button of the workspace; None where it is not served over https
    (Telegram opens Mini Apps from https only)."""
    url = settings.web_url
    if not url or not url.startswith("https://"):
        return None
    return {"type": "web_app", "text": t("web.menu_button"), "web_app": {"url": f"{url}/"}}


def set_workspace_menu(context: SuaraContext, chat_id: int, t: Translator | None = None) -> None:
    """After this update commits: this chat's menu button opens the workspace."""
    button = menu_button(context.settings, t or context.t)
    if button is not None:
        context.call("setChatMenuButton", chat_id=chat_id, menu_button=button)


@requires(Need.ORGANIZER)
async def login_command(update: Update, context: SuaraContext) -> None:
    """/masuk: a login link for a browser, valid 10 minutes, used once."""
    t = context.t
    url = context.settings.web_url
    if not url:
        context.reply(update, t("web.not_configured"))
        return
    try:
        token = await web_service.login_link(
            context.db, caller=await context.access(), now=context.bot_data.clock()
        )
    except Refused as exc:
        context.refuse(update, exc)
        return
    minutes = int(web_service.LOGIN_VALID.total_seconds() // 60)
    context.reply(update, t("web.login_link", minutes=minutes, url=f"{url}/masuk/{token}"))
    if update.effective_chat is not None:
        set_workspace_menu(context, update.effective_chat.id)


def register(application: Application) -> None:
    application.add_handler(command(["masuk", "login"], login_command))
