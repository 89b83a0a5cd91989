"""Places: province -> kabupaten/kota -> unit (dinas), and which organizers serve which unit."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, delete, event, func, true
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.types import UTCDateTime, utcnow

DEFAULT_PLACES = Path(__file__).parent / "places.json"
LEVEL_PROVINCE = "province"
LEVEL_REGION = "region"
LEVEL_UNIT = "unit"


class Place(SQLModel, table=True):
    """A node of the hierarchy; complaints are filed against units (the leaves)."""

    __tablename__ = "places"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=120)
    level: str = Field(max_length=16)
    parent_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("places.id"), nullable=True)
    )
    # WIB, WITA or WIT (Asia/Jakarta, Asia/Makassar, Asia/Jayapura), usually set on provinces;
    # messages to people of a place are sent in its daytime. None: the deployment's zone.
    timezone: str | None = Field(default=None, max_length=40)
    # A deactivated unit keeps its complaints and programs but takes no new ones.
    active: bool = Field(default=True, sa_column_kwargs={"server_default": true()})


class OrganizerUnit(SQLModel, table=True):
    """An organizer handles the complaints of this unit."""

    __tablename__ = "organizer_units"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    unit_id: int = Field(
        sa_column=Column(Integer, ForeignKey("places.id"), primary_key=True, autoincrement=False)
    )
    added_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    added_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def seed_places(session: AsyncSession, path: Path | None = None) -> int:
    """Loads the hierarchy from JSON when the table is empty (a new deployment: PLACES_FILE,
    else the shipped places.json); returns how many were added. Afterwards the table is the
    truth and admins manage units (`python -m bot units`, /unit)."""
    if (await session.exec(select(func.count()).select_from(Place))).one():
        return 0
    path = path or DEFAULT_PLACES
    tree = json.loads(await asyncio.to_thread(path.read_text, encoding="utf-8"))
    added = 0

    async def _add(nodes: list[dict[str, object]], parent: int | None, level: int) -> None:
        nonlocal added
        levels = (LEVEL_PROVINCE, LEVEL_REGION, LEVEL_UNIT)
        for node in nodes:
            place = Place(
                code=str(node["code"]),
                name=str(node["name"]),
                level=levels[min(level, 2)],
                parent_id=parent,
                timezone=str(node["timezone"]) if node.get("timezone") else None,
            )
            session.add(place)
            await session.flush()
            added += 1
            children = node.get("children") or []
            assert isinstance(children, list)
            await _add(children, place.id, level + 1)

    await _add(tree, None, 0)
    return added


async def children_of(session: AsyncSession, parent_id: int | None) -> list[Place]:
    query = select(Place).where(col(Place.parent_id) == parent_id).order_by(col(Place.name))
    return list((await session.exec(query)).all())


async def get_place(session: AsyncSession, place_id: int) -> Place | None:
    return await session.get(Place, place_id)


async def place_by_code(session: AsyncSession, code: str) -> Place | None:
    return (await session.exec(select(Place).where(col(Place.code) == code.upper()))).first()


async def place_path(session: AsyncSession, place_id: int) -> list[Place]:
    """The place and its ancestors, top first."""
    path: list[Place] = []
    current = await session.get(Place, place_id)
    while current is not None:
        path.append(current)
        current = await session.get(Place, current.parent_id) if current.parent_id else None
    return list(reversed(path))


async def paths_below_root(session: AsyncSession, place_ids: Iterable[int]) -> dict[int, str]:
    """Each place's path without its root, joined with " › " (what `place_path` gives, from
    one read of the places instead of a query per place and ancestor)."""
    places = {p.id: p for p in (await session.exec(select(Place))).all() if p.id is not None}
    labels: dict[int, str] = {}
    for place_id in place_ids:
        path: list[Place] = []
        current = places.get(place_id)
        while current is not None:
            path.append(current)
            current = places.get(current.parent_id) if current.parent_id else None
        labels[place_id] = " › ".join(place.name for place in reversed(path[:-1]))
    return labels


async def timezone_of(session: AsyncSession, place_id: int) -> str | None:
    """The zone of the place or of its nearest ancestor that has one."""
    for place in reversed(await place_path(session, place_id)):
        if place.timezone:
            return place.timezone
    return None


async def unit_labels(session: AsyncSession) -> dict[int, str]:
    """Every unit's name with its region ("Kabupaten Lampung Selatan › Dinas Kesehatan"), in
    the order of the labels: units of the same name in two regions (every kabupaten has a
    Dinas Kesehatan) are told apart wherever a list offers them. One query."""
    places = {p.id: p for p in (await session.exec(select(Place))).all() if p.id is not None}
    labels: dict[int, str] = {}
    for place_id, place in places.items():
        if place.level != LEVEL_UNIT:
            continue
        names = [place.name]
        parent = places.get(place.parent_id) if place.parent_id else None
        while parent is not None and parent.level != LEVEL_PROVINCE:
            names.append(parent.name)
            parent = places.get(parent.parent_id) if parent.parent_id else None
        labels[place_id] = " › ".join(reversed(names))
    return dict(sorted(labels.items(), key=lambda kv: kv[1].casefold()))


async def all_units(session: AsyncSession, *, active_only: bool = False) -> list[Place]:
    query = select(Place).where(col(Place.level) == LEVEL_UNIT).order_by(col(Place.code))
    if active_only:
        query = query.where(col(Place.active))
    return list((await session.exec(query)).all())


def short_region(name: str) -> str:
    """ "Kabupaten Lampung Selatan" -> "Kab. Lampung Selatan": pickers have narrow buttons."""
    return "Kab. " + name[len("Kabupaten ") :] if name.startswith("Kabupaten ") else name


@dataclass(frozen=True)
class UnitChoice:
    """A unit as a list offers it: "Dinas Kesehatan · Kab. Lampung Selatan"."""

    id: int
    code: str
    name: str
    region: str  # the kabupaten/kota (or provincial government) it belongs to
    region_code: str
    active: bool

    @property
    def label(self) -> str:
        return f"{self.name} · {short_region(self.region)}" if self.region else self.name

    def matches(self, query: str) -> bool:
        """Every word of the query is in the name, the region or the code (any case)."""
        seen = f"{self.name} {self.region} {short_region(self.region)} {self.code}".casefold()
        return all(word in seen for word in query.casefold().split())


async def unit_choices(
    session: AsyncSession, *, active_only: bool = True, query: str | None = None
) -> list[UnitChoice]:
    """The units with their regions, by label; two queries whatever the number of units."""
    regions = {
        p.id: p
        for p in (await session.exec(select(Place).where(col(Place.level) != LEVEL_UNIT))).all()
    }
    found: list[UnitChoice] = []
    for unit in await all_units(session, active_only=active_only):
        region = regions.get(unit.parent_id) if unit.parent_id else None
        choice = UnitChoice(
            id=unit.id or 0,
            code=unit.code,
            name=unit.name,
            region=region.name if region else "",
            region_code=region.code if region else "",
            active=unit.active,
        )
        if not query or choice.matches(query):
            found.append(choice)
    return sorted(found, key=lambda c: (c.label.casefold(), c.code))


# How long one process offers the units it read, in pickers of citizens' and participants'
# flows (`offered_units`). Workers are separate processes and an admin may change units in
# any of them: each reads them again after this long. What is chosen is checked again when
# the complaint, program or proposal is made (`services.units.open_unit`).
OFFERED_FOR = 30.0
SHARED = "suara_shared"  # session.info key: the Database's per-process dict, in every session


@dataclass
class _Offered:
    until: float
    units: list[UnitChoice]


async def offered_units(session: AsyncSession, *, query: str | None = None) -> list[UnitChoice]:
    """The active units as `unit_choices` gives them, read at most every OFFERED_FOR seconds
    per process: a picker shows them on every step it is on, and reading and loading all
    places is two statements and a few dozen rows each time."""
    shared = session.info.get(SHARED)
    if shared is None:
        return await unit_choices(session, query=query)
    kept: _Offered | None = shared.get("offered_units")
    now = time.monotonic()
    if kept is None or now >= kept.until:
        kept = shared["offered_units"] = _Offered(now + OFFERED_FOR, await unit_choices(session))
    return [c for c in kept.units if c.matches(query)] if query else list(kept.units)


def units_changed(session: AsyncSession) -> None:
    """This session changes units: this process's pickers read them again, now and once
    the change is committed (a picker may read them in between)."""
    shared = session.info.get(SHARED)
    if shared is None:
        return
    shared.pop("offered_units", None)
    event.listen(
        session.sync_session,
        "after_commit",
        lambda _session: shared.pop("offered_units", None),
        once=True,
    )


async def regions(session: AsyncSession) -> list[Place]:
    """The kabupaten/kota (and provincial governments) units belong to."""
    query = select(Place).where(col(Place.level) == LEVEL_REGION).order_by(col(Place.name))
    return list((await session.exec(query)).all())


async def units_of_organizer(session: AsyncSession, user_id: int) -> list[int]:
    query = select(OrganizerUnit.unit_id).where(col(OrganizerUnit.user_id) == user_id)
    return list((await session.exec(query)).all())


async def units_by_organizer(session: AsyncSession) -> dict[int, list[int]]:
    """Every organizer with the units they handle (sorted), by user id."""
    found: dict[int, list[int]] = {}
    for row in (await session.exec(select(OrganizerUnit))).all():
        found.setdefault(row.user_id, []).append(row.unit_id)
    return {user: sorted(units) for user, units in found.items()}


async def organizers_since(session: AsyncSession) -> dict[int, dt.datetime]:
    """Every organizer with the moment they were first given a unit they still handle."""
    query = select(OrganizerUnit.user_id, func.min(OrganizerUnit.added_at)).group_by(
        col(OrganizerUnit.user_id)
    )
    return {int(user): since for user, since in (await session.exec(query)).all() if since}


async def organizers_of_unit(session: AsyncSession, unit_id: int) -> list[int]:
    query = select(OrganizerUnit.user_id).where(col(OrganizerUnit.unit_id) == unit_id)
    return list((await session.exec(query)).all())


async def assign_organizer(
    session: AsyncSession, *, user_id: int, unit_id: int, added_by: int
) -> bool:
    """Returns False when the user already serves that unit."""
    if await session.get(OrganizerUnit, (user_id, unit_id)) is not None:
        return False
    session.add(OrganizerUnit(user_id=user_id, unit_id=unit_id, added_by=added_by))
    return True


async def remove_organizer(session: AsyncSession, *, user_id: int, unit_id: int) -> bool:
    result = await session.exec(
        delete(OrganizerUnit).where(
            col(OrganizerUnit.user_id) == user_id, col(OrganizerUnit.unit_id) == unit_id
        )
    )
    return bool(result.rowcount)
