"""The admin pages of the workspace over HTTP against the running bot: units added, renamed and
deactivated; an invitation made on the page and redeemed in the chat; an organizer removed and
their web session refused at once; a reporter's limit lifted and a ban set and lifted, without
the reporter's identity; the audit log filtered and downloaded; and everyone but admins refused.
"""

from __future__ import annotations

import html
import io
import os
import re
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from sqlmodel import select

from bot.services import complaints as complaint_service
from bot.storage.audit import AuditEntry
from bot.storage.complaints import Complaint
from bot.storage.models import User
from bot.storage.places import place_by_code
from tests.conftest import ADMIN_ID
from tests.e2e.helpers import onboard, say, text_of
from tests.e2e.test_complaints import _db, _file, _setup_organizers, _wait_text
from tests.web.helpers import base_url, client, csrf_of, session_cookie, web_harness


def _text(page: httpx.Response) -> str:
    """The page's text with its markup's entities read back (names with « » or &)."""
    return html.unescape(page.text)


def _entries(page: httpx.Response) -> str:
    """The audit page's list of entries only (the filter's options name actions too)."""
    found = re.search(r'<ul class="rows history" id="entries">(.*?)</ul>', page.text, re.S)
    assert found is not None, page.text
    return html.unescape(found.group(1))


def _polite_no(answer: httpx.Response) -> bool:
    """A refusal in words: units say only admins manage them, the others that it is not
    available to this person."""
    said = _text(answer)
    return "Hanya admin" in said or "tidak tersedia untuk Anda" in said


async def _post(http: httpx.AsyncClient, csrf: str, path: str, **form: str) -> httpx.Response:
    return await http.post(path, data={"csrf": csrf, **form})


def _done(answer: httpx.Response, path: str, done: str) -> None:
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"{path}?done={done}"


async def _actions(harness: object) -> list[str]:
    async with _db(harness).session() as session:  # type: ignore[arg-type]
        entries = (await session.exec(select(AuditEntry).order_by(AuditEntry.id))).all()
        return [e.action for e in entries]


async def test_an_admin_adds_renames_and_deactivates_a_unit_and_manages_its_organizer(
    database_url: str,
) -> None:
    async with web_harness(database_url) as harness:
        emu = harness.emulator
        admin, _rina, _dedi = await _setup_organizers(emu)
        cookies = session_cookie(harness, admin.id)
        csrf = csrf_of(harness, cookies)
        async with client(harness, cookies) as http:
            inbox = await http.get("/aduan")
            assert 'id="admin-link"' in inbox.text  # the bar offers the admin pages
            for other in ("/program", "/laporan"):  # on every page of the workspace
                assert 'id="admin-link"' in (await http.get(other)).text, other
            page = _text(await http.get("/admin/unit"))
            assert "Dinas Kependudukan dan Pencatatan Sipil" in page and "1 penyelenggara" in page

            # Add a unit: refused politely while the form is wrong, then added.
            refused = await _post(http, csrf, "/admin/unit", code="", name="Dinas X", region="LSL")
            assert refused.status_code == 400 and "Kode unit terdiri dari" in _text(refused)
            refused = await _post(
                http, csrf, "/admin/unit", code="LSL-DUKCAPIL", name="Dinas Lain", region="LSL"
            )
            assert refused.status_code == 400 and "sudah dipakai" in _text(refused)
            added = await _post(
                http,
                csrf,
                "/admin/unit",
                code="lsl-dishub",
                name="Dinas Perhubungan",
                region="LSL",
            )
            _done(added, "/admin/unit", "added")
            found = _text(
                await http.get("/admin/unit", params={"q": "perhubungan", "done": "added"})
            )
            assert "Unit sudah ditambahkan" in found and "LSL-DISHUB" in found
            assert "0 penyelenggara" in found and "Dinas Kependudukan" not in found
            async with _db(harness).session() as session:
                unit = await place_by_code(session, "LSL-DISHUB")
                assert unit is not None and unit.id is not None and unit.active
                unit_id = unit.id

            renamed = await _post(
                http, csrf, f"/admin/unit/{unit_id}", action="rename", name="Dinas Perhubungan Kab"
            )
            _done(renamed, "/admin/unit", "renamed")
            forged = await _post(http, csrf, "/admin/unit/999999", action="rename", name="Dinas Y")
            assert forged.status_code == 404 and "Unit tidak ditemukan" in _text(forged)
            unknown = await _post(http, csrf, f"/admin/unit/{unit_id}", action="hapus")
            assert unknown.status_code == 400 and "tidak dikenal" in _text(unknown)

            # An invitation for the new unit, made on the page, works in the chat.
            made = await _post(http, csrf, "/admin/staf/undangan", unit=str(unit_id))
            assert made.status_code == 200
            link = re.search(
                r"https://t\.me/[A-Za-z0-9_]+\?start=(staf_[A-Za-z0-9_-]+)", made.text
            )
            assert link is not None and "Dinas Perhubungan Kab" in _text(made)
            assert "Undangan yang masih berlaku" in made.text and 'id="invite-' in made.text
            wati = emu.user(7301, "Wati", "id")
            await onboard(emu, wati, "asn")
            welcome = text_of(await say(emu, wati, f"/start {link.group(1)}"))
            assert "sekarang penyelenggara untuk" in welcome and "Dinas Perhubungan Kab" in welcome
            await _wait_text(emu, admin, "menerima undangan Anda")
            async with client(harness, session_cookie(harness, wati.id)) as wati_http:
                assert (await wati_http.get("/aduan")).status_code == 200
                # Used once: the same link does nothing for anyone else.
                other = emu.user(7302, "Joko", "id")
                await onboard(emu, other, "asn")
                assert "tidak berlaku" in text_of(await say(emu, other, f"/start {link.group(1)}"))

                staff = _text(await http.get("/admin/staf"))
                assert "Wati" in staff and "Dinas Perhubungan Kab" in staff
                removed = await _post(
                    http, csrf, f"/admin/staf/{wati.id}", action="remove", unit=str(unit_id)
                )
                _done(removed, "/admin/staf", "removed")
                # Her session is refused at once, and she is told.
                assert (await wati_http.get("/aduan")).status_code == 403
                await _wait_text(emu, wati, "tidak lagi menjadi penyelenggara")
                again = await _post(
                    http, csrf, f"/admin/staf/{wati.id}", action="remove", unit=str(unit_id)
                )
                assert again.status_code == 400 and "sudah tidak berlaku" in _text(again)
                founding = await _post(http, csrf, f"/admin/staf/{ADMIN_ID}", action="dismiss")
                assert founding.status_code == 400

            # An invitation revoked is gone from the list and cannot be revoked again.
            await _post(http, csrf, "/admin/staf/undangan", unit="admin")
            staff = (await http.get("/admin/staf")).text
            invite_id = re.search(r'id="invite-(\d+)"', staff)
            assert invite_id is not None
            revoked = await _post(http, csrf, f"/admin/staf/undangan/{invite_id.group(1)}")
            _done(revoked, "/admin/staf", "revoked")
            twice = await _post(http, csrf, f"/admin/staf/undangan/{invite_id.group(1)}")
            assert twice.status_code == 404 and "sudah tidak berlaku" in _text(twice)
            assert (await _post(http, csrf, "/admin/staf/undangan")).status_code == 400

            # Deactivated: invitations to it are refused as in the chat, and it is marked.
            _done(
                await _post(http, csrf, f"/admin/unit/{unit_id}", action="deactivate"),
                "/admin/unit",
                "deactivated",
            )
            twice = await _post(http, csrf, f"/admin/unit/{unit_id}", action="deactivate")
            assert twice.status_code == 400 and "sudah nonaktif" in _text(twice)
            refused = await _post(http, csrf, "/admin/staf/undangan", unit=str(unit_id))
            assert refused.status_code == 400 and "sudah tidak aktif" in _text(refused)
            listed = _text(await http.get("/admin/unit", params={"q": "perhubungan"}))
            assert "Aktifkan" in listed or "Nonaktif" in listed
            # Without the form's token nothing happens.
            for form in ({}, {"csrf": "wrong"}):
                answer = await http.post(
                    f"/admin/unit/{unit_id}", data={**form, "action": "reactivate"}
                )
                assert answer.status_code == 403 and "sudah usang" in _text(answer)
            async with _db(harness).session() as session:
                unit = await place_by_code(session, "LSL-DISHUB")
                assert (
                    unit is not None and not unit.active and unit.name == "Dinas Perhubungan Kab"
                )

            # The audit log shows these actions, newest first, and filters them.
            log = _entries(await http.get("/admin/audit"))
            assert (
                log.index("menonaktifkan unit")
                < log.index("mengganti nama unit")
                < log.index("menambah unit")
            )
            assert "mengeluarkan penyelenggara" in log and "membuat undangan" in log
            renames = _entries(await http.get("/admin/audit", params={"action": "unit_renamed"}))
            assert renames.count("<li>") == 1 and "Dinas Perhubungan Kab" in renames
            units = _entries(await http.get("/admin/audit", params={"kind": "unit"}))
            assert "menambah unit" in units and "mengeluarkan penyelenggara" not in units
            by_wati = _entries(await http.get("/admin/audit", params={"actor": str(wati.id)}))
            assert "Belum ada tindakan" in by_wati
            later = _entries(await http.get("/admin/audit", params={"from": "2999-01-01"}))
            assert "Belum ada tindakan" in later
            today = harness.runner.application.bot_data.core.moment().today  # type: ignore[union-attr]
            window = {"from": today.isoformat(), "to": today.isoformat(), "kind": "unit"}
            assert "menambah unit" in _entries(await http.get("/admin/audit", params=window))
            bad = await http.get("/admin/audit", params={"from": "3 Desember"})
            assert bad.status_code == 400 and "TTTT-BB-HH" in _text(bad)
            assert (await http.get("/admin/audit", params={"page": "abc"})).status_code == 200

            # The download carries the filtered log in the chat's workbook, and is audited.
            download = await http.get("/admin/audit.xlsx", params={"kind": "unit"})
            assert download.status_code == 200
            assert "log-audit.xlsx" in download.headers["content-disposition"]
            sheet = load_workbook(io.BytesIO(download.content)).active
            assert sheet is not None
            cells = [
                " ".join(str(c) for c in row if c is not None)
                for row in sheet.iter_rows(values_only=True)
            ]
            body = "\n".join(cells)
            for action in ("menambah unit", "mengganti nama unit", "menonaktifkan unit"):
                assert action in body
            assert "mengeluarkan penyelenggara" not in body
        assert (await _actions(harness))[-1] == "export_audit"


async def test_limits_on_reporters_and_bans_without_the_reporters_identity(
    database_url: str,
) -> None:
    async with web_harness(database_url) as harness:
        emu = harness.emulator
        admin, rina, _dedi = await _setup_organizers(emu)
        siti = emu.user(7401, "Siti Aminah", "id")
        await onboard(emu, siti)
        ticket = await _file(emu, siti, privacy="anonim", photos=0)
        async with _db(harness).session() as session:
            complaint = (
                await session.exec(select(Complaint).where(Complaint.ticket == ticket))
            ).one()
            await complaint_service.block_for_unit(
                session,
                complaint=complaint,
                actor_id=rina.id,
                actor_role="organizer",
                reason="Mengirim aduan berulang",
                settings=harness.runner.application.bot_data.settings,  # type: ignore[union-attr]
            )
            await session.commit()
        cookies = session_cookie(harness, admin.id)
        csrf = csrf_of(harness, cookies)
        async with client(harness, cookies) as http:
            page = await http.get("/admin/batasan")
            shown = _text(page)
            assert ticket in shown and "Mengirim aduan berulang" in shown
            assert "Siti" not in shown and str(siti.id) not in shown  # never who it is
            block_id = re.search(r'id="limit-(\d+)"', page.text)
            assert block_id is not None
            lifted = await _post(http, csrf, f"/admin/batasan/{block_id.group(1)}")
            _done(lifted, "/admin/batasan", "lifted")
            assert ticket not in _text(await http.get("/admin/batasan"))
            twice = await _post(http, csrf, f"/admin/batasan/{block_id.group(1)}")
            assert twice.status_code == 404 and "sudah dicabut" in _text(twice)
            forged = await _post(http, csrf, "/admin/batasan/999999")
            assert forged.status_code == 404

            # Bans by Telegram id, as /blokir does; admins cannot be banned.
            refused = await _post(http, csrf, "/admin/blokir", action="ban", user="7402x")
            assert refused.status_code == 400 and "angka saja" in _text(refused)
            refused = await _post(http, csrf, "/admin/blokir", action="ban", user="")
            assert refused.status_code == 400
            refused = await _post(http, csrf, "/admin/blokir", action="ban", user=str(ADMIN_ID))
            assert refused.status_code == 400 and "tidak dapat diblokir" in _text(refused)
            stranger = await _post(http, csrf, "/admin/blokir", action="ban", user="123456")
            assert stranger.status_code == 400 and "belum pernah memakai" in _text(stranger)
            banned = await _post(http, csrf, "/admin/blokir", action="ban", user=str(siti.id))
            _done(banned, "/admin/batasan", "banned")
            assert f'name="user" value="{siti.id}"' in (await http.get("/admin/batasan")).text
            async with _db(harness).session() as session:
                user = await session.get(User, siti.id)
                assert user is not None and user.banned
            unbanned = await _post(http, csrf, "/admin/blokir", action="unban", user=str(siti.id))
            _done(unbanned, "/admin/batasan", "unbanned")
            async with _db(harness).session() as session:
                user = await session.get(User, siti.id)
                assert user is not None and not user.banned

            log = _entries(await http.get("/admin/audit", params={"kind": "complaint"}))
            assert "membatasi pelapor" in log and "mencabut batasan pelapor" in log
            assert "Siti" not in log
            bans = _entries(await http.get("/admin/audit", params={"action": "ban"}))
            assert bans.count("<li>") == 1 and "memblokir" in bans

            # In the admin's own language once they choose English.
            async with _db(harness).session() as session:
                me = await session.get(User, admin.id)
                assert me is not None
                me.language = "en"
                session.add(me)
                await session.commit()
            english = _text(await http.get("/admin/batasan"))
            assert "Reporter limits and bans" in english and "Nobody is banned." in english
            refused = await _post(http, csrf, "/admin/blokir", action="ban", user="x")
            assert refused.status_code == 400 and "digits only" in _text(refused)
        assert (await _actions(harness))[-2:] == ["ban", "unban"]


async def test_organizers_and_citizens_are_refused_on_every_admin_page(database_url: str) -> None:
    async with web_harness(database_url) as harness:
        emu = harness.emulator
        _admin, rina, _dedi = await _setup_organizers(emu)
        siti = emu.user(7501, "Siti", "id")
        await onboard(emu, siti)
        async with _db(harness).session() as session:
            unit = await place_by_code(session, "LSL-DUKCAPIL")
            assert unit is not None and unit.id is not None
            unit_id = unit.id
        before = await _actions(harness)
        for person in (rina, siti):
            cookies = session_cookie(harness, person.id)
            csrf = csrf_of(harness, cookies)
            async with client(harness, cookies) as http:
                if person is rina:
                    inbox = await http.get("/aduan")
                    assert inbox.status_code == 200 and 'id="admin-link"' not in inbox.text
                for path in ("/admin/unit", "/admin/staf", "/admin/batasan", "/admin/audit"):
                    answer = await http.get(path)
                    assert answer.status_code == 403 and _polite_no(answer)
                assert (await http.get("/admin/audit.xlsx")).status_code == 403
                posts = [
                    ("/admin/unit", {"code": "LSL-BARU", "name": "Dinas Baru", "region": "LSL"}),
                    (f"/admin/unit/{unit_id}", {"action": "deactivate"}),
                    ("/admin/staf/undangan", {"unit": str(unit_id)}),
                    (f"/admin/staf/{rina.id}", {"action": "remove", "unit": str(unit_id)}),
                    ("/admin/blokir", {"action": "ban", "user": str(siti.id)}),
                ]
                for path, form in posts:
                    answer = await _post(http, csrf, path, **form)
                    assert answer.status_code == 403, (person.first_name, path)
        assert await _actions(harness) == before  # nothing was done
        async with _db(harness).session() as session:
            unit = await place_by_code(session, "LSL-DUKCAPIL")
            assert unit is not None and unit.active
            assert await place_by_code(session, "LSL-BARU") is None


def _chromium() -> str:
    """The Chromium the browser tests use (as tests/web/test_browser.py), or a skip."""
    path = os.environ.get("SUARA_CHROMIUM", "/usr/bin/chromium")
    if not Path(path).exists():
        pytest.skip(f"no Chromium at {path} (apt-get install -y chromium) for the browser tests")
    return path


async def test_the_admin_pages_fit_a_phone_and_are_reached_from_the_bar(database_url: str) -> None:
    """In Chromium at 360 px (skipped, with the reason, where Playwright or Chromium is
    missing): the bar's Admin link, each section, a unit added through the form."""
    chromium_path = _chromium()
    driver = pytest.importorskip("playwright.async_api", reason="Playwright is not installed")
    async with web_harness(database_url) as harness:
        emu = harness.emulator
        admin, _rina, _dedi = await _setup_organizers(emu)
        said = text_of(await say(emu, admin, "/masuk"))
        token = re.search(r"/masuk/([A-Za-z0-9_-]+)", said)
        assert token is not None, said
        async with driver.async_playwright() as playwright:
            chromium = await playwright.chromium.launch(
                executable_path=chromium_path, args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                context = await chromium.new_context(
                    viewport={"width": 360, "height": 780}, locale="id-ID"
                )
                page = await context.new_page()
                await page.goto(f"{base_url(harness)}/masuk/{token.group(1)}")
                await page.click("#login")
                await page.wait_for_url("**/aduan")
                await page.click("#admin-link")
                await page.wait_for_url("**/admin/unit")
                await page.fill("#add-unit input[name=code]", "LSL-DISHUB")
                await page.fill("#add-unit input[name=name]", "Dinas Perhubungan")
                await page.select_option("#add-unit select", label="Kabupaten Lampung Selatan")
                await page.click("#add-unit button")
                await page.wait_for_selector("#done")
                await page.fill("input[name=q]", "perhubungan")
                await page.click("form.filters button")
                await page.wait_for_url("**/admin/unit?q=perhubungan")
                assert "Dinas Perhubungan" in await page.inner_text("#units")
                for section in ("Staf dan undangan", "Batasan dan blokir", "Log audit", "Unit"):
                    await page.click(f"nav.states >> text={section}")
                    await page.wait_for_selector("h1")
                    width = await page.evaluate("document.documentElement.scrollWidth")
                    assert width <= 360, (section, width)
                await page.click("nav.states >> text=Staf dan undangan")
                await page.select_option("#invite select", label="Admin (semua unit)")
                await page.click("#invite button")
                await page.wait_for_selector("#invite-link")
                assert "t.me/" in await page.input_value("#invite-link")
                assert await page.evaluate("document.documentElement.scrollWidth") <= 360
                await context.close()
            finally:
                await chromium.close()
