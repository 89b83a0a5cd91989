"""Long texts are split into parts Telegram accepts: within the limit, valid HTML, all there."""

from __future__ import annotations

import html

import pytest

from bot.render import split_html, units
from bot.sandbox.emulator import _parse_html

USER = 'Antrean <panjang> & petugas "ramah" 👩‍💻 ' * 40  # escaped, it grows


def _check(parts: list[str], limit: int) -> str:
    visible = []
    for part in parts:
        text, error = _parse_html(part)
        assert error is None, (error, part[:200])
        assert units(part) <= limit and text.strip()
        visible.append(text)
    return "".join(visible)


@pytest.mark.parametrize("limit", [4096, 1024, 300])
def test_a_long_text_with_markup_and_entities_is_split_validly(limit: int) -> None:
    escaped = html.escape(USER, quote=False)
    text = (
        "<b>Laporan ADU-2026-000123</b>\n"
        + f"<i>Uraian:</i> {escaped}\n" * 3
        + "<b>Riwayat:</b>\n"
        + "\n".join(f"• <code>{n}</code> {escaped[:200]}" for n in range(30))
    )
    parts = split_html(text, limit)
    assert len(parts) > 1
    whole, _ = _parse_html(text)
    assert _check(parts, limit).replace("\n", "") == whole.replace("\n", "")


def test_a_short_text_is_left_alone() -> None:
    assert split_html("<b>Halo</b> &amp; selamat datang") == ["<b>Halo</b> &amp; selamat datang"]


def test_a_tag_spanning_the_cut_is_closed_and_opened_again() -> None:
    text = "<b>" + "kata " * 400 + "</b>"
    parts = split_html(text, 500)
    assert all(p.startswith("<b>") and p.endswith("</b>") for p in parts)
    _check(parts, 500)


def test_emoji_count_twice() -> None:
    text = "😀" * 3000  # 6,000 UTF-16 units
    parts = split_html(text)
    assert len(parts) == 2 and all(units(p) <= 4096 for p in parts)
