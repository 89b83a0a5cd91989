"""Files an organizer uploads with a response in the web workspace, on their way to the citizen.

The chat's attachments are Telegram file ids already; an upload is bytes Telegram has not
seen. It must not reach the citizen before the action commits, nor be lost if the process
dies after the commit: so `keep` writes the bytes to `web_uploads` in the action's own
transaction and returns `FileRequest`s for the citizen's notice; the outbox sender builds each
file from that row (`bot/reports/builders.py`, kind UPLOAD) after the commit, and once
Telegram has answered, `sent` records the file id as the complaint's attachment (listed like
one the officer sent in the chat) and drops the bytes, in the row's own commit.

What may be uploaded is decided here, by content and not by the name or the browser's word:
JPEG and PNG go as photos; PDF and office documents (Word, Excel, PowerPoint, OpenDocument) as
documents; each at most MAX_UPLOAD_BYTES (Telegram's limit for a photo).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.errors import Refused
from bot.services.notices import FileRequest
from bot.storage import websec
from bot.storage.complaints import Attachment

UPLOAD = "complaint_upload"  # the builder kind of an uploaded file
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# Bytes the outbox never sent (the citizen blocked the bot, or erased their identity) go
# with the daily housekeeping after this.
KEEP_UNSENT = dt.timedelta(days=7)
NAME_MAX = 100
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_OFFICE_ZIP = (".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp")
_OFFICE_OLE2 = (".doc", ".xls", ".ppt")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\"\\/<>:|?*]+")


@dataclass(frozen=True)
class Upload:
    """A file as the door received it: the name the browser gave and the first bytes of it
    (the door reads at most MAX_UPLOAD_BYTES + 1, so that too big is still seen)."""

    name: str
    data: bytes


@dataclass(frozen=True)
class Checked:
    kind: str  # photo | document
    name: str
    data: bytes


def check(uploads: Sequence[Upload]) -> list[Checked]:
    """Every upload as it will be sent, or a refusal naming the first file that may not be."""
    return [_check_one(upload, number) for number, upload in enumerate(uploads, start=1)]


def _check_one(upload: Upload, number: int) -> Checked:
    name = _clean_name(upload.name) or f"berkas-{number}"
    if not upload.data:
        raise Refused("websec.upload_empty", name=name)
    if len(upload.data) > MAX_UPLOAD_BYTES:
        raise Refused(
            "websec.upload_too_big", name=name, megabytes=MAX_UPLOAD_BYTES // (1024 * 1024)
        )
    found = _kind_of(upload.data, name)
    if found is None:
        raise Refused("websec.upload_type", name=name)
    kind, suffix = found
    if not name.lower().endswith(suffix):
        name = f"{PurePosixPath(name).stem or f'berkas-{number}'}{suffix}"
    return Checked(kind, name[-NAME_MAX:], upload.data)


def _clean_name(name: str) -> str:
    """The file's own name without any folder a browser sent along or characters that do not
    belong in a name."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name
    return _UNSAFE.sub("_", base).strip(" ._")[-NAME_MAX:]


def _kind_of(data: bytes, name: str) -> tuple[str, str] | None:
    """(photo | document, the suffix its name must have) by what the bytes are; None: not a
    type the workspace sends."""
    suffix = PurePosixPath(name.lower()).suffix
    if data.startswith(b"\xff\xd8\xff"):
        return "photo", ".jpg" if suffix not in (".jpg", ".jpeg") else suffix
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "photo", ".png"
    if data.startswith(b"%PDF-"):
        return "document", ".pdf"
    if data.startswith(_OLE2) and suffix in _OFFICE_OLE2:
        return "document", suffix
    if data.startswith(_ZIP) and suffix in _OFFICE_ZIP and _is_office_zip(data):
        return "document", suffix
    return None


def _is_office_zip(data: bytes) -> bool:
    """An Office Open XML or OpenDocument package, not any zip renamed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = set(package.namelist())
    except (zipfile.BadZipFile, ValueError):
        return False
    return "[Content_Types].xml" in names or "mimetype" in names


async def keep(
    session: AsyncSession,
    *,
    complaint_id: int,
    event_id: int | None,
    uploads: Sequence[Checked],
) -> tuple[FileRequest, ...]:
    """Writes the bytes in the caller's transaction; the requests go on the citizen's notice."""
    requests: list[FileRequest] = []
    for upload in uploads:
        upload_id = await websec.add_upload(
            session,
            complaint_id=complaint_id,
            event_id=event_id,
            kind=upload.kind,
            file_name=upload.name,
            data=upload.data,
        )
        requests.append(
            FileRequest(UPLOAD, {"upload_id": upload_id}, photo=upload.kind == "photo")
        )
    return tuple(requests)


async def sent(session: AsyncSession, *, upload_id: int, file_id: str | None) -> None:
    """Telegram has the file: it becomes the complaint's attachment and the bytes go, in the
    commit that marks the outbox row sent (a crash before it sends the file again, once)."""
    upload = await websec.get_upload(session, upload_id)
    if upload is None or not file_id:
        return
    session.add(
        Attachment(
            complaint_id=upload.complaint_id,
            kind=upload.kind,
            file_id=file_id,
            from_reporter=False,
            event_id=upload.event_id,
        )
    )
    await websec.drop_upload(session, upload_id)
