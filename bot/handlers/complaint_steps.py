"""The steps of filing a complaint: each asks its question and takes its answer, in one place.

bot/handlers/complaint_flow.py puts them in order and starts the flow; the engine
(bot/handlers/flow.py) stores every answer before the next question is asked.
"""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel
from telegram import Message

from bot.handlers.flow import END, NEXT, STAY, Invalid, Stale, Step, Turn
from bot.handlers.unit_picker import UnitPicker
from bot.i18n import Safe
from bot.keyboards import columns, keyboard
from bot.render import shorten
from bot.services import complaints as service
from bot.services.complaints import ComplaintError
from bot.services.privacy import person_key
from bot.services.text import clean_text
from bot.storage.complaints import PRIVACY_ANONYMOUS, PRIVACY_CONFIDENTIAL
from bot.storage.places import UnitChoice

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
EDITABLE = (CATEGORY, PLACE, DESCRIPTION, FILES, LOCATION, DATE, PRIVACY)
PAGE_SIZE = 8
ADDRESS_MIN, ADDRESS_MAX = 5, 500
SUMMARY_DESCRIPTION_MAX = 1500  # the summary must stay within Telegram's 4,096 characters
_DATE = re.compile(r"^\s*(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\s*$")


class ComplaintDraft(BaseModel):
    """What the citizen has answered so far."""

    category: str | None = None
    unit_page: int = 0
    unit_query: str | None = None
    unit_id: int | None = None
    description: str | None = None
    files: list[tuple[str, str]] = []
    lat: float | None = None
    lon: float | None = None
    address: str | None = None
    date: dt.date | None = None
    privacy: str = PRIVACY_CONFIDENTIAL
    editing: bool = False


ComplaintTurn = Turn[ComplaintDraft]


def _limits() -> dict[str, object]:
    return {"minimum": service.DESCRIPTION_MIN, "maximum": service.DESCRIPTION_MAX}


class Offer(Step[ComplaintDraft]):
    """A message written outside any flow, offered as a complaint's description."""

    name = OFFER

    async def ask(self, turn: ComplaintTurn) -> None:
        t = turn.t
        turn.reply(
            t("complaint.offer"),
            keyboard(
                [[turn.button(t("complaint.offer_yes"), "yes"), turn.button(t("common.no"), "no")]]
            ),
        )

    async def on_button(self, turn: ComplaintTurn, value: str) -> str:
        if value == "no":
            turn.edit(turn.t("complaint.offer_declined"))
            return END
        if value != "yes":
            raise Stale
        await check_daily_limit(turn)
        turn.edit(turn.t("complaint.offer_accepted"))
        return CATEGORY


def reporter_key(turn: ComplaintTurn) -> str:
    """What the limits on this reporter are kept by after an erasure."""
    return person_key(turn.context.settings, turn.user_id)


async def check_daily_limit(turn: ComplaintTurn) -> None:
    settings = turn.context.settings
    filed = await service.filed_today(
        turn.context.db,
        reporter_id=turn.user_id,
        clock=turn.context.core.moment(),
        reporter_key=reporter_key(turn),
    )
    if filed >= settings.complaints_per_day:
        raise Invalid("complaint.daily_limit", limit=settings.complaints_per_day)


class Category(Step[ComplaintDraft]):
    name = CATEGORY

    async def ask(self, turn: ComplaintTurn) -> None:
        categories = turn.context.settings.complaint_categories
        buttons = [turn.button(turn.t.category(name), str(i)) for i, name in enumerate(categories)]
        turn.reply(turn.numbered(turn.t("complaint.ask_category")), keyboard(columns(buttons, 2)))

    async def on_button(self, turn: ComplaintTurn, value: str) -> str:
        categories = turn.context.settings.complaint_categories
        if not value.isdigit() or int(value) >= len(categories):
            raise Stale
        turn.draft.category = categories[int(value)]
        turn.draft.unit_page, turn.draft.unit_query = 0, None
        turn.edit(
            turn.t("complaint.chosen_category", category=turn.t.category(turn.draft.category))
        )
        return NEXT


class Place(UnitPicker[ComplaintDraft]):
    """The unit, with its region: paged, or found by writing part of its name."""

    name = PLACE
    question = "units.ask_complaint"

    async def chosen(self, turn: ComplaintTurn, choice: UnitChoice) -> str:
        db = turn.context.db
        if await service.blocked_at_unit(
            db, reporter_id=turn.user_id, unit_id=choice.id, reporter_key=reporter_key(turn)
        ):
            raise Invalid("complaint.unit_blocked")
        turn.draft.unit_id = choice.id
        label = await service.unit_label(db, choice.id)
        turn.edit(turn.t("complaint.chosen_place", place=label))
        return NEXT


class Description(Step[ComplaintDraft]):
    name = DESCRIPTION

    async def ask(self, turn: ComplaintTurn) -> None:
        turn.reply(
            turn.numbered(turn.t("complaint.ask_description", minimum=service.DESCRIPTION_MIN))
        )

    def answered(self, draft: ComplaintDraft) -> bool:
        # Given already: offered from a message, or kept while another field is edited.
        if draft.description is None:
            return False
        try:
            service.check_description(draft.description)
        except ComplaintError:
            return False
        return True

    async def on_message(self, turn: ComplaintTurn, message: Message) -> str:
        draft = turn.draft
        if message.voice is not None:
            # Kept with the complaint; the unit still needs a few written words to act on.
            if len(draft.files) >= service.MAX_ATTACHMENTS:
                raise Invalid("complaint.files_full", maximum=service.MAX_ATTACHMENTS)
            draft.files.append(("voice", message.voice.file_id))
            turn.reply(
                turn.t("complaints.voice_kept_ask_summary", minimum=service.DESCRIPTION_MIN)
            )
            return STAY
        # A photo with a caption, as cheap phones send it: the caption is the description.
        text = message.text if message.text is not None else message.caption
        if text is None:
            raise Invalid("complaint.expected_desc")
        try:
            description = service.check_description(text)
        except ComplaintError as exc:
            length = len(clean_text(text))
            raise Invalid(exc.key, length=length, **_limits()) from None
        draft.description = description
        if message.photo and len(draft.files) < service.MAX_ATTACHMENTS:
            draft.files.append(("photo", message.photo[-1].file_id))
            turn.reply(turn.t("complaints.caption_taken", count=len(draft.files)))
        return NEXT


class Files(Step[ComplaintDraft]):
    name = FILES

    async def ask(self, turn: ComplaintTurn) -> None:
        t = turn.t
        turn.reply(
            turn.numbered(
                t(
                    "complaint.ask_files",
                    maximum=service.MAX_ATTACHMENTS,
                    count=len(turn.draft.files),
                )
            ),
            keyboard([[turn.button(t("complaint.files_done"), "done")]]),
        )

    async def on_button(self, turn: ComplaintTurn, value: str) -> str:
        if value != "done":
            raise Stale
        turn.edit(turn.t("complaint.files_saved", count=len(turn.draft.files)))
        return NEXT

    async def waits_for_text(self, turn: ComplaintTurn) -> bool:
        return False  # photos and documents

    async def on_message(self, turn: ComplaintTurn, message: Message) -> str:
        t, files = turn.t, turn.draft.files
        if message.photo:
            kind, file_id = "photo", message.photo[-1].file_id
        elif message.document:
            kind, file_id = "document", message.document.file_id
        else:
            raise Invalid("complaint.expected_files")
        if len(files) >= service.MAX_ATTACHMENTS:
            raise Invalid("complaint.files_full", maximum=service.MAX_ATTACHMENTS)
        files.append((kind, file_id))
        if len(files) >= service.MAX_ATTACHMENTS:
            turn.reply(t("complaint.files_saved", count=len(files)))
            return NEXT
        turn.reply(
            t("complaint.file_received", count=len(files), maximum=service.MAX_ATTACHMENTS),
            keyboard([[turn.button(t("complaint.files_done"), "done")]]),
        )
        return STAY


class Location(Step[ComplaintDraft]):
    name = LOCATION

    async def ask(self, turn: ComplaintTurn) -> None:
        t = turn.t
        turn.reply(
            turn.numbered(t("complaint.ask_location")),
            keyboard([[turn.button(t("common.skip"), "skip")]]),
        )

    async def on_button(self, turn: ComplaintTurn, value: str) -> str:
        if value != "skip":
            raise Stale
        turn.draft.lat = turn.draft.lon = turn.draft.address = None
        turn.edit(turn.t("complaint.location_skipped"))
        return NEXT

    async def on_message(self, turn: ComplaintTurn, message: Message) -> str:
        draft = turn.draft
        if message.location:
            draft.lat, draft.lon = message.location.latitude, message.location.longitude
            draft.address = None
            return NEXT
        if message.text is None:
            raise Invalid("complaint.expected_loc")
        address = clean_text(message.text)
        if not ADDRESS_MIN <= len(address) <= ADDRESS_MAX:
            raise Invalid("complaint.address_invalid", maximum=ADDRESS_MAX)
        draft.address, draft.lat, draft.lon = address, None, None
        return NEXT


class Date(Step[ComplaintDraft]):
    name = DATE

    async def ask(self, turn: ComplaintTurn) -> None:
        t = turn.t
        turn.reply(
            turn.numbered(t("complaint.ask_date")),
            keyboard(
                [
                    [
                        turn.button(t("complaint.date_today"), "0"),
                        turn.button(t("complaint.date_yesterday"), "1"),
                    ],
                    [turn.button(t("common.skip"), "skip")],
                ]
            ),
        )

    async def on_button(self, turn: ComplaintTurn, value: str) -> str:
        if value == "skip":
            turn.draft.date = None
        elif value in ("0", "1"):
            today = turn.context.core.moment().today
            turn.draft.date = today - dt.timedelta(days=int(value))
        else:
            raise Stale
        turn.edit(turn.t("complaint.date_saved"))
        return NEXT

    async def on_message(self, turn: ComplaintTurn, message: Message) -> str:
        if message.text is None:
            raise Invalid("complaint.expected_date")
        day = parse_date(message.text)
        today = turn.context.core.moment().today
        if day is None or day > today or day < today - dt.timedelta(days=3 * 365):
            raise Invalid("complaint.date_invalid")
        turn.draft.date = day
        return NEXT


def parse_date(text: str) -> dt.date | None:
    """DD-MM-YYYY (or with / or .), as Indonesians write dates."""
    match = _DATE.match(text)
    if match is None:
        return None
    day, month, year = (int(part) for part in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


class Privacy(Step[ComplaintDraft]):
    name = PRIVACY

    async def ask(self, turn: ComplaintTurn) -> None:
        t = turn.t
        turn.reply(
            turn.numbered(t("complaint.ask_privacy")),
            keyboard(
                [
                    [turn.button(t("complaint.privacy_confidential"), PRIVACY_CONFIDENTIAL)],
                    [turn.button(t("complaint.privacy_anonymous"), PRIVACY_ANONYMOUS)],
                ]
            ),
        )

    async def on_button(self, turn: ComplaintTurn, value: str) -> str:
        if value not in (PRIVACY_CONFIDENTIAL, PRIVACY_ANONYMOUS):
            raise Stale
        turn.draft.privacy = value
        turn.edit(turn.t(f"complaint.privacy_name_{value}"))
        return NEXT


class Edit(Step[ComplaintDraft]):
    """From the summary: which field to change; the flow comes back to the summary after it."""

    name = EDIT

    async def ask(self, turn: ComplaintTurn) -> None:
        t = turn.t
        buttons = [turn.button(t(f"complaint.field_{name}"), name) for name in EDITABLE]
        turn.reply(t("complaint.ask_edit"), keyboard(columns(buttons, 2)))

    async def on_button(self, turn: ComplaintTurn, value: str) -> str:
        if value not in EDITABLE:
            raise Stale
        draft = turn.draft
        draft.editing = True
        if value == DESCRIPTION:
            draft.description = None
        if value == PLACE:
            draft.unit_page, draft.unit_query = 0, None
        turn.edit(turn.t("complaint.editing", field=Safe(turn.t(f"complaint.field_{value}"))))
        return value


async def summary_text(turn: ComplaintTurn) -> str:
    t, db, draft = turn.t, turn.context.db, turn.draft
    clock = turn.context.core.moment()
    similar = await service.similar_recent(
        db, reporter_id=turn.user_id, description=draft.description or "", clock=clock
    )
    location = "-"
    if draft.lat is not None:
        location = t("complaint.location_pin", lat=draft.lat, lon=draft.lon)
    elif draft.address:
        location = draft.address
    text = t(
        "complaint.summary",
        category=t.category(draft.category) if draft.category else "-",
        place=await service.unit_label(db, draft.unit_id) if draft.unit_id else "-",
        description=shorten(draft.description or "-", SUMMARY_DESCRIPTION_MAX),
        files=len(draft.files),
        location=location,
        date=t.date(draft.date) if draft.date else "-",
        privacy=Safe(t(f"complaint.privacy_name_{draft.privacy}")),
    )
    if similar:
        text += "\n\n" + t("complaint.similar_warning", ticket=similar)
    return text
