"""Both languages have every text, with the same placeholders, and every text used exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.i18n import LANGUAGES, Texts, load_catalog, placeholders

PACKAGE = Path(__file__).resolve().parent.parent / "bot"
_USED = re.compile(r"""\bt\(\s*["']([a-z0-9_.]+)["']""")


def test_every_key_is_in_every_language_with_the_same_placeholders() -> None:
    catalogs = {language: load_catalog(language) for language in LANGUAGES}
    reference = catalogs["id"]
    for language, catalog in catalogs.items():
        assert set(catalog) == set(reference), f"{language}: keys differ"
        for key, text in catalog.items():
            assert text.strip(), f"{language}: {key} is empty"
            assert placeholders(text) == placeholders(reference[key]), f"{language}: {key}"


def test_every_key_the_code_uses_exists() -> None:
    keys = set(load_catalog("id"))
    used = {
        key for path in PACKAGE.rglob("*.py") for key in _USED.findall(path.read_text("utf-8"))
    }
    assert used, "the scan found no texts at all"
    assert used <= keys, f"missing texts: {sorted(used - keys)}"


def test_a_missing_key_is_an_error_not_a_silent_blank() -> None:
    import zoneinfo

    t = Texts("id", zoneinfo.ZoneInfo("Asia/Jakarta")).for_language("id")
    with pytest.raises(KeyError):
        t("no.such.key")


def test_values_are_escaped_and_formatted_for_the_locale() -> None:
    import datetime as dt
    import zoneinfo

    texts = Texts("id", zoneinfo.ZoneInfo("Asia/Jakarta"))
    t_id, t_en = texts.for_language("id"), texts.for_language("en")
    assert t_id.number(1234567.5) == "1.234.567,5"
    assert t_en.number(1234567.5) == "1,234,567.5"
    moment = dt.datetime(2026, 3, 1, 20, 30, tzinfo=dt.UTC)
    assert t_id.datetime(moment) == "2 Mar 2026 03.30 WIB"
    # A moment that carries its place's zone is shown there, the zone named.
    assert t_en.datetime(moment.astimezone(zoneinfo.ZoneInfo("Asia/Makassar"))) == (
        "2 Mar 2026 04.30 WITA"
    )
    assert t_id.datetime(moment.astimezone(zoneinfo.ZoneInfo("Asia/Jayapura"))) == (
        "2 Mar 2026 05.30 WIT"
    )
    assert t_id.date(dt.date(2026, 8, 17)) == "17 Agu 2026"
    assert t_en.date(dt.date(2026, 8, 17)) == "17 Aug 2026"


def test_language_choice_order() -> None:
    import zoneinfo

    texts = Texts("id", zoneinfo.ZoneInfo("Asia/Jakarta"))
    assert texts.choose("en", "id") == "en"
    assert texts.choose(None, "en-US") == "en"
    assert texts.choose(None, "ms") == "id"
    assert texts.choose(None, "de") == "id"
    assert texts.choose(None, None) == "id"


def test_no_english_text_puts_a_plural_noun_after_a_number() -> None:
    # "1 reports": a count is written as "reports: {count}", right for one and for many.
    plural_after_count = re.compile(r"\{(count|total|shown)\} [A-Za-z]+s\b")
    for key, text in load_catalog("en").items():
        assert not plural_after_count.search(text), f"{key}: {text}"


def test_the_shipped_categories_have_english_names() -> None:
    import zoneinfo

    from bot.config import DEFAULT_CATEGORIES

    texts = Texts("id", zoneinfo.ZoneInfo("Asia/Jakarta"))
    english = texts.for_language("en")
    for name in DEFAULT_CATEGORIES:
        assert english.category(name) != name
        assert texts.for_language("id").category(name) == name
    assert english.category("Kebersihan Pasar") == "Kebersihan Pasar"  # configured: as it is
