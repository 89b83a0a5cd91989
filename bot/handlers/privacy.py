"""The user's rights over their data (UU PDP): /privasi shows the notice again, /datasaya sends
a file with everything held about them, /hapusdata erases their identity after a confirmation
and says exactly what was kept."""

from __future__ import annotations

from pydantic import BaseModel
from telegram import Update
from telegram.ext import Application

from bot.context import SuaraContext
from bot.handlers.flow import END, Flow, Stale, Step, Turn
from bot.handlers.guards import open_to_banned
from bot.handlers.requires import command, requires
from bot.keyboards import keyboard
from bot.services import privacy, reports
from bot.services.access import Need


@requires(Need.ANYONE)
async def notice_command(update: Update, context: SuaraContext) -> None:
    """/privasi: the privacy notice, as shown before consent, without the consent question
    (it has been answered; /hapusdata withdraws it)."""
    days = context.settings.retention_days
    notice = context.t("privacy.notice", days=days)
    context.reply(update, notice + "\n\n" + context.t("certificates.privacy_notice"))
    context.reply(update, context.t("privacy.rights", days=days))


@requires(Need.ANYONE)
async def my_data_command(update: Update, context: SuaraContext) -> None:
    """/datasaya: a JSON file of everything Suara holds about the user, built and sent by the
    outbox after this update commits."""
    if update.effective_user is None:
        return
    await context.notify(reports.personal_data(await context.access()))


class EraseDraft(BaseModel):
    pass


class ConfirmErase(Step[EraseDraft]):
    name = "confirm"

    async def ask(self, turn: Turn[EraseDraft]) -> None:
        t = turn.t
        turn.reply(
            t("privacy.erase_confirm"),
            keyboard(
                [
                    [turn.button(t("privacy.erase_yes"), "yes")],
                    [turn.button(t("common.cancel"), "no")],
                ]
            ),
        )

    async def on_button(self, turn: Turn[EraseDraft], value: str) -> str:
        if value == "no":
            turn.edit(turn.t("privacy.erase_cancelled"))  # not "deleted": nothing was
            return END
        if value != "yes":
            raise Stale
        context = turn.context
        erased = await privacy.erase(
            context.db, context.settings, turn.user_id, now=context.bot_data.clock()
        )
        turn.context.scope.user = None
        turn.context.scope.user_id = None  # this update is not recorded as theirs either
        turn.edit(turn.t("privacy.erased", **erased.as_values()))
        return END


ERASE = Flow(
    name="erase", code="x", draft=EraseDraft, steps=[ConfirmErase()], expected="start.use_buttons"
)


@requires(Need.ANYONE)
async def erase_command(update: Update, context: SuaraContext) -> None:
    """/hapusdata: erasing the user's identity, after a confirmation."""
    if update.effective_user is None:
        return
    await ERASE.start(update, context, EraseDraft())


def register(application: Application) -> None:
    ERASE.register(application)
    application.add_handler(command(["privasi", "privacy"], notice_command))
    application.add_handler(command(["datasaya", "mydata"], my_data_command))
    application.add_handler(command(["hapusdata", "erasedata"], erase_command))
    # UU PDP rights do not end with a ban.
    open_to_banned(
        application, commands=["datasaya", "mydata", "hapusdata", "erasedata"], flows=[ERASE.code]
    )
