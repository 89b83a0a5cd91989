"""Messages the domain wants sent to other people, in words still to be chosen per recipient.

A service returns `Notice`s; `bot.notify.deliver` renders each in its recipient's language and
writes it to the outbox in the caller's transaction: it is sent when the change is committed.
A notice may carry files (`FileRequest`): the outbox row holds the build request, and the file
is built by the outbox sender after the commit, in the recipient's language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.buttons import ButtonData
from bot.keyboards import WebAppLink
from bot.services.conditions import Condition


@dataclass(frozen=True)
class Key:
    """A value that is itself a text key, translated for the recipient (a state name, say)."""

    key: str


@dataclass(frozen=True)
class Category:
    """A complaint category, named in the recipient's language where a translation exists."""

    name: str


@dataclass(frozen=True)
class Lines:
    """A list inside a notice: each (text key, values) rendered for the recipient, one a line."""

    items: tuple[tuple[str, dict[str, object]], ...]


@dataclass(frozen=True)
class FileRequest:
    """A file a notice carries, as a build request: built by the outbox sender just before it
    is sent (bot/reports/builders.py), never inside the update that asked for it, in the
    recipient's language. `params` must be JSON (they travel in the outbox row's payload)."""

    kind: str
    params: dict[str, object] = field(default_factory=dict)
    photo: bool = False  # sendPhoto (a QR code) rather than sendDocument


@dataclass(frozen=True)
class Notice:
    user_id: int
    key: str
    values: dict[str, object] = field(default_factory=dict)
    # Rows of (label text key, what the button means); the renderer packs them.
    buttons: tuple[tuple[tuple[str, ButtonData | WebAppLink], ...], ...] = ()
    dedupe_key: str | None = None
    # Not sent before this moment (the recipient's morning, for scheduled messages).
    not_before: dt.datetime | None = None
    # What it still depends on when it is sent (checked again by the outbox sender).
    condition: Condition | None = None
    # Files built for this notice after the commit (a notice with an empty key sends the
    # files only), and files Telegram already has, sent again by id after the text:
    # (photo | document | voice, Telegram file id).
    files: tuple[FileRequest, ...] = ()
    attachments: tuple[tuple[str, str], ...] = ()
