"""The public pages over HTTP, without logging in: a complaint's status by its number and PIN
(state and dates only, one answer for every wrong guess, the guess limit kept), and a unit's
statistics (a withheld figure shown as an empty one, 404 for an unknown or closed unit)."""

from __future__ import annotations

import datetime as dt
import re

import httpx

from bot.sandbox.harness import Harness
from bot.services import public
from bot.services.complaints import Draft, file_complaint
from bot.storage.complaints import SELESAI, Complaint
from bot.storage.places import place_by_code, seed_places
from tests.web.helpers import client, door, web_harness

DESCRIPTION = "Antrean pembuatan KTP elektronik di kantor kecamatan sangat lama sekali"


async def _complaint(harness: Harness) -> tuple[Complaint, str]:
    core = door(harness).core
    async with core.db.session() as session:
        await seed_places(session)
        unit = await place_by_code(session, "LSL-DUKCAPIL")
        assert unit is not None and unit.id is not None
        complaint, _ = await file_complaint(
            session,
            reporter_id=301,
            reporter_name="Siti Aminah",
            draft=Draft(
                category="Administrasi Kependudukan",
                unit_id=unit.id,
                description=DESCRIPTION,
                privacy="rahasia",
                attachments=[],
                address="Jl. Melati 7, Kalianda",
            ),
            clock=core.moment(),
            daily_limit=5,
        )
        await session.commit()
    pin = public.pin_of(core.settings, complaint)
    assert pin is not None and complaint.ticket is not None
    return complaint, pin


async def _ask(http: httpx.AsyncClient, number: str, pin: str, lang: str = "") -> httpx.Response:
    page = await http.get("/status" + (f"?lang={lang}" if lang else ""))
    assert page.status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    return await http.post(
        "/status", data={"csrf": csrf.group(1), "number": number, "pin": pin, "lang": lang}
    )


def _refusal(page: httpx.Response) -> str:
    found = re.search(r'id="refused">(.*?)</p>', page.text, re.S)
    assert found is not None, page.text
    return found.group(1)


async def test_the_status_page_shows_state_and_dates_only(database_url: str) -> None:
    async with web_harness(database_url) as harness:
        complaint, pin = await _complaint(harness)
        assert complaint.ticket is not None
        async with client(harness) as http:
            form = await http.get("/status")
            assert 'name="pin"' in form.text and 'type="password"' in form.text
            answer = await _ask(http, f" {complaint.ticket.lower()} ", pin)
        assert answer.status_code == 200
        assert 'id="state">Baru<' in answer.text
        assert f'id="ticket">{complaint.ticket}<' in answer.text
        for secret in ("Siti", "KTP", "Melati", "Administrasi", "301", pin):
            assert secret not in answer.text
        assert 'id="refused"' not in answer.text


async def test_a_wrong_pin_and_an_unknown_number_answer_alike_and_the_limit_holds(
    database_url: str,
) -> None:
    async with web_harness(database_url) as harness:
        complaint, pin = await _complaint(harness)
        assert complaint.ticket is not None and complaint.id is not None
        wrong = f"{(int(pin) + 1) % 10**6:06d}"
        unknown = f"ADU-{complaint.ticket[4:8]}-{complaint.id + 500:06d}"
        async with client(harness) as http:
            first = await _ask(http, complaint.ticket, wrong)
            other = await _ask(http, unknown, pin)
            garbled = await _ask(http, "nomor saya", pin)
            assert first.status_code == other.status_code == garbled.status_code == 200
            assert _refusal(first) == _refusal(other) == _refusal(garbled)
            assert "PIN" in _refusal(first) and 'id="state"' not in first.text
            # Four more wrong guesses make five within the hour (each one committed): now the
            # right PIN gets the same answer.
            for _ in range(4):
                await _ask(http, complaint.ticket, wrong)
            after = await _ask(http, complaint.ticket, pin)
            assert _refusal(after) == _refusal(first) and 'id="state"' not in after.text
            # Another number is not affected.
            assert 'id="refused"' in (await _ask(http, unknown, pin)).text
        # The same message in English, by ?lang= or by the browser's language.
        async with client(harness) as http:
            english = await _ask(http, unknown, pin, lang="en")
            assert "No complaint has that ticket number and PIN" in _refusal(english)
            page = await http.get("/status", headers={"Accept-Language": "en-US,en;q=0.8"})
            assert "Complaint status" in page.text and 'lang="en"' in page.text
            page = await http.get("/status")
            assert "Status aduan" in page.text and 'lang="id"' in page.text


async def test_a_status_post_without_its_csrf_token_is_refused(database_url: str) -> None:
    async with web_harness(database_url) as harness:
        complaint, pin = await _complaint(harness)
        assert complaint.ticket is not None
        async with client(harness) as http:
            answer = await http.post("/status", data={"number": complaint.ticket, "pin": pin})
        assert answer.status_code == 403 and 'id="state"' not in answer.text


def _closed(unit_id: int, n: int, received: dt.datetime) -> Complaint:
    """A complaint closed the working day after it was received, well within its deadline."""
    day = received.date()
    return Complaint(
        reporter_id=800 + n,
        category="Administrasi Kependudukan",
        unit_id=unit_id,
        description=DESCRIPTION,
        created_at=received,
        verify_due=day + dt.timedelta(days=10),
        followup_due=day + dt.timedelta(days=20),
        state=SELESAI,
        closed_at=received + dt.timedelta(days=1),
        ticket=f"ADU-{day.year}-{900000 + n}",
    )


async def test_a_units_statistics_withhold_small_figures_as_empty_ones(database_url: str) -> None:
    async with web_harness(database_url) as harness:
        core = door(harness).core
        today = core.moment().today
        # The latest month whose figures are settled (published 30 days after it ends).
        latest = next(p for p in public.recent_periods(today) if p.month)
        year, month = latest.year, latest.month
        assert month is not None
        period = latest.code
        tz = core.settings.tz
        received = dt.datetime(year, month, 2, 9, 0, tzinfo=tz)
        async with core.db.session() as session:
            await seed_places(session)
            big = await place_by_code(session, "LSL-DUKCAPIL")
            small = await place_by_code(session, "LSM-DINKES")
            closing = await place_by_code(session, "LSL-DINKES")
            assert big and big.id and small and small.id and closing and closing.id
            session.add_all([_closed(big.id, n, received) for n in range(6)])
            session.add_all([_closed(small.id, 10 + n, received) for n in range(3)])
            closing.active = False
            session.add(closing)
            await session.commit()
        async with client(harness) as http:
            shown = await http.get(f"/statistik/lsl-dukcapil?period={period}")
            withheld = await http.get(f"/statistik/LSM-DINKES?period={period}")
            empty = await http.get("/statistik/LSM-DINKES?period=2001")
            english = await http.get(f"/statistik/LSL-DUKCAPIL?period={period}&lang=en")
            default = await http.get("/statistik/LSL-DUKCAPIL")
            unknown = await http.get("/statistik/LSL-NOTHING")
            deactivated = await http.get("/statistik/LSL-DINKES")
            region = await http.get("/statistik/LSL")
            bad = await http.get("/statistik/LSL-DUKCAPIL?period=kemarin")
        assert shown.status_code == 200
        assert 'id="received">6<' in shown.text and 'id="closed">6<' in shown.text
        assert 'id="on-time">100%<' in shown.text
        assert 'id="ikm">–<' in shown.text and 'id="grade">–<' in shown.text  # no survey
        assert "Dinas Kependudukan" in shown.text and DESCRIPTION not in shown.text
        assert "Handled on time" in english.text and 'id="on-time">100%<' in english.text
        # Three complaints: every figure looks exactly as in a period with none at all.
        assert withheld.status_code == empty.status_code == 200
        assert 'value="2001" selected' in empty.text  # the period asked for is in the list
        figures = re.compile(r'<dl class="facts figures" id="figures">.*?</dl>', re.S)
        withheld_figures = figures.search(withheld.text)
        empty_figures = figures.search(empty.text)
        assert withheld_figures and empty_figures
        assert withheld_figures.group(0) == empty_figures.group(0)
        assert withheld_figures.group(0).count(">–<") == 6
        for hint in ("5", "kurang", "disembunyikan", "fewer"):
            assert hint not in withheld_figures.group(0)
        # The default period is the last settled half-year.
        half = next(p for p in public.recent_periods(today) if p.semester).code
        assert default.status_code == 200
        assert f'value="{half}" selected' in default.text
        for page in (unknown, deactivated, region):
            assert page.status_code == 404
        assert bad.status_code == 400 and "kemarin" in bad.text
