"""Every route of the workspace against the same seven kinds of person as the chat's table
(tests/e2e/test_access.py), and a visitor with no session: allowed or refused as the table
says. A route the table does not list fails the test, so a new page cannot slip in untested.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
from sqlmodel import select
from starlette.routing import Mount, Route

from bot.storage import web as web_store
from bot.storage.complaints import Attachment
from tests.e2e.test_access import ADMIN, ADMINS, ANY, EVERYONE, ORGANIZERS, THIS_UNIT, _world
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
    ("GET", "/status"): PUBLIC,
    ("POST", "/status"): PUBLIC,  # a complaint's status by number and PIN, no login
    ("GET", "/statistik/{code}"): PUBLIC,
    ("GET", "/static/{path}"): PUBLIC,
    ("GET", "/kuesioner"): ADMINS,
    ("POST", "/kuesioner"): ADMINS,  # without a file: the page again, with the reason (400)
    ("GET", "/kuesioner/{code}/xlsform"): ORGANIZERS,
}


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
                        .replace("{attachment_id:int}", str(attachment.id))
                        .replace("{token}", links.get(role, "nothing-here"))
                        .replace("{path}", "app.css")
                        .replace("{code}", "pelatihan" if "kuesioner" in path else "LSL-DUKCAPIL")
                    )
                    if method == "GET":
                        response = await http.get(url)
                    elif path == "/masuk/telegram":
                        data = launch_data(web._token, user_id or 1) if user_id else "x"
                        response = await http.post(url, data={"init_data": data, "csrf": csrf})
                    else:
                        form = {"csrf": csrf, "action": "reply", "note": f"Tanggapan {role}"}
                        response = await http.post(url, data=form)
                        if path.endswith("tindakan") and _through(response):
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
