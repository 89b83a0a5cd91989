"""Organizers at work: the complaints inbox, one complaint and its actions, the export file.

Every button names a complaint by id; access is checked on every press against the presser's
units, so a forged or forwarded button shows nothing of a complaint they do not handle.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.buttons import (
    BlockReporter,
    ComplaintAction,
    ComplaintFiles,
    ComplaintFilter,
    Inbox,
    OpenComplaint,
)
from bot.context import SuaraContext
from bot.handlers.buttons import on_button
from bot.handlers.complaint_actions import ACTION, ActionDraft
from bot.handlers.requires import command, requires
from bot.keyboards import Button, columns, keyboard, pager
from bot.notify import FILE_CALLS
from bot.services import complaints as service
from bot.services import reports
from bot.services.access import Need
from bot.services.complaints import ACTIONS
from bot.services.errors import Refused
from bot.services.notices import Key
from bot.storage import complaints as store
from bot.storage.complaints import (
    BARU,
    DITINDAKLANJUTI,
    DITOLAK,
    DIVERIFIKASI,
    MENUNGGU,
    OPEN_STATES,
    SELESAI,
    Complaint,
)
from bot.storage.places import get_place

PAGE_SIZE = 5
FILTERS: dict[ComplaintFilter, tuple[str, ...]] = {
    "open": OPEN_STATES,
    "baru": (BARU,),
    "diverifikasi": (DIVERIFIKASI,),
    "ditindaklanjuti": (DITINDAKLANJUTI,),
    "menunggu": (MENUNGGU,),
    "closed": (SELESAI, DITOLAK),
}


@requires(Need.ORGANIZER)
async def inbox_command(update: Update, context: SuaraContext) -> None:
    """/aduan: open complaints of the organizer's units, overdue first."""
    await _inbox(update, context, "open", 0, edit=False)


@requires(Need.ORGANIZER)
async def inbox_button(update: Update, context: SuaraContext, pressed: Inbox) -> None:
    await _inbox(update, context, pressed.filter, pressed.page, edit=True)


async def _inbox(
    update: Update, context: SuaraContext, name: ComplaintFilter, page: int, *, edit: bool
) -> None:
    t = context.t
    scope = (await context.access()).unit_scope()
    context.answer(update)
    today = context.core.moment().today
    items, total = await store.list_for_units(
        context.db,
        unit_ids=scope,
        states=FILTERS[name],
        offset=page * PAGE_SIZE,
        limit=PAGE_SIZE,
        today=today,
    )
    pages = max(1, -(-total // PAGE_SIZE))
    lines = [
        t(
            "organizer.inbox_title",
            filter=t(f"organizer.filter_{name}"),
            total=total,
            page=page + 1,
            pages=pages,
        )
    ]
    rows: list[list[Button]] = []
    codes: dict[int, str] = {}
    for complaint in items:
        overdue = service.is_overdue(complaint, today)
        due = service.due_date(complaint)
        lines.append(
            t(
                "organizer.inbox_item",
                flag="⚠️ " if overdue else "",
                ticket=complaint.ticket,
                state=t(f"state.{complaint.state}"),
                unit=await _unit_code(context, complaint.unit_id, codes),
                category=t.category(complaint.category),
                due=t.date(due) if due else "-",
            )
        )
        label = f"{'⚠️ ' if overdue else ''}{complaint.ticket}"
        rows.append([(label, OpenComplaint(complaint.id or 0))])
    if not items:
        lines.append(t("organizer.inbox_empty"))
    labels = (t("common.previous"), t("common.next"))
    rows.append(pager(page, pages, labels, lambda n: Inbox(name, n)))
    filters_row: list[Button] = [
        (t(f"organizer.filter_{key}"), Inbox(key)) for key in FILTERS if key != name
    ]
    rows.extend(columns(filters_row, 3))
    text = "\n".join(lines)
    if edit:
        context.edit(update, text, keyboard(rows))
    else:
        context.reply(update, text, keyboard(rows))


async def _unit_code(context: SuaraContext, unit_id: int, codes: dict[int, str]) -> str:
    if unit_id not in codes:
        place = await get_place(context.db, unit_id)
        codes[unit_id] = place.code if place else "?"
    return codes[unit_id]


async def _handled_complaint(
    update: Update, context: SuaraContext, complaint_id: int
) -> Complaint | None:
    """The complaint, if this user may handle it; the same refusal for 'missing' and 'not
    yours', so ids cannot be probed."""
    try:
        return await service.handled_complaint(context.db, await context.access(), complaint_id)
    except Refused as exc:
        context.deny(update, exc.key)
        return None


@requires(Need.ORGANIZER)
async def open_button(update: Update, context: SuaraContext, pressed: OpenComplaint) -> None:
    """Shows one complaint with the actions its state allows."""
    complaint = await _handled_complaint(update, context, pressed.complaint)
    if complaint is None:
        return
    context.answer(update)
    await _show(update, context, complaint)


async def _show(update: Update, context: SuaraContext, complaint: Complaint) -> None:
    t = context.t
    assert complaint.id is not None
    today = context.core.moment().today
    due = service.due_date(complaint)
    location = "-"
    if complaint.latitude is not None:
        location = t("complaint.location_pin", lat=complaint.latitude, lon=complaint.longitude)
    elif complaint.address:
        location = complaint.address
    reporter = await service.reporter_label(context.db, complaint)
    files = await store.attachments_of(context.db, complaint.id)
    text = t(
        "organizer.detail",
        ticket=complaint.ticket,
        state=t(f"state.{complaint.state}"),
        overdue=t("organizer.overdue") if service.is_overdue(complaint, today) else "",
        category=t.category(complaint.category),
        place=await service.unit_label(context.db, complaint.unit_id),
        reporter=t(reporter.key) if isinstance(reporter, Key) else reporter,
        created=t.datetime(complaint.created_at),
        due=t.date(due) if due else "-",
        location=location,
        date=t.date(complaint.incident_date) if complaint.incident_date else "-",
        files=len(files),
        description=complaint.description,
    )
    for event in (await store.events_of(context.db, complaint.id))[-5:]:
        if event.note and event.action != "filed":
            text += "\n" + t(
                "organizer.event_line",
                when=t.datetime(event.at),
                action=t(f"history.{event.action}", when="").strip(" :"),
                note=event.note[:300],
            )
    rows: list[list[Button]] = []
    actions = [a for a, states in ACTIONS.items() if complaint.state in states]
    rows.extend(
        columns(
            [(t(f"organizer.action_{a}"), ComplaintAction(complaint.id, a)) for a in actions],  # type: ignore[arg-type]
            2,
        )
    )
    extra: list[Button] = []
    if files:
        extra.append((t("organizer.show_files"), ComplaintFiles(complaint.id)))
    extra.append((t("organizer.block_reporter"), BlockReporter(complaint.id)))
    rows.append(extra)
    rows.append([(t("organizer.back_to_inbox"), Inbox())])
    context.reply(update, text, keyboard(rows))


@requires(Need.ORGANIZER)
async def action_button(update: Update, context: SuaraContext, pressed: ComplaintAction) -> None:
    """An action on a complaint: done at once (verify), or step by step (complaint_actions)."""
    t = context.t
    complaint = await _handled_complaint(update, context, pressed.complaint)
    if complaint is None or complaint.id is None:
        return
    action = pressed.action
    if complaint.state not in ACTIONS[action]:
        context.answer(update, t("organizer.not_in_this_state"), alert=True)
        return
    context.answer(update)
    if action != "verify":
        await ACTION.start(update, context, ActionDraft(action=action), ref=complaint.id)
        return
    try:
        complaint, notices = await service.act(
            context.db,
            context.core.moment(),
            caller=await context.access(),
            complaint_id=complaint.id,
            action=action,
        )
    except Refused as exc:
        context.reply(update, t(exc.key, **exc.values))
        return
    await context.notify(notices)
    context.reply(
        update,
        t("organizer.action_done", ticket=complaint.ticket, state=t(f"state.{complaint.state}")),
        keyboard([[(t("organizer.back_to_inbox"), Inbox())]]),
    )


@requires(Need.ORGANIZER)
async def files_button(update: Update, context: SuaraContext, pressed: ComplaintFiles) -> None:
    """Sends the complaint's photos and documents to the organizer."""
    complaint = await _handled_complaint(update, context, pressed.complaint)
    if complaint is None or complaint.id is None or update.effective_chat is None:
        return
    context.answer(update)
    chat_id = update.effective_chat.id
    for attachment in await store.attachments_of(context.db, complaint.id):
        method, field = FILE_CALLS.get(attachment.kind, FILE_CALLS["document"])
        context.call(
            method, chat_id=chat_id, caption=complaint.ticket, **{field: attachment.file_id}
        )


@requires(Need.ORGANIZER)
async def export_command(update: Update, context: SuaraContext) -> None:
    """/ekspor: the complaints of the organizer's units as an XLSX file, built and sent by the
    outbox after this update commits (bot/reports/builders.py)."""
    await context.notify(await reports.complaints_export(context.db, await context.access()))


def register(application: Application) -> None:
    application.add_handler(command(["aduan", "inbox"], inbox_command))
    application.add_handler(command(["ekspor", "export"], export_command))
    application.bot_data.menu_items["aduan"] = inbox_command
    application.add_handler(on_button(Inbox, inbox_button))
    application.add_handler(on_button(OpenComplaint, open_button))
    application.add_handler(on_button(ComplaintAction, action_button))
    application.add_handler(on_button(ComplaintFiles, files_button))
    ACTION.register(application)
