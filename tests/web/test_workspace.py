"""The workspace over HTTP against the running bot: login links, the menu button, the inbox's
filters, search, counts and pages, anonymity, files through the bot, the security headers, and
the workspace beside the webhook route."""

from __future__ import annotations

import datetime as dt
import re

import httpx
from pydantic import SecretStr
from sqlmodel import select

from bot.config import Settings
from bot.services import inbox as inbox_service
from bot.storage.complaints import Attachment, Complaint
from bot.storage.web import WebLogin
from bot.web.app import CSP
from bot.webhook import WebhookWorker
from tests.e2e.helpers import onboard, say, text_of
from tests.e2e.test_complaints import _db, _file, _setup_organizers
from tests.web.helpers import base_url, client, csrf_of, door, session_cookie, web_harness


def _link_token(said: str) -> str:
    found = re.search(r"/masuk/([A-Za-z0-9_-]+)", said)
    assert found is not None, said
    return found.group(1)


async def _use_link(http: httpx.AsyncClient, token: str) -> httpx.Response:
    page = await http.get(f"/masuk/{token}")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    return await http.post(f"/masuk/{token}", data={"csrf": csrf.group(1)})


async def test_masuk_gives_a_link_and_the_menu_button_opens_the_mini_app(
    database_url: str,
) -> None:
    async with web_harness(database_url, WEB_BASE_URL="https://suara.example.go.id") as harness:
        emu = harness.emulator
        _admin, rina, _dedi = await _setup_organizers(emu)
        said = text_of(await say(emu, rina, "/masuk"))
        assert "https://suara.example.go.id/masuk/" in said and "10 menit" in said
        # The chat's menu button now opens the workspace as a Mini App.
        assert emu.menu_buttons[rina.id] == {
            "type": "web_app",
            "text": "Ruang kerja",
            "web_app": {"url": "https://suara.example.go.id/"},
        }
        async with client(harness) as http:
            answer = await http.get(f"/masuk/{_link_token(said)}")
            cookie = answer.headers["set-cookie"].lower()
            assert "httponly" in cookie and "secure" in cookie and "samesite=none" in cookie
            assert "partitioned" in cookie  # inside Telegram Web's frame (tests/web/test_websec)
        # An organizer appointed later gets the menu button with the role.
        wati = emu.user(7003, "Wati", "id")
        await onboard(emu, wati, "asn")
        await say(emu, _admin, "/penyelenggara 7003 LSL-DINKES")
        assert emu.menu_buttons[7003]["type"] == "web_app"


async def test_a_login_link_works_once_and_for_ten_minutes(database_url: str) -> None:
    async with web_harness(database_url) as harness:
        emu = harness.emulator
        _admin, rina, _dedi = await _setup_organizers(emu)
        said = text_of(await say(emu, rina, "/masuk"))
        token = _link_token(said)
        async with client(harness) as http:
            # A link preview's GET spends nothing; the POST does.
            assert (await http.get(f"/masuk/{token}")).status_code == 200
            answer = await _use_link(http, token)
            assert answer.status_code == 303 and answer.headers["location"] == "/aduan"
            assert "secure" not in answer.headers["set-cookie"].lower()  # served over http
            assert (await http.get("/aduan")).status_code == 200
        async with client(harness) as http:
            answer = await _use_link(http, token)
            assert answer.status_code == 403 and "tidak berlaku" in answer.text
        # Only its hash is stored.
        async with _db(harness).session() as session:
            rows = (await session.exec(select(WebLogin))).all()
            assert rows and all(row.token_hash != token for row in rows)
        # Eleven minutes later a new link no longer works.
        later = text_of(await say(emu, rina, "/masuk"))
        core = door(harness).core
        real = core.clock
        core.clock = lambda: real() + dt.timedelta(minutes=11)
        try:
            async with client(harness) as http:
                assert (await _use_link(http, _link_token(later))).status_code == 403
        finally:
            core.clock = real


async def test_the_inbox_filters_searches_counts_and_pages(database_url: str) -> None:
    async with web_harness(database_url) as harness:
        emu = harness.emulator
        _admin, rina, dedi = await _setup_organizers(emu)
        siti = emu.user(301, "Siti Aminah", "id")
        await onboard(emu, siti)
        first = await _file(emu, siti, photos=1)
        second = await _file(emu, siti, privacy="anonim", photos=0)
        async with _db(harness).session() as session:
            complaints = (await session.exec(select(Complaint).order_by(Complaint.id))).all()
            late = complaints[0]
            late.verify_due = dt.date(2026, 1, 5)  # long overdue
            session.add(late)
            await session.commit()
            ids = [c.id for c in complaints]
        cookies = session_cookie(harness, rina.id)
        async with client(harness, cookies) as http:
            page = (await http.get("/aduan")).text
            assert page.index(first) < page.index(second)  # the nearest deadline first
            assert '<span class="count" data-state="baru">2</span>' in page
            assert "hari kerja" in page and "Lewat" in page
            overdue = (await http.get("/aduan", params={"overdue": "1"})).text
            assert first in overdue and second not in overdue
            by_number = (await http.get("/aduan", params={"q": str(ids[1])})).text
            assert second in by_number and first not in by_number
            by_ticket = (await http.get("/aduan", params={"q": first})).text
            assert first in by_ticket and second not in by_ticket
            by_words = (await http.get("/aduan", params={"q": "KTP elektronik"})).text
            assert first in by_words and second in by_words
            nothing = (await http.get("/aduan", params={"q": "jembatan rusak"})).text
            assert first not in nothing and second not in nothing
            closed = (await http.get("/aduan", params={"state": "closed"})).text
            assert first not in closed
            other = (await http.get("/aduan", params={"category": "Kesehatan"})).text
            assert first not in other
            # Another unit's filter is "not found", not an empty list.
            assert (await http.get("/aduan", params={"unit": "999"})).status_code == 404
            # Anonymous stays anonymous: no name, no id.
            anonymous = (await http.get(f"/aduan/{ids[1]}")).text
            assert "Siti" not in anonymous and "301" not in anonymous
            named = (await http.get(f"/aduan/{ids[0]}")).text
            assert "Siti Aminah" in named
        # Pages of PAGE_SIZE on the server.
        async with _db(harness).session() as session:
            for number in range(inbox_service.PAGE_SIZE):
                copy = Complaint(
                    reporter_id=siti.id,
                    category="Administrasi Kependudukan",
                    unit_id=late.unit_id,
                    description=f"Salinan nomor {number} untuk menguji halaman kotak aduan.",
                    verify_due=dt.date(2026, 12, 31),
                    ticket=f"ADU-2026-9{number:05d}",
                )
                session.add(copy)
            await session.commit()
        async with client(harness, cookies) as http:
            one = (await http.get("/aduan")).text
            two = (await http.get("/aduan", params={"page": "2"})).text
            assert "halaman 1 dari 2" in one and "halaman 2 dari 2" in two
            assert one.count('<li class="row') == inbox_service.PAGE_SIZE
            assert two.count('<li class="row') == 2
        async with client(harness, session_cookie(harness, dedi.id)) as http:
            assert first not in (await http.get("/aduan")).text


async def test_files_come_through_the_bot_and_every_answer_has_the_headers(
    database_url: str,
) -> None:
    async with web_harness(database_url) as harness:
        emu = harness.emulator
        _admin, rina, _dedi = await _setup_organizers(emu)
        siti = emu.user(301, "Siti Aminah", "id")
        await onboard(emu, siti)
        await _file(emu, siti, photos=1)
        await _file(emu, siti, photos=1)
        async with _db(harness).session() as session:
            files = (await session.exec(select(Attachment).order_by(Attachment.id))).all()
        emu.files[files[0].file_id] = b"\xff\xd8\xff a photo"
        async with client(harness, session_cookie(harness, rina.id)) as http:
            answer = await http.get(f"/aduan/{files[0].complaint_id}/berkas/{files[0].id}")
            assert answer.status_code == 200 and answer.content == b"\xff\xd8\xff a photo"
            assert answer.headers["content-type"] == "image/jpeg"
            assert emu.token not in str(answer.headers) and emu.token not in answer.text
            # Another complaint's file by this complaint's address: not found.
            wrong = await http.get(f"/aduan/{files[0].complaint_id}/berkas/{files[1].id}")
            assert wrong.status_code == 404
            for path in ("/", "/aduan", "/static/app.css", "/nothing", "/aduan/999"):
                answer = await http.get(path)
                assert answer.headers["content-security-policy"] == CSP, path
            page = (await http.get(f"/aduan/{files[0].complaint_id}")).text
            # No script or style from anywhere but this server, and none inline.
            assert "<script>" not in page and "style=" not in page
            assert re.findall(r'src="([^"]+)"', page) == ["/static/app.js"]
        assert "frame-ancestors https://web.telegram.org https://*.telegram.org" in CSP


async def test_an_action_refused_by_its_rule_says_why(database_url: str) -> None:
    async with web_harness(database_url) as harness:
        emu = harness.emulator
        _admin, rina, _dedi = await _setup_organizers(emu)
        siti = emu.user(301, "Siti Aminah", "id")
        await onboard(emu, siti)
        await _file(emu, siti, photos=0)
        cookies = session_cookie(harness, rina.id)
        async with client(harness, cookies) as http:
            csrf = csrf_of(harness, cookies)
            # Closing a new complaint is not allowed in its state; forwarding needs a unit.
            answer = await http.post(
                "/aduan/1/tindakan", data={"csrf": csrf, "action": "close", "note": "Selesai."}
            )
            assert answer.status_code == 400 and 'id="error"' in answer.text
            answer = await http.post(
                "/aduan/1/tindakan", data={"csrf": csrf, "action": "forward", "note": "Salah."}
            )
            assert answer.status_code == 400
            answer = await http.post("/aduan/1/tindakan", data={"csrf": csrf, "action": "verify"})
            assert answer.status_code == 303
        await emu.wait_until(lambda: any("diverifikasi" in t for t in emu.texts(siti)))


async def test_the_workspace_is_served_beside_the_webhook_route(database_url: str) -> None:
    settings = Settings(
        TELEGRAM_BOT_TOKEN=SecretStr("123456:SANDBOX-token"),
        DATABASE_URL=database_url,
        WEBHOOK_URL="https://suara.example.go.id/telegram",
        WEBHOOK_SECRET="s" * 32,
        WEB_BASE_URL="https://suara.example.go.id",
    )
    worker = WebhookWorker(settings)
    transport = httpx.ASGITransport(app=worker.asgi)
    async with httpx.AsyncClient(transport=transport, base_url="https://suara.example.go.id") as c:
        page = await c.get("/")
        assert page.status_code == 200 and page.headers["content-security-policy"] == CSP
        assert (await c.get("/static/app.js")).status_code == 200
        assert (await c.post("/telegram", json={})).status_code == 403  # still the webhook
        assert (await c.get("/healthz")).text == "ok"
    assert base_url  # the polling-mode server is the other way in (tests above)
