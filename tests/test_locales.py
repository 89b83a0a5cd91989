"""Every language has every text, with the same placeholders, and every text used exists;
languages are the folders of locales/; plurals take the form their count needs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.i18n import LANGUAGES, Plural, Texts, load_catalog, placeholders

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
    # "1 reports", "1 days": a text that counts is a plural (or writes "reports: {count}").
    plural_after_count = re.compile(r"\{(count|total|shown|days|hours|n)\} [A-Za-z]+s\b")
    for key, text in load_catalog("en").items():
        if not isinstance(text, Plural):
            assert not plural_after_count.search(text), f"{key}: {text}"


def test_a_plural_text_is_plural_in_every_language() -> None:
    catalogs = {language: load_catalog(language) for language in LANGUAGES}
    plurals = {key for key, text in catalogs["id"].items() if isinstance(text, Plural)}
    assert plurals, "no plural texts at all"
    for language, catalog in catalogs.items():
        assert {k for k, v in catalog.items() if isinstance(v, Plural)} == plurals, language
        for key in plurals:
            assert catalog[key].counted == catalogs["id"][key].counted, f"{language}: {key}"


def test_the_shipped_categories_have_english_names() -> None:
    import zoneinfo

    from bot.config import DEFAULT_CATEGORIES

    texts = Texts("id", zoneinfo.ZoneInfo("Asia/Jakarta"))
    english = texts.for_language("en")
    for name in DEFAULT_CATEGORIES:
        assert english.category(name) != name
        assert texts.for_language("id").category(name) == name
    assert english.category("Kebersihan Pasar") == "Kebersihan Pasar"  # configured: as it is


def test_a_count_takes_the_plural_form_its_language_needs() -> None:
    import zoneinfo

    texts = Texts("id", zoneinfo.ZoneInfo("Asia/Jakarta"))
    t_id, t_en = texts.for_language("id"), texts.for_language("en")
    assert t_en("program.extended", days=1) == "The answering time was extended by 1 day."
    assert t_en("program.extended", days=2) == "The answering time was extended by 2 days."
    assert t_en.plural("program.action_extend", 1) == "⏳ Extend by 1 day"
    assert t_en.plural("level3.title", 3).endswith("3 alumni answered")
    assert t_en.plural("level3.title", 1).endswith("1 alumnus answered")
    # Indonesian nouns do not change with the count: one form.
    assert t_id("program.extended", days=1) == "Masa pengisian diperpanjang 1 hari."
    assert t_id("program.extended", days=2) == "Masa pengisian diperpanjang 2 hari."
    assert t_id.categories == ("other",) and t_en.categories == ("one", "other")
    with pytest.raises(KeyError):
        t_en("program.extended")  # the count is needed to choose
    with pytest.raises(KeyError):
        t_en.plural("menu.title", 2)  # not a plural


def _third_language(root: Path, code: str = "ms") -> Path:
    """locales/ with id, en and `code`: the English catalogs, a few texts translated."""
    import shutil

    source = Path(__file__).resolve().parent.parent / "locales"
    shutil.copytree(source, root, dirs_exist_ok=True)
    folder = root / code / "LC_MESSAGES"
    shutil.copytree(root / "en" / "LC_MESSAGES", folder)
    translated = {
        '"English"': '"Bahasa Melayu"',
        '"Language changed to English."': '"Bahasa ditukar kepada Bahasa Melayu."',
        '"Change language"': '"Tukar bahasa"',
        "nplurals=2; plural=(n != 1);": "nplurals=1; plural=0;",
    }
    for path in folder.glob("*.po"):
        text = path.read_text("utf-8").replace('"Language: en\\n"', f'"Language: {code}\\n"')
        for english, malay in translated.items():
            text = text.replace(english, malay)
        # Malay has one plural form: keep the English plural form only.
        text = re.sub(r'msgstr\[0\] (".*?")\nmsgstr\[1\] ', "msgstr[0] ", text, flags=re.S)
        path.write_text(text, "utf-8")
    (root / "README").write_text("not a language")  # ignored
    (root / "xx_empty").mkdir()  # no catalogs: not a language
    return root


def test_a_third_catalog_folder_is_a_language(tmp_path: Path) -> None:
    import zoneinfo

    root = _third_language(tmp_path / "locales")
    texts = Texts("id", zoneinfo.ZoneInfo("Asia/Jakarta"), root)
    assert texts.languages == ("id", "en", "ms")
    assert texts.choose(None, "ms-MY") == "ms"  # no longer read as Indonesian
    assert texts.choose(None, "jv") == "id"
    malay = texts.for_language("ms")
    assert malay("language.set") == "Bahasa ditukar kepada Bahasa Melayu."
    assert malay("program.extended", days=1).endswith("1 days.")  # one form, as in Malay
    assert malay.date(__import__("datetime").date(2026, 8, 17)) == "17 Ogo 2026"
    # The shipped folder alone: two languages, Malay speakers read Indonesian.
    assert Texts("id", zoneinfo.ZoneInfo("Asia/Jakarta")).choose(None, "ms") == "id"


def test_a_plural_with_the_wrong_number_of_forms_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "id" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "core.po").write_text(
        'msgid ""\nmsgstr ""\n"Language: id\\n"\n\n'
        'msgid "x.count"\nmsgid_plural "n"\nmsgstr[0] "{n} hari"\nmsgstr[1] "{n} hari"\n',
        "utf-8",
    )
    with pytest.raises(ValueError, match="num_plurals"):
        load_catalog("id", tmp_path)


def test_no_text_counts_its_own_step() -> None:
    """Step counters come from the flow (flow.step_counter); a text that writes its own
    number ("Langkah 2 dari 7") shows it twice, or wrong when a step is left out."""
    for language in LANGUAGES:
        for key, text in load_catalog(language).items():
            if key == "flow.step_counter":
                continue
            shown = text if isinstance(text, str) else " ".join(text.forms)
            assert not re.search(r"(Langkah|Step) \d+ (dari|of) \d+", shown), key
