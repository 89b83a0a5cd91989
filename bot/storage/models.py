"""The tables of the foundation: users, processed updates, flow state and the outbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, LargeBinary, String
from sqlmodel import Field, SQLModel

from bot.storage.types import UTCDateTime, utcnow

ROLE_CITIZEN = "citizen"
ROLE_ASN = "asn"


class User(SQLModel, table=True):
    """A Telegram user. Before consent only the id and language are kept."""

    __tablename__ = "users"

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    # The user's own choice (/bahasa); else the language their Telegram app reports.
    language: str | None = Field(default=None, max_length=8)
    telegram_language: str | None = Field(default=None, max_length=16)
    role: str | None = Field(default=None, max_length=16)
    consent_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    first_seen: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    reachable: bool = Field(default=True)
    banned: bool = Field(default=False)
    # Organizers and admins only: the name staff lists show (Telegram name when they joined).
    staff_name: str | None = Field(default=None, max_length=64)
    # The chat menu button last set for them (bot/services/menu.py); None: never set.
    menu_button: str | None = Field(default=None, max_length=16)


class KeptBan(SQLModel, table=True):
    """A ban that outlived the banned person's erasure (/hapusdata): kept by a keyed hash of
    their Telegram id (bot/services/privacy.py person_key), which names nobody by itself."""

    __tablename__ = "kept_bans"

    person_key: str = Field(sa_column=Column(String(64), primary_key=True))
    banned_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ProcessedUpdate(SQLModel, table=True):
    """An update whose effects are committed; a redelivered one is skipped."""

    __tablename__ = "processed_updates"

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    processed_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Who sent it: a user's updates of the last minute are their flood count, the same in
    # every worker.
    user_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))

    __table_args__ = (Index("ix_processed_updates_user", "user_id", "processed_at"),)


class FlowState(SQLModel, table=True):
    """Where a user is in one multi-step flow, with the answers so far (one row per flow)."""

    __tablename__ = "flow_states"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    flow: str = Field(sa_column=Column(String(32), primary_key=True))
    step: str = Field(max_length=32)
    # The flow that takes the user's messages (at most one per user); the others wait.
    active: bool = Field(default=True)
    draft: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


OUTBOX_PENDING = "pending"
OUTBOX_SENT = "sent"
OUTBOX_FAILED = "failed"
OUTBOX_NOT_SENT = "not sent"  # its condition no longer held when it was due (last_error: why)


class OutboxMessage(SQLModel, table=True):
    """A Bot API call that must reach its chat once: written with the change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "not_before"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    method: str = Field(max_length=32)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    dedupe_key: str | None = Field(
        default=None, sa_column=Column(String(128), unique=True, nullable=True)
    )
    status: str = Field(default=OUTBOX_PENDING, max_length=16)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=500)
    not_before: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    lease_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A photo or document sent with the call (sendPhoto / sendDocument), kept with the row so
    # that it survives a restart like the text does.
    file_name: str | None = Field(default=None, max_length=128)
    file_data: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    # What the message still depends on, checked again just before it is sent
    # (bot/services/conditions.py); None: nothing.
    condition: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
