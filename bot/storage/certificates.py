"""Class lists and certificates: who a program expected, and what it issued to them.

A class list entry is a person the organizer listed (name, NIP, work unit, phone); the
participant who joins with that NIP is matched to it (`user_id`). A certificate is issued to a
matched entry when its holder submits the evaluation; its number is unique, and it stays
verifiable (valid or revoked) with the name it was issued to, whatever happens to the entry.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.storage.types import UTCDateTime, utcnow

NAME_MAX, TITLE_MAX, PHONE_MAX, NUMBER_MAX = 200, 200, 20, 120


class ClassListEntry(SQLModel, table=True):
    __tablename__ = "class_list_entries"
    __table_args__ = (UniqueConstraint("program_id", "nip"),)

    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(
        sa_column=Column(Integer, ForeignKey("programs.id"), nullable=False, index=True)
    )
    name: str = Field(max_length=NAME_MAX)
    nip: str = Field(max_length=18)
    work_unit: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=PHONE_MAX)
    # The participant who joined with this NIP (None until someone did).
    user_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CertificateSettings(SQLModel, table=True):
    """A program that issues certificates: its lesson hours (JP) and who signs."""

    __tablename__ = "certificate_settings"

    program_id: int = Field(sa_column=Column(Integer, ForeignKey("programs.id"), primary_key=True))
    hours: int
    signatory_name: str = Field(max_length=NAME_MAX)
    signatory_title: str = Field(max_length=TITLE_MAX)
    signatory_nip: str | None = Field(default=None, max_length=18)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Certificate(SQLModel, table=True):
    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("program_id", "sequence"),)

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(sa_column=Column(String(NUMBER_MAX), unique=True, nullable=False))
    program_id: int = Field(
        sa_column=Column(Integer, ForeignKey("programs.id"), nullable=False, index=True)
    )
    entry_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("class_list_entries.id"), nullable=True)
    )
    # Whom to send it to (again); None once the holder erased their data.
    user_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True, index=True)
    )
    # As issued: the verification page and the PDF show these, not the entry's later state.
    name: str = Field(max_length=NAME_MAX)
    nip: str = Field(max_length=18)
    hours: int
    sequence: int
    year: int
    issued_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
