"""The web inbox's query pages through every complaint exactly once, in deadline order, whether
a page is read from the front or (past the middle) from the end; its total and counts are the
same filters' (bot/storage/complaints.py search_for_units)."""

from __future__ import annotations

import datetime as dt
import random

from sqlmodel import col, select

from bot.storage import complaints as store
from bot.storage.complaints import OPEN_STATES, STATES, Complaint
from bot.storage.db import Database
from bot.storage.places import LEVEL_UNIT, Place, seed_places

TODAY = dt.date(2026, 11, 30)
RUNNING = ("baru", "diverifikasi", "ditindaklanjuti")


def _due(row: dict[str, object]) -> dt.date | None:
    """The deadline that runs, as the inbox reads it: none while waiting or closed."""
    if row["state"] == "baru":
        return row["verify_due"]  # type: ignore[return-value]
    if row["state"] in RUNNING:
        return row["followup_due"]  # type: ignore[return-value]
    return None


def _expected(rows: list[dict[str, object]]) -> list[int]:
    def key(row: dict[str, object]) -> tuple[bool, dt.date, dt.datetime, int]:
        due = _due(row)
        return (due is None, due or dt.date.min, row["created_at"], row["id"])  # type: ignore[return-value]

    return [int(row["id"]) for row in sorted(rows, key=key)]  # type: ignore[call-overload]


async def _fill(db: Database, count: int) -> tuple[list[dict[str, object]], list[int]]:
    """Complaints in every state over three units, with many equal deadlines and filing times
    (ties are where two reading directions could disagree)."""
    rng = random.Random(18)
    async with db.session() as session:
        await seed_places(session)
        await session.commit()
        units = list(
            (await session.exec(select(Place.id).where(col(Place.level) == LEVEL_UNIT))).all()
        )[:3]
        rows: list[dict[str, object]] = []
        for n in range(1, count + 1):
            created = dt.datetime(2026, 11, rng.randint(1, 4), 8, tzinfo=dt.UTC)
            rows.append(
                {
                    "id": n,
                    "ticket": f"ADU-T-{n:05d}",
                    "reporter_id": 5_000 + n,
                    "category": rng.choice(("Kesehatan", "Infrastruktur")),
                    "unit_id": rng.choice(units),
                    "description": "jalan rusak" if n % 3 else "antrean lama",
                    "state": rng.choice(STATES),
                    "created_at": created,
                    "verify_due": TODAY + dt.timedelta(days=rng.randint(-3, 3)),
                    "followup_due": rng.choice(
                        (None, TODAY + dt.timedelta(days=rng.randint(-3, 3)))
                    ),
                }
            )
        session.add_all(Complaint(**row) for row in rows)  # type: ignore[arg-type]
        await session.commit()
    return rows, [int(u) for u in units if u is not None]


async def _all_pages(db: Database, size: int, **filters: object) -> tuple[list[int], int]:
    seen: list[int] = []
    total = -1
    page = 0
    async with db.session() as session:
        while True:
            found, total, _ = await store.search_for_units(
                session,
                today=TODAY,
                offset=page * size,
                limit=size,
                **filters,  # type: ignore[arg-type]
            )
            assert len(found) <= size
            if not found:
                break
            seen.extend(int(c.id) for c in found if c.id is not None)
            page += 1
    return seen, total


async def test_every_page_in_deadline_order_from_either_end(db: Database) -> None:
    rows, _ = await _fill(db, 61)
    everything = {"unit_ids": None, "states": None, "category": None, "overdue": False,
                  "search": None}  # fmt: skip
    for size in (1, 7, 20, 61, 100):
        seen, total = await _all_pages(db, size, **everything)
        assert seen == _expected(rows)
        assert total == 61


async def test_filters_page_and_count_alike(db: Database) -> None:
    rows, units = await _fill(db, 53)
    mine = units[:2]
    chosen = [r for r in rows if r["unit_id"] in mine and r["state"] in OPEN_STATES]
    seen, total = await _all_pages(
        db, 6, unit_ids=mine, states=OPEN_STATES, category=None, overdue=False, search=None
    )
    assert seen == _expected(chosen)
    assert total == len(chosen)

    late = [r for r in rows if (due := _due(r)) is not None and due < TODAY]
    seen, total = await _all_pages(
        db, 4, unit_ids=None, states=None, category=None, overdue=True, search=None
    )
    assert seen == _expected(late)
    assert total == len(late)

    worded = [r for r in rows if r["description"] == "antrean lama" and r["state"] == "selesai"]
    seen, total = await _all_pages(
        db, 5, unit_ids=None, states=("selesai",), category=None, overdue=False, search="lama"
    )
    assert seen == _expected(worded)
    assert total == len(worded)


async def test_counts_by_state_ignore_the_state_filter_and_the_total_follows_them(
    db: Database,
) -> None:
    rows, _ = await _fill(db, 40)
    async with db.session() as session:
        found, total, counts = await store.search_for_units(
            session, unit_ids=None, states=("baru", "menunggu"), category="Kesehatan",
            overdue=False, search=None, today=TODAY, offset=10_000, limit=20,
        )  # fmt: skip
    health = [r for r in rows if r["category"] == "Kesehatan"]
    assert counts == {
        state: n for state in STATES if (n := sum(1 for r in health if r["state"] == state))
    }
    assert total == counts.get("baru", 0) + counts.get("menunggu", 0)
    assert found == []  # a page past the end is empty, with the same total


async def test_the_unit_filter_names_units_as_the_complaint_page_does(db: Database) -> None:
    from bot.services.complaints import unit_label
    from bot.storage.places import all_units, paths_below_root

    async with db.session() as session:
        await seed_places(session)
        await session.commit()
        units = [u.id for u in await all_units(session) if u.id is not None]
        labels = await paths_below_root(session, units)
        assert len(units) > 1
        for unit_id in units:
            assert labels[unit_id] == await unit_label(session, unit_id)
            assert " › " in labels[unit_id]


async def test_words_are_found_through_the_index_in_any_case_and_after_an_edit(
    db: Database,
) -> None:
    """The word search reads the trigram index (migration 0021): every word anywhere, in any
    case, short words too; a changed or removed description is found as it is now; LIKE's
    wildcards typed by an organizer match nothing special."""
    async with db.session() as session:
        await seed_places(session)
        await session.commit()
        unit = (await session.exec(select(Place.id).where(col(Place.level) == LEVEL_UNIT))).first()
        assert unit is not None
        texts = {
            1: "Jalan RUSAK di RT 05 dekat Puskesmas",
            2: "Antrean KTP lama sekali di kecamatan",
            3: "Lampu jalan mati, 100% gelap",
            4: "Sampah menumpuk di pasar",
        }
        for n, text in texts.items():
            session.add(
                Complaint(
                    id=n,
                    ticket=f"ADU-2026-{n:06d}",
                    reporter_id=9_000 + n,
                    category="Infrastruktur",
                    unit_id=unit,
                    description=text,
                    state="baru",
                    created_at=dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC),
                    verify_due=TODAY,
                )
            )
        await session.commit()

    async def found(search: str) -> list[int]:
        async with db.session() as session:
            rows, total, _ = await store.search_for_units(
                session, unit_ids=None, states=None, category=None, overdue=False,
                search=search, today=TODAY, offset=0, limit=20,
            )  # fmt: skip
        assert total == len(rows)
        return sorted(c.id for c in rows if c.id is not None)

    assert await found("rusak jalan") == [1]
    assert await found("JALAN") == [1, 3]
    assert await found("rt 05") == [1]  # words of two letters
    assert await found("100%") == [3]
    assert await found("%") == [1, 2, 3, 4]  # a wildcard alone is no word: everything
    assert await found("ADU-2026-000002") == [2]
    assert await found("ktp rusak") == []
    async with db.session() as session:
        edited = await session.get(Complaint, 4)
        assert edited is not None
        edited.description = "Sampah dan jalan berlubang"
        session.add(edited)
        gone = await session.get(Complaint, 2)
        await session.delete(gone)
        await session.commit()
    assert await found("jalan") == [1, 3, 4]
    assert await found("sampah pasar") == []
    assert await found("antrean") == []
