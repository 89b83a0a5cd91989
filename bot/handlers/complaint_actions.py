"""An officer's action on a complaint, step by step: the receiving unit for a forward (chosen
from buttons, paged, narrowed by typing part of a name), the note, the photos and documents
sent with a reply or a question, and a confirmation before anything is sent.

The unit picker reads its units from `service.forward_targets` and renders them itself; a
shared paged unit picker can take its place by giving the same step the same source.
"""

from __future__ import annotations

from pydantic import BaseModel
from telegram import InlineKeyboardMarkup, Message

from bot.handlers.complaint_status import ADD_FLOW
from bot.handlers.flow import END, NEXT, STAY, Flow, Invalid, Stale, Step, Turn
from bot.i18n import Safe
from bot.keyboards import Button, keyboard, page_of, pager
from bot.render import shorten
from bot.services import complaints as service
from bot.services.access import Need
from bot.services.errors import Refused
from bot.storage import complaints as store
from bot.storage import flows
from bot.storage.complaints import Complaint

UNIT_PAGE_SIZE = 6


class ActionDraft(BaseModel):
    action: str
    target: int | None = None
    search: str | None = None
    page: int = 0
    note: str | None = None
    files: list[tuple[str, str]] = []
    files_done: bool = False


ActionTurn = Turn[ActionDraft]


async def _complaint(turn: ActionTurn) -> Complaint:
    context = turn.context
    try:
        return await service.handled_complaint(context.db, await context.access(), turn.ref)
    except Refused as exc:
        raise Invalid(exc.key, **exc.values) from None


class ForwardUnit(Step[ActionDraft]):
    """The receiving unit: buttons of the units of the same region and level, paged; a
    written message searches them by name."""

    name = "unit"

    def answered(self, draft: ActionDraft) -> bool:
        return draft.action != "forward" or draft.target is not None

    async def ask(self, turn: ActionTurn) -> None:
        turn.reply(*await self._question(turn))

    async def on_button(self, turn: ActionTurn, value: str) -> str:
        draft = turn.draft
        if value == "cancel":
            turn.edit(turn.t("cancel.done"))
            return END
        if value == "all":
            draft.search, draft.page = None, 0
        elif value.startswith("p") and value[1:].isdigit() and len(value) < 6:
            draft.page = int(value[1:])
        elif value.isdigit() and len(value) < 10:
            units = await self._units(turn, search=None)
            chosen = next((u for u in units if u.id == int(value)), None)
            if chosen is None:
                raise Stale
            draft.target = chosen.id
            label = await service.unit_label(turn.context.db, int(value))
            turn.edit(turn.t("complaints.forward_chosen", unit=label))
            return NEXT
        else:
            raise Stale
        turn.edit(*await self._question(turn))
        return STAY

    async def on_message(self, turn: ActionTurn, message: Message) -> str:
        if not message.text:
            raise Invalid("complaints.forward_use_buttons")
        turn.draft.search = message.text.strip()[: service.SEARCH_MAX]
        turn.draft.page = 0
        turn.reply(*await self._question(turn))
        return STAY

    async def _units(self, turn: ActionTurn, *, search: str | None) -> list[store.Place]:
        context = turn.context
        try:
            return await service.forward_targets(
                context.db, await context.access(), turn.ref, search=search
            )
        except Refused as exc:
            raise Invalid(exc.key, **exc.values) from None

    async def _question(self, turn: ActionTurn) -> tuple[str, InlineKeyboardMarkup]:
        t, draft = turn.t, turn.draft
        complaint = await _complaint(turn)
        units = await self._units(turn, search=draft.search)
        shown, page, pages = page_of(units, draft.page, UNIT_PAGE_SIZE)
        rows: list[list[Button]] = [[turn.button(u.name, str(u.id))] for u in shown]
        labels = (t("common.previous"), t("common.next"))
        rows.append(pager(page, pages, labels, lambda n: turn.button("", f"p{n}")[1]))
        if draft.search:
            rows.append([turn.button(t("complaints.forward_all_units"), "all")])
        rows.append([turn.button(t("common.cancel"), "cancel")])
        if draft.search and not units:
            text = t("complaints.forward_none_found", search=draft.search, ticket=complaint.ticket)
        elif draft.search:
            text = t(
                "complaints.forward_found",
                search=draft.search,
                ticket=complaint.ticket,
                page=page + 1,
                pages=pages,
            )
        else:
            text = t(
                "complaints.ask_forward_unit", ticket=complaint.ticket, page=page + 1, pages=pages
            )
        return text, keyboard(rows)


class Note(Step[ActionDraft]):
    """What the citizen (or the receiving unit) is told: a reply, a question, a reason."""

    name = "note"

    def answered(self, draft: ActionDraft) -> bool:
        return draft.note is not None

    async def ask(self, turn: ActionTurn) -> None:
        complaint = await _complaint(turn)
        action = turn.draft.action
        key = (
            "complaints.ask_forward_reason"
            if action == "forward"
            else f"organizer.ask_note_{action}"
        )
        turn.reply(turn.t(key, ticket=complaint.ticket))

    async def on_message(self, turn: ActionTurn, message: Message) -> str:
        if message.text is None:
            raise Invalid("organizer.note_wrong_type")
        try:
            turn.draft.note = service.check_note(message.text)
        except Refused as exc:
            raise Invalid(exc.key, maximum=service.NOTE_MAX) from None
        return NEXT


class Files(Step[ActionDraft]):
    """Photos and documents to send with a reply or a question (optional)."""

    name = "files"

    def answered(self, draft: ActionDraft) -> bool:
        return draft.action not in service.ACTIONS_WITH_FILES or draft.files_done

    async def ask(self, turn: ActionTurn) -> None:
        t = turn.t
        turn.reply(
            t("complaints.ask_action_files", maximum=service.MAX_ATTACHMENTS),
            keyboard([[turn.button(t("complaints.action_files_done"), "done")]]),
        )

    async def waits_for_text(self, turn: ActionTurn) -> bool:
        return False

    async def on_button(self, turn: ActionTurn, value: str) -> str:
        if value != "done":
            raise Stale
        turn.draft.files_done = True
        turn.edit(turn.t("complaints.action_files_saved", count=len(turn.draft.files)))
        return NEXT

    async def on_message(self, turn: ActionTurn, message: Message) -> str:
        t, files = turn.t, turn.draft.files
        if message.photo:
            files.append(("photo", message.photo[-1].file_id))
        elif message.document:
            files.append(("document", message.document.file_id))
        else:
            raise Invalid("complaints.action_files_expected")
        if len(files) >= service.MAX_ATTACHMENTS:
            turn.draft.files_done = True
            turn.reply(t("complaints.action_files_saved", count=len(files)))
            return NEXT
        turn.reply(
            t(
                "complaints.action_file_received",
                count=len(files),
                maximum=service.MAX_ATTACHMENTS,
            ),
            keyboard([[turn.button(t("complaints.action_files_done"), "done")]]),
        )
        return STAY


class Confirm(Step[ActionDraft]):
    """Everything at a glance before it is sent."""

    name = "confirm"

    async def ask(self, turn: ActionTurn) -> None:
        t, draft = turn.t, turn.draft
        complaint = await _complaint(turn)
        target = "-"
        if draft.target is not None:
            target = await service.unit_label(turn.context.db, draft.target)
        turn.reply(
            t(
                "complaints.confirm_action",
                ticket=complaint.ticket,
                action=Safe(t(f"organizer.action_{draft.action}")),
                unit=target,
                note=shorten(draft.note or "-", 1500),
                files=len(draft.files),
            ),
            keyboard(
                [
                    [turn.button(t("complaints.confirm_send"), "send")],
                    [turn.button(t("common.cancel"), "cancel")],
                ]
            ),
        )

    async def on_button(self, turn: ActionTurn, value: str) -> str:
        if value == "cancel":
            turn.edit(turn.t("cancel.done"))
            return END
        if value != "send":
            raise Stale
        context, draft, t = turn.context, turn.draft, turn.t
        try:
            complaint, notices = await service.act(
                context.db,
                context.core.moment(),
                caller=await context.access(),
                complaint_id=turn.ref,
                action=draft.action,
                note=draft.note,
                target_unit_id=draft.target,
                files=draft.files,
            )
        except Refused as exc:
            turn.edit(t(exc.key, **exc.values))
            return END
        await context.notify(notices)
        if draft.action == "ask":
            await expect_answer(turn, complaint)
        turn.edit(
            t(
                "organizer.action_done",
                ticket=complaint.ticket,
                state=t(f"state.{complaint.state}"),
            )
        )
        return END


async def expect_answer(turn: ActionTurn, complaint: Complaint) -> None:
    """The citizen's next message answers the question (unless they are busy filing)."""
    db = turn.context.db
    if await flows.get_flow(db, complaint.reporter_id) is None:
        await flows.set_flow(
            db,
            user_id=complaint.reporter_id,
            flow=ADD_FLOW,
            step="text",
            draft={"id": complaint.id},
        )


ACTION = Flow(
    name="complaint_action",
    code="ca",
    draft=ActionDraft,
    steps=[ForwardUnit(), Note(), Files(), Confirm()],
    requires=Need.ORGANIZER,
)
