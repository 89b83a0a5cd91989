"""Units as admins manage them: list, add, rename, deactivate and reactivate, and import a list.

Units live in the `places` table (places.json only seeds a new deployment). A unit is never
deleted: a deactivated one keeps its complaints and programs, but no picker offers it and the
complaint and program services refuse it. Every function takes the caller, refuses anyone who
is not an admin, writes the audit event and returns the notices for other people; the same
functions serve the chat (/unit) and the command line (`python -m bot units`, Access.command_line).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.access import Access
from bot.services.errors import NotFound, Refused
from bot.services.notices import Notice
from bot.storage.places import (
    LEVEL_UNIT,
    Place,
    UnitChoice,
    get_place,
    organizers_of_unit,
    place_by_code,
    regions,
    unit_choices,
    units_changed,
)

CODE_MAX, NAME_MIN, NAME_MAX = 32, 3, 120
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]*$")


class UnitError(Refused):
    """A unit rule said no; `key` and `values` make the text that says why."""


@dataclass(frozen=True)
class UnitRow:
    """One unit as a file or a command gives it: the region by its name or code."""

    code: str
    name: str
    region: str


@dataclass
class RowError:
    number: int
    key: str
    values: dict[str, object] = field(default_factory=dict)


@dataclass
class Imported:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


class ImportRefused(UnitError):
    """Some rows are wrong: nothing was stored; `errors` says which and why."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("units.import_refused", count=len(errors))
        self.errors = errors


def _admin(caller: Access) -> None:
    if not caller.admin:
        raise Refused("units.admins_only")


async def list_units(
    session: AsyncSession, caller: Access, *, query: str | None = None
) -> list[UnitChoice]:
    """Every unit, the deactivated ones too (marked), by label."""
    _admin(caller)
    return await unit_choices(session, active_only=False, query=query)


def check_code(code: str) -> str:
    code = code.strip().upper()
    if not code or len(code) > CODE_MAX or not _CODE.match(code):
        raise UnitError("units.bad_code", maximum=CODE_MAX)
    return code


def check_name(name: str) -> str:
    name = " ".join(name.split())
    if not NAME_MIN <= len(name) <= NAME_MAX:
        raise UnitError("units.bad_name", minimum=NAME_MIN, maximum=NAME_MAX)
    return name


async def _region(session: AsyncSession, wanted: str) -> Place:
    """The kabupaten/kota named by its name or code (any case)."""
    key = " ".join(wanted.split()).casefold()
    for region in await regions(session):
        if key and key in (region.name.casefold(), region.code.casefold()):
            return region
    raise UnitError("units.unknown_region", region=wanted.strip() or "-")


async def _unit(session: AsyncSession, unit_id: int) -> Place:
    unit = await get_place(session, unit_id)
    if unit is None or unit.level != LEVEL_UNIT or unit.id is None:
        raise NotFound("units.not_found")
    return unit


def _record(caller: Access, session: AsyncSession, action: str, unit: Place, detail: str) -> None:
    units_changed(session)
    caller.audit(
        session,
        action=action,
        subject_kind="unit",
        subject_id=unit.id,
        detail=detail,
    )


async def unit_by_code(session: AsyncSession, caller: Access, code: str) -> Place:
    _admin(caller)
    unit = await place_by_code(session, code.strip()) if len(code) <= CODE_MAX else None
    if unit is None or unit.level != LEVEL_UNIT:
        raise NotFound("units.unknown_code", code=code.strip() or "-")
    return unit


async def add_unit(session: AsyncSession, caller: Access, row: UnitRow) -> Place:
    """A new unit in a region; refused when the code is taken."""
    _admin(caller)
    code, name = check_code(row.code), check_name(row.name)
    region = await _region(session, row.region)
    if await place_by_code(session, code) is not None:
        raise UnitError("units.code_taken", code=code)
    unit = Place(code=code, name=name, level=LEVEL_UNIT, parent_id=region.id, active=True)
    session.add(unit)
    await session.flush()
    _record(caller, session, "unit_added", unit, f"{code} {name} ({region.code})")
    return unit


async def rename_unit(
    session: AsyncSession, caller: Access, *, unit_id: int, name: str
) -> list[Notice]:
    """A unit's new name; its organizers are told."""
    _admin(caller)
    unit = await _unit(session, unit_id)
    new = check_name(name)
    if new == unit.name:
        raise UnitError("units.same_name")
    old, unit.name = unit.name, new
    session.add(unit)
    _record(caller, session, "unit_renamed", unit, f"{unit.code}: {old} -> {new}")
    return [
        Notice(user, "units.you_unit_renamed", {"old": old, "new": new})
        for user in await organizers_of_unit(session, unit_id)
    ]


async def set_active(
    session: AsyncSession, caller: Access, *, unit_id: int, active: bool
) -> list[Notice]:
    """Deactivates (no new complaints or programs; history kept) or reactivates a unit; its
    organizers are told."""
    _admin(caller)
    unit = await _unit(session, unit_id)
    if unit.active == active:
        raise UnitError("units.already_active" if active else "units.already_inactive")
    unit.active = active
    session.add(unit)
    _record(caller, session, "unit_reactivated" if active else "unit_deactivated", unit, unit.code)
    key = "units.you_unit_reactivated" if active else "units.you_unit_deactivated"
    return [
        Notice(user, key, {"unit": unit.name})
        for user in await organizers_of_unit(session, unit_id)
    ]


async def import_units(
    session: AsyncSession, caller: Access, rows: Iterable[tuple[int, UnitRow]]
) -> Imported:
    """Adds the new codes and updates the name and region of known ones, after every row is
    checked: any wrong row (by its number) and nothing is stored."""
    _admin(caller)
    errors: list[RowError] = []
    planned: list[tuple[UnitRow, Place, Place | None]] = []  # row, region, existing unit
    seen: dict[str, int] = {}
    for number, row in rows:
        try:
            code, name = check_code(row.code), check_name(row.name)
            if code in seen:
                raise UnitError("units.code_twice", code=code, row=seen[code])
            seen[code] = number
            region = await _region(session, row.region)
            existing = await place_by_code(session, code)
            if existing is not None and existing.level != LEVEL_UNIT:
                raise UnitError("units.code_not_unit", code=code)
        except UnitError as exc:
            errors.append(RowError(number, exc.key, exc.values))
            continue
        planned.append((UnitRow(code, name, row.region), region, existing))
    if errors:
        raise ImportRefused(errors)
    done = Imported()
    for row, region, existing in planned:
        if existing is None:
            await add_unit(session, caller, UnitRow(row.code, row.name, region.code))
            done.added.append(row.code)
        elif existing.name == row.name and existing.parent_id == region.id:
            done.unchanged.append(row.code)
        else:
            before = f"{existing.name} ({existing.parent_id})"
            existing.name, existing.parent_id = row.name, region.id
            session.add(existing)
            _record(caller, session, "unit_updated", existing, f"{row.code}: {before} -> import")
            done.updated.append(row.code)
    await session.flush()
    return done


async def open_unit(session: AsyncSession, unit_id: int) -> Place:
    """The unit a new complaint or program is for: refused when it is gone or deactivated."""
    unit = await get_place(session, unit_id)
    if unit is None or unit.level != LEVEL_UNIT:
        raise UnitError("units.gone")
    if not unit.active:
        raise UnitError("units.inactive", unit=unit.name)
    return unit
