"""The questions of the complaint flow: one message (and its buttons) per step.

bot/handlers/complaint_flow.py moves the user between steps and takes the answers; this module
only renders what each step asks, from the draft stored in the flow state.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from telegram import InlineKeyboardMarkup, Update

from bot.context import SuaraContext
from bot.i18n import Safe
from bot.keyboards import Button, columns, keyboard, pager
from bot.services import complaints as service
from bot.services.complaints import Clock
from bot.storage.complaints import PRIVACY_ANONYMOUS, PRIVACY_CONFIDENTIAL
from bot.storage.places import children_of, place_path

FLOW = "complaint"
OFFER, CATEGORY, PLACE, DESCRIPTION, FILES, LOCATION, DATE, PRIVACY, SUMMARY, EDIT = (
    "offer",
    "cat",
    "place",
    "desc",
    "files",
    "loc",
    "date",
    "priv",
    "sum",
    "edit",
)
ORDER = (CATEGORY, PLACE, DESCRIPTION, FILES, LOCATION, DATE, PRIVACY, SUMMARY)
PAGE_SIZE = 8
ADDRESS_MAX = 500


async def ask(update: Update, context: SuaraContext, step: str, draft: dict[str, Any]) -> None:
    t = context.t
    if step == CATEGORY:
        categories = context.settings.complaint_categories
        buttons = [(name, f"c:cat:{i}") for i, name in enumerate(categories)]
        context.reply(update, t("complaint.ask_category"), keyboard(columns(buttons, 2)))
    elif step == PLACE:
        text, markup = await place_question(context, draft)
        context.reply(update, text, markup)
    elif step == DESCRIPTION:
        context.reply(
            update,
            t("complaint.ask_description", minimum=service.DESCRIPTION_MIN),
        )
    elif step == FILES:
        count = len(draft.get("files", []))
        context.reply(
            update,
            t("complaint.ask_files", maximum=service.MAX_ATTACHMENTS, count=count),
            keyboard([[(t("complaint.files_done"), "c:files:done")]]),
        )
    elif step == LOCATION:
        context.reply(
            update,
            t("complaint.ask_location"),
            keyboard([[(t("common.skip"), "c:loc:skip")]]),
        )
    elif step == DATE:
        context.reply(
            update,
            t("complaint.ask_date"),
            keyboard(
                [
                    [
                        (t("complaint.date_today"), "c:date:0"),
                        (t("complaint.date_yesterday"), "c:date:1"),
                    ],
                    [(t("common.skip"), "c:date:skip")],
                ]
            ),
        )
    elif step == PRIVACY:
        context.reply(
            update,
            t("complaint.ask_privacy"),
            keyboard(
                [
                    [(t("complaint.privacy_confidential"), f"c:priv:{PRIVACY_CONFIDENTIAL}")],
                    [(t("complaint.privacy_anonymous"), f"c:priv:{PRIVACY_ANONYMOUS}")],
                ]
            ),
        )
    elif step == SUMMARY:
        await summary(update, context, draft)
    elif step == EDIT:
        fields = ("cat", "place", "desc", "files", "loc", "date", "priv")
        buttons = [(t(f"complaint.field_{name}"), f"c:edit:{name}") for name in fields]
        context.reply(update, t("complaint.ask_edit"), keyboard(columns(buttons, 2)))


async def place_question(
    context: SuaraContext, draft: dict[str, Any]
) -> tuple[str, InlineKeyboardMarkup]:
    t = context.t
    parent = draft.get("parent")
    page = int(draft.get("page", 0))
    places = await children_of(context.db, parent)
    pages = max(1, -(-len(places) // PAGE_SIZE))
    page = min(page, pages - 1)
    shown = places[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    rows: list[list[Button]] = [[(p.name, f"c:place:{p.id}")] for p in shown]
    rows.append(pager(page, pages, (t("common.previous"), t("common.next")), "c:page:{}".format))
    if parent is not None:
        rows.append([(t("common.back"), "c:up:0")])
    where = ""
    if parent is not None:
        where = " › ".join(p.name for p in await place_path(context.db, parent))
    text = t("complaint.ask_place", where=where or "-", page=page + 1, pages=pages)
    return text, keyboard(rows)


async def summary(update: Update, context: SuaraContext, draft: dict[str, Any]) -> None:
    t = context.t
    tg_user = update.effective_user
    assert tg_user is not None
    unit_id = int(draft.get("unit_id", 0))
    clock = Clock.for_settings(context.settings)
    similar = await service.similar_recent(
        context.db, reporter_id=tg_user.id, description=draft.get("description", ""), clock=clock
    )
    location = "-"
    if draft.get("lat") is not None:
        location = t("complaint.location_pin", lat=draft["lat"], lon=draft["lon"])
    elif draft.get("address"):
        location = draft["address"]
    incident = draft.get("date")
    text = t(
        "complaint.summary",
        category=draft.get("category", "-"),
        place=await service.unit_label(context.db, unit_id) if unit_id else "-",
        description=draft.get("description", "-"),
        files=len(draft.get("files", [])),
        location=location,
        date=t.date(dt.date.fromisoformat(incident)) if incident else "-",
        privacy=Safe(t(f"complaint.privacy_name_{draft.get('privacy', PRIVACY_CONFIDENTIAL)}")),
    )
    if similar:
        text += "\n\n" + t("complaint.similar_warning", ticket=similar)
    context.reply(
        update,
        text,
        keyboard(
            [
                [(t("complaint.send"), "c:sum:send")],
                [(t("complaint.edit"), "c:sum:edit"), (t("common.cancel"), "c:sum:cancel")],
            ]
        ),
    )
