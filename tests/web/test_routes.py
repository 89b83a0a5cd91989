"""Every route of the workspace against the same seven kinds of person as the chat's table
(tests/e2e/test_access.py), and a visitor with no session: allowed or refused as the table
says. A route the table does not list fails the test, so a new page cannot slip in untested.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import quote

import httpx
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.routing import Mount, Route

from bot.services.programs import ProgramSpec, create_program
from bot.storage import staff as staff_store
from bot.storage import web as web_store
from bot.storage.certificates import Certificate
from bot.storage.complaints import Attachment
from bot.storage.places import place_by_code
from tests.e2e.test_access import (
    ADMIN,
    ADMINS,
    ANY,
    EVERYONE,
    ORGANIZERS,
    THIS_UNIT,
    VICTIM,
    _world,
)
from tests.e2e.test_complaints import _db
from tests.web.helpers import client, csrf_of, door, launch_data, session_cookie, web_harness

VISITOR = "visitor without a session"
PUBLIC = EVERYONE | {VISITOR}

# (method, path) -> who gets through.
TABLE: dict[tuple[str, str], set[str]] = {
    ("GET", "/"): PUBLIC,
    ("POST", "/masuk/telegram"): ORGANIZERS,
    ("GET", "/masuk/{token}"): PUBLIC,
    ("POST", "/masuk/{token}"): ORGANIZERS,
    ("POST", "/keluar"): PUBLIC,  # with the session's CSRF token (the next test)
    ("GET", "/aduan"): ORGANIZERS,
    ("GET", "/aduan/{complaint_id:int}"): THIS_UNIT,
    ("POST", "/aduan/{complaint_id:int}/tindakan"): THIS_UNIT,
    ("GET", "/aduan/{complaint_id:int}/berkas/{attachment_id:int}"): THIS_UNIT,
    ("GET", "/program"): ORGANIZERS,
    ("GET", "/program/baru"): ORGANIZERS,
    ("POST", "/program/baru"): ORGANIZERS,  # the form refused (no title): 400, nothing made
    ("GET", "/program/{program_id:int}"): THIS_UNIT,
    ("GET", "/program/{program_id:int}/ubah"): THIS_UNIT,
    ("POST", "/program/{program_id:int}/ubah"): THIS_UNIT,
    ("POST", "/program/{program_id:int}/tindakan"): THIS_UNIT,
    ("GET", "/program/{program_id:int}/grafik.png"): THIS_UNIT,
    ("GET", "/program/{program_id:int}/ekspor"): THIS_UNIT,
    ("GET", "/program/{program_id:int}/qr.png"): THIS_UNIT,
    ("GET", "/status"): PUBLIC,
    ("POST", "/status"): PUBLIC,  # a complaint's status by number and PIN, no login
    ("GET", "/statistik/{code}"): PUBLIC,
    ("GET", "/laporan"): ORGANIZERS,  # a week's digest: the caller's units, an admin's all
    ("GET", "/laporan/grafik.png"): ORGANIZERS,
    ("GET", "/laporan/ringkasan.xlsx"): ORGANIZERS,
    ("GET", "/laporan/ikm"): ORGANIZERS,  # without ?unit=: the caller's first unit
    ("GET", "/laporan/ikm/tren.png"): ORGANIZERS,
    ("GET", "/laporan/ikm/skm.xlsx"): ORGANIZERS,
    ("GET", "/laporan/ikm/skm.pdf"): ORGANIZERS,
    ("GET", "/v/{number:path}"): PUBLIC,  # a certificate's verification page (its QR code)
    ("GET", "/static/{path}"): PUBLIC,
    # The admin pages (bot/web/admin.py): admins only, as the chat's /unit, /staf, /blokiran
    # and /audit. A POST that gets through with the test's form is refused by its rule (400).
    ("GET", "/admin/unit"): ADMINS,
    ("POST", "/admin/unit"): ADMINS,
    ("POST", "/admin/unit/{unit_id:int}"): ADMINS,
    ("GET", "/admin/staf"): ADMINS,
    ("POST", "/admin/staf/undangan"): ADMINS,
    ("POST", "/admin/staf/undangan/{invite_id:int}"): ADMINS,
    ("POST", "/admin/staf/{user_id:int}"): ADMINS,
    ("GET", "/admin/batasan"): ADMINS,
    ("POST", "/admin/batasan/{block_id:int}"): ADMINS,
    ("POST", "/admin/blokir"): ADMINS,
    ("GET", "/admin/audit"): ADMINS,
    ("GET", "/admin/audit.xlsx"): ADMINS,
    # Organizers see the shared forms and their units' own; only admins import workbooks.
    ("GET", "/kuesioner"): ORGANIZERS,
    ("POST", "/kuesioner"): ADMINS,  # without a file: the page again, with the reason (400)
    ("POST", "/kuesioner/baru"): ORGANIZERS,  # no code: refused politely (400), nothing made
    # {code} is the shipped, shared `pelatihan`: only admins edit a shared form.
    ("GET", "/kuesioner/{code}/ubah"): ADMINS,
    ("POST", "/kuesioner/{code}/ubah"): ADMINS,  # an unknown action: refused (400)
    ("GET", "/kuesioner/{code}/pratinjau"): ADMINS,
    ("POST", "/kuesioner/{code}/terbitkan"): ADMINS,  # no draft: nothing to publish (400)
    ("GET", "/kuesioner/{code}/buang"): ADMINS,  # the confirmation (a shared form: admins)
    ("POST", "/kuesioner/{code}/buang"): ADMINS,  # no draft: nothing to discard (400)
    ("GET", "/kuesioner/{code}/xlsform"): ORGANIZERS,
}


async def _certificate(session: AsyncSession) -> str:
    """A certificate of a program of the test world's unit, for its verification page."""
    unit = await place_by_code(session, "LSL-DUKCAPIL")
    assert unit is not None and unit.id is not None
    now = dt.datetime.now(dt.UTC)
    spec = ProgramSpec("Pelatihan Uji", unit.id, now, now + dt.timedelta(hours=8))
    program = await create_program(session, spec=spec, caller=None, now=now)
    assert program.id is not None
    certificate = Certificate(
        number=f"LSL-DUKCAPIL/{program.code}/0001/{now.year}",
        program_id=program.id,
        name="Sari Dewi",
        nip="198503122010011002",
        hours=8,
        sequence=1,
        year=now.year,
    )
    session.add(certificate)
    return certificate.number


def _registered(app_routes: list[object]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for route in app_routes:
        if isinstance(route, Route):
            found |= {(method, route.path) for method in route.methods or () if method != "HEAD"}
        elif isinstance(route, Mount):
            found.add(("GET", f"{route.path}/{{path}}"))
        else:
            raise AssertionError(f"a route of an unknown kind: {route!r}")
    return found


def _through(response: httpx.Response, path: str = "") -> bool:
    """Whether the request got past the door: a page, a file, or a redirect onwards (not to
    the start page, which is where the workspace sends a visitor without a session)."""
    if response.status_code in (403, 404):
        return False
    if response.status_code == 303:
        # Logging out goes to the start page; anything else sent there was turned away.
        return path == "/keluar" or response.headers["location"] != "/"
    assert response.status_code in (200, 400), response.status_code
    return True


async def test_every_route_against_every_kind_of_person(tmp_path: Path, database_url: str) -> None:
    async with web_harness(database_url) as harness:
        w = await _world(harness)
        web = door(harness)
        assert _registered(web.app.routes) == set(TABLE), "a route the table does not list"
        async with _db(harness).session() as session:
            attachment = (
                await session.exec(
                    select(Attachment).where(Attachment.complaint_id == w.complaint)
                )
            ).first()
            assert attachment is not None and attachment.id is not None
            # A login link for everyone (the chat makes them for organizers only).
            now = dt.datetime.now(dt.UTC)
            links = {
                role: await web_store.create_login(
                    session, user_id=person.id, now=now, valid_for=dt.timedelta(minutes=10)
                )
                for role, person in w.people.items()
            }
            # An open invitation for the admin to revoke (the others are refused first).
            _token, invite = await staff_store.create_invite(
                session,
                role=staff_store.INVITE_ADMIN,
                unit_id=None,
                created_by=w.people[ADMIN].id,
                now=now,
                valid_for=dt.timedelta(hours=1),
            )
            number = await _certificate(session)
            await session.commit()
        wrong: list[str] = []
        people = {**{role: person.id for role, person in w.people.items()}, VISITOR: 0}
        for (method, path), allowed in TABLE.items():
            for role, user_id in people.items():
                cookies = session_cookie(harness, user_id) if user_id else {}
                async with client(harness, cookies) as http:
                    if not cookies:
                        # A visitor gets a session of their own for the login forms.
                        await http.get("/")
                    csrf = csrf_of(harness, dict(http.cookies))
                    url = (
                        path.replace("{complaint_id:int}", str(w.complaint))
                        .replace("{program_id:int}", str(w.program))
                        .replace("{attachment_id:int}", str(attachment.id))
                        .replace("{token}", links.get(role, "nothing-here"))
                        .replace("{path}", "app.css")
                        .replace("{code}", "pelatihan" if "kuesioner" in path else "LSL-DUKCAPIL")
                        .replace("{unit_id:int}", str(w.unit_b))
                        .replace("{invite_id:int}", str(invite.id))
                        .replace("{user_id:int}", str(VICTIM))
                        .replace("{block_id:int}", str(w.block))
                        .replace("{number:path}", quote(number, safe=""))
                    )
                    if method == "GET":
                        response = await http.get(url)
                    elif path == "/masuk/telegram":
                        data = launch_data(web._token, user_id or 1) if user_id else "x"
                        response = await http.post(url, data={"init_data": data, "csrf": csrf})
                    else:
                        form = {"csrf": csrf, "action": "reply", "note": f"Tanggapan {role}"}
                        response = await http.post(url, data=form)
                        if (
                            path.startswith("/aduan/")
                            and path.endswith("tindakan")
                            and _through(response)
                        ):
                            assert response.headers["location"].endswith("done=reply")
                through = _through(response, path)
                if through != (role in allowed):
                    wrong.append(f"{method} {path} as {role}: {response.status_code}")
        assert wrong == [], "\n".join(wrong)
        assert ADMIN in ANY  # the same kinds of person as the chat's table


async def test_a_post_without_its_csrf_token_is_refused(database_url: str) -> None:
    async with web_harness(database_url) as harness:
        w = await _world(harness)
        rina = w.people["organizer of this unit"]
        cookies = session_cookie(harness, rina.id)
        async with client(harness, cookies) as http:
            for form in ({}, {"csrf": "wrong"}, {"csrf": csrf_of(harness, cookies)[:-1] + "x"}):
                answer = await http.post(
                    f"/aduan/{w.complaint}/tindakan", data={**form, "action": "verify"}
                )
                assert answer.status_code == 403
            answer = await http.get(f"/aduan/{w.complaint}")
            assert 'id="state">Baru<' in answer.text  # nothing happened
