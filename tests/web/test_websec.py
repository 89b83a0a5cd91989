"""The workspace's safety, over HTTP against the running bot: an organizer responds with files
that reach the citizen after the commit (a restart in between too), files that may not be
sent are refused politely, login links and failed logins are limited, and the session cookie
works inside Telegram Web's frame over https."""

from __future__ import annotations

import asyncio
import io
import re
import zipfile
from collections.abc import AsyncIterator

import httpx
import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from sqlmodel import select

from bot.sandbox.emulator import BotApiEmulator, BotMessage, Persona
from bot.sandbox.harness import Harness
from bot.services import web as web_service
from bot.services.uploads import MAX_UPLOAD_BYTES
from bot.storage.audit import AuditEntry
from bot.storage.complaints import Attachment, Complaint
from bot.storage.websec import WebAttempt, WebUpload
from bot.web import app as web_app
from bot.web.app import COOKIE
from tests.e2e.helpers import onboard, say, text_of
from tests.e2e.test_complaints import _db, _file, _setup_organizers
from tests.web.helpers import client, csrf_of, door, launch_data, session_cookie, web_harness

NOTE = "Berkas KTP Anda sudah dicetak; surat pengantar terlampir."


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=100)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _files(*items: tuple[str, bytes, str]) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", item) for item in items]


async def _complaint_of(harness: Harness, citizen: Persona) -> int:
    emu = harness.emulator
    await onboard(emu, citizen)
    await _file(emu, citizen, photos=0)
    async with _db(harness).session() as session:
        complaint = (await session.exec(select(Complaint))).one()
    assert complaint.id is not None
    return complaint.id


async def _respond(
    harness: Harness,
    user_id: int,
    complaint_id: int,
    files: list[tuple[str, tuple[str, bytes, str]]],
    action: str = "reply",
) -> httpx.Response:
    cookies = session_cookie(harness, user_id)
    async with client(harness, cookies) as http:
        form = {"csrf": csrf_of(harness, cookies), "action": action, "note": NOTE}
        return await http.post(f"/aduan/{complaint_id}/tindakan", data=form, files=files)


def _file_messages(emu: BotApiEmulator, who: Persona) -> list[BotMessage]:
    return [m for m in emu.messages(who) if m.kind in ("photo", "document")]


async def _uploads_left(harness: Harness) -> int:
    async with _db(harness).session() as session:
        return len((await session.exec(select(WebUpload))).all())


async def _all_uploads_sent(harness: Harness) -> bool:
    """Whether the sender has committed every sent file (the emulator sees a file a moment
    before the sender's commit records it)."""
    for _ in range(200):
        if await _uploads_left(harness) == 0:
            return True
        await asyncio.sleep(0.05)
    return False


async def test_an_organizer_responds_with_a_photo_and_a_pdf(database_url: str) -> None:
    async with web_harness(database_url) as harness:
        emu = harness.emulator
        _admin, rina, _dedi = await _setup_organizers(emu)
        siti = emu.user(301, "Siti Aminah", "id")
        complaint_id = await _complaint_of(harness, siti)
        photo, pdf = _jpeg(), _pdf()
        async with client(harness, session_cookie(harness, rina.id)) as http:
            page = (await http.get(f"/aduan/{complaint_id}")).text
        reply_form = page.split('id="action-reply"')[1].split("</form>")[0]
        assert 'enctype="multipart/form-data"' in reply_form and 'type="file"' in reply_form
        answer = await _respond(
            harness,
            rina.id,
            complaint_id,
            _files(
                ("../../etc/foto rumah.jpg", photo, "image/jpeg"),
                ("surat.pdf", pdf, "application/pdf"),
            ),
        )
        assert answer.status_code == 303 and answer.headers["location"].endswith("done=reply")
        # The citizen gets the reply, then both files as sent (the emulator has the bytes).
        await emu.wait_until(lambda: len(_file_messages(emu, siti)) == 2)
        assert any(NOTE in text for text in emu.texts(siti))
        sent_photo, sent_pdf = _file_messages(emu, siti)
        assert (sent_photo.kind, sent_photo.file_bytes) == ("photo", photo)
        assert (sent_pdf.kind, sent_pdf.file_name, sent_pdf.file_bytes) == (
            "document",
            "surat.pdf",
            pdf,
        )
        assert sent_photo.file_name == "foto rumah.jpg"  # no folder from the browser
        # Recorded as the officer's attachments; the bytes are gone from the database.
        assert await _all_uploads_sent(harness)
        async with _db(harness).session() as session:
            kept = (
                await session.exec(
                    select(Attachment)
                    .where(Attachment.complaint_id == complaint_id)
                    .order_by(Attachment.id)  # type: ignore[arg-type]
                )
            ).all()
        assert [(a.kind, a.from_reporter, a.file_id) for a in kept] == [
            ("photo", False, sent_photo.file_id),
            ("document", False, sent_pdf.file_id),
        ]
        assert all(a.event_id is not None for a in kept)
        # The complaint page lists them, and they open as the files they are.
        async with client(harness, session_cookie(harness, rina.id)) as http:
            page = (await http.get(f"/aduan/{complaint_id}")).text
            assert 'id="sending"' not in page
            listed = page.split('id="files"')[1].split("</ul>")[0]
            assert "Foto 1" in listed and "Dokumen 2" in listed and "petugas" in listed.lower()
            got_photo = await http.get(f"/aduan/{complaint_id}/berkas/{kept[0].id}")
            got_pdf = await http.get(f"/aduan/{complaint_id}/berkas/{kept[1].id}")
        assert Image.open(io.BytesIO(got_photo.content)).size == (64, 48)
        assert len(PdfReader(io.BytesIO(got_pdf.content)).pages) == 1


@pytest.mark.parametrize(
    ("files", "says"),
    [
        ([("alat.exe", b"MZ\x90\x00" + b"\x00" * 200, "application/pdf")], "tidak dapat dikirim"),
        ([("surat.pdf", b"bukan pdf, hanya teks", "application/pdf")], "tidak dapat dikirim"),
        ([("arsip.docx", b"PK\x03\x04" + b"\x00" * 60, "application/msword")], "tidak dapat"),
        ([("besar.jpg", b"\xff\xd8\xff" + b"\x00" * MAX_UPLOAD_BYTES, "image/jpeg")], "besar"),
        ([("kosong.pdf", b"", "application/pdf")], "kosong"),
        ([(f"f{n}.pdf", b"%PDF-1.4 x", "application/pdf") for n in range(6)], "paling banyak 5"),
    ],
    ids=["program", "text as pdf", "zip as docx", "over 10 MB", "empty", "six files"],
)
async def test_a_file_that_may_not_be_sent_is_refused_and_nothing_is_sent(
    database_url: str, files: list[tuple[str, bytes, str]], says: str
) -> None:
    async with web_harness(database_url) as harness:
        emu = harness.emulator
        _admin, rina, _dedi = await _setup_organizers(emu)
        siti = emu.user(301, "Siti Aminah", "id")
        complaint_id = await _complaint_of(harness, siti)
        before = len(emu.messages(siti))
        good = [("surat.pdf", _pdf(), "application/pdf")]
        answer = await _respond(harness, rina.id, complaint_id, _files(*good, *files)[-6:])
        assert answer.status_code == 400
        error = answer.text.split('id="error">')[1].split("</p>")[0]
        assert says in error
        assert 'id="state">Baru<' in answer.text  # the action was not taken
        async with _db(harness).session() as session:
            complaint = await session.get(Complaint, complaint_id)
            assert complaint is not None and complaint.state == "baru"
        assert await _uploads_left(harness) == 0
        assert len(emu.messages(siti)) == before


async def test_files_only_with_a_reply_or_a_question(database_url: str) -> None:
    async with web_harness(database_url) as harness:
        emu = harness.emulator
        _admin, rina, _dedi = await _setup_organizers(emu)
        siti = emu.user(301, "Siti Aminah", "id")
        complaint_id = await _complaint_of(harness, siti)
        pdf = _files(("surat.pdf", _pdf(), "application/pdf"))
        answer = await _respond(harness, rina.id, complaint_id, pdf, action="reject")
        assert answer.status_code == 400 and "hanya dapat dilampirkan" in answer.text
        assert await _uploads_left(harness) == 0


async def test_a_body_over_the_limit_is_refused_before_it_is_read(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web_app, "MAX_UPLOAD_BODY", 256 * 1024)
    async with web_harness(database_url) as harness:
        emu = harness.emulator
        _admin, rina, _dedi = await _setup_organizers(emu)
        siti = emu.user(301, "Siti Aminah", "id")
        complaint_id = await _complaint_of(harness, siti)
        before = len(emu.messages(siti))
        big = _files(("foto.jpg", b"\xff\xd8\xff" + b"\x00" * 300 * 1024, "image/jpeg"))
        answer = await _respond(harness, rina.id, complaint_id, big)
        assert answer.status_code == 413 and "terlalu besar" in answer.text
        # The same body in chunks, with no Content-Length to refuse it by.
        cookies = session_cookie(harness, rina.id)
        request = httpx.Request(
            "POST",
            "http://x/",
            data={"csrf": csrf_of(harness, cookies), "action": "reply", "note": NOTE},
            files=big,
        )
        body, kind = request.read(), request.headers["content-type"]

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(body), 64 * 1024):
                yield body[start : start + 64 * 1024]

        async with client(harness, cookies) as http:
            answer = await http.post(
                f"/aduan/{complaint_id}/tindakan",
                content=chunks(),
                headers={"content-type": kind},
            )
        assert answer.status_code == 413 and "terlalu besar" in answer.text
        assert len(emu.messages(siti)) == before and await _uploads_left(harness) == 0


async def test_a_restart_between_the_commit_and_the_send_still_delivers(
    database_url: str,
) -> None:
    async with web_harness(database_url) as harness:
        emu = harness.emulator
        _admin, rina, _dedi = await _setup_organizers(emu)
        siti = emu.user(301, "Siti Aminah", "id")
        complaint_id = await _complaint_of(harness, siti)
        # Telegram turns the reply away for a while, so that nothing of it has gone out when
        # the process dies.
        emu.force_429(1, retry_after=3, chat_id=siti.id)
        photo = _jpeg()
        answer = await _respond(
            harness, rina.id, complaint_id, _files(("foto.jpg", photo, "image/jpeg"))
        )
        assert answer.status_code == 303
        await emu.wait_until(lambda: not emu._forced_429_to.get(siti.id))
        assert _file_messages(emu, siti) == [] and await _uploads_left(harness) == 1
        # Meanwhile the complaint page says the file is on its way.
        async with client(harness, session_cookie(harness, rina.id)) as http:
            page = (await http.get(f"/aduan/{complaint_id}")).text
        assert "foto.jpg" in page.split('id="sending"')[1].split("</ul>")[0]
        assert "sedang dikirim" in page
        await harness.restart(crash=True)
        await emu.wait_until(lambda: len(_file_messages(emu, siti)) == 1, timeout=20)
        assert _file_messages(emu, siti)[0].file_bytes == photo
        assert sum(NOTE in text for text in emu.texts(siti)) == 1
        assert await _all_uploads_sent(harness)


# -- login limits -------------------------------------------------------------------------------


async def test_login_links_are_limited_per_person_and_hour(database_url: str) -> None:
    async with web_harness(database_url) as harness:
        emu = harness.emulator
        _admin, rina, dedi = await _setup_organizers(emu)
        for _ in range(web_service.LINKS_PER_HOUR):
            assert "/masuk/" in text_of(await say(emu, rina, "/masuk"))
        refused = text_of(await say(emu, rina, "/masuk"))
        assert "/masuk/" not in refused and "sudah meminta 5 tautan" in refused
        # Someone else still gets one.
        assert "/masuk/" in text_of(await say(emu, dedi, "/masuk"))
        async with _db(harness).session() as session:
            audited = (
                await session.exec(
                    select(AuditEntry).where(AuditEntry.action == "web_login_link_refused")
                )
            ).all()
        assert [entry.actor_id for entry in audited] == [rina.id]


async def _use_token(http: httpx.AsyncClient, token: str, address: str) -> httpx.Response:
    await http.get("/")
    csrf = re.search(r'name="csrf" value="([^"]+)"', (await http.get(f"/masuk/{token}")).text)
    assert csrf is not None
    return await http.post(
        f"/masuk/{token}", data={"csrf": csrf.group(1)}, headers={"x-forwarded-for": address}
    )


async def test_bad_login_tokens_are_limited_per_address(database_url: str) -> None:
    async with web_harness(database_url) as harness:
        emu = harness.emulator
        _admin, rina, _dedi = await _setup_organizers(emu)
        async with client(harness) as http:
            for number in range(web_service.BAD_TOKENS_PER_WINDOW):
                answer = await _use_token(http, f"tebakan-{number}", "203.0.113.7")
                assert answer.status_code == 403 and "tidak berlaku" in answer.text
            # Over the limit even a good link is not looked at (and not spent).
            good = re.search(r"/masuk/([A-Za-z0-9_-]+)", text_of(await say(emu, rina, "/masuk")))
            assert good is not None
            answer = await _use_token(http, good.group(1), "203.0.113.7")
            assert answer.status_code == 429 and "Terlalu banyak percobaan" in answer.text
        # From another address the same link works.
        async with client(harness) as http:
            answer = await _use_token(http, good.group(1), "198.51.100.20")
            assert answer.status_code == 303 and answer.headers["location"] == "/aduan"
        async with _db(harness).session() as session:
            attempts = (await session.exec(select(WebAttempt))).all()
        assert len(attempts) == web_service.BAD_TOKENS_PER_WINDOW
        assert all("203.0.113.7" not in a.subject for a in attempts)  # a keyed hash only
        # Ten minutes later the address may try again.
        core = door(harness).core
        real = core.clock
        core.clock = lambda: real() + web_service.ATTEMPT_WINDOW
        try:
            async with client(harness) as http:
                answer = await _use_token(http, "tebakan-lagi", "203.0.113.7")
                assert answer.status_code == 403 and "tidak berlaku" in answer.text
        finally:
            core.clock = real


async def test_bad_launch_data_is_limited_per_address(database_url: str) -> None:
    async with web_harness(database_url) as harness:
        emu = harness.emulator
        _admin, rina, _dedi = await _setup_organizers(emu)
        token = door(harness)._token

        async def launch(http: httpx.AsyncClient, data: str, address: str) -> httpx.Response:
            await http.get("/")
            return await http.post(
                "/masuk/telegram",
                data={"init_data": data, "csrf": csrf_of(harness, dict(http.cookies))},
                headers={"x-forwarded-for": address},
            )

        forged = launch_data("654321:OTHER-token", rina.id)
        async with client(harness) as http:
            for _ in range(web_service.BAD_LAUNCHES_PER_WINDOW):
                answer = await launch(http, forged, "203.0.113.9")
                assert answer.status_code == 403 and "tidak sah" in answer.json()["message"]
            answer = await launch(http, launch_data(token, rina.id), "203.0.113.9")
            assert answer.status_code == 429
            assert "Terlalu banyak percobaan" in answer.json()["message"]
        async with _db(harness).session() as session:
            limited = (
                await session.exec(
                    select(AuditEntry).where(AuditEntry.action == "web_login_limited")
                )
            ).all()
        assert [entry.subject_id for entry in limited] == [rina.id]
        async with client(harness) as http:
            answer = await launch(http, launch_data(token, rina.id), "198.51.100.21")
            assert answer.status_code == 200 and answer.json() == {"ok": True, "next": "/aduan"}


# -- the session cookie -------------------------------------------------------------------------


def _cookie_attributes(response: httpx.Response) -> set[str]:
    header = response.headers["set-cookie"]
    return {part.strip().lower() for part in header.split(";")[1:]}


async def test_over_https_the_cookie_works_inside_telegram_webs_frame(
    database_url: str,
) -> None:
    async with web_harness(database_url, WEB_BASE_URL="https://suara.example.go.id") as harness:
        _admin, rina, _dedi = await _setup_organizers(harness.emulator)
        async with client(harness) as http:
            answer = await http.get("/")
            attributes = _cookie_attributes(answer)
            assert {"samesite=none", "secure", "partitioned", "httponly"} <= attributes
            visitor = {COOKIE: http.cookies[COOKIE]}
        # (httpx keeps a Secure cookie from this test's plain-http address: given by hand.)
        async with client(harness, visitor) as http:
            good = launch_data(door(harness)._token, rina.id)
            login = await http.post(
                "/masuk/telegram", data={"init_data": good, "csrf": csrf_of(harness, visitor)}
            )
            assert login.status_code == 200
            assert {"samesite=none", "secure", "partitioned"} <= _cookie_attributes(login)
        # The CSRF token still guards every post, whatever SameSite lets through.
        cookies = session_cookie(harness, rina.id)
        async with client(harness, cookies) as http:
            forged = await http.post("/aduan/1/tindakan", data={"action": "verify"})
            assert forged.status_code == 403
            out = await http.post("/keluar", data={"csrf": csrf_of(harness, cookies)})
            assert {"samesite=none", "secure", "partitioned"} <= _cookie_attributes(out)


async def test_over_plain_http_the_cookie_stays_lax(database_url: str) -> None:
    async with web_harness(database_url) as harness:
        async with client(harness) as http:
            attributes = _cookie_attributes(await http.get("/"))
        assert "samesite=lax" in attributes and "httponly" in attributes
        assert "secure" not in attributes and "partitioned" not in attributes


def test_a_docx_is_sent_as_a_document() -> None:
    from bot.services.uploads import Upload, check

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", "<w:document/>")
    checked = check([Upload("C:\\Users\\rina\\Laporan tindak lanjut.docx", out.getvalue())])
    assert [(c.kind, c.name) for c in checked] == [("document", "Laporan tindak lanjut.docx")]
