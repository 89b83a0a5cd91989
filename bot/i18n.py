"""Texts in locales/ (gettext catalogs read with Babel), language choice, and formatting.

The languages are the folders of locales/ that hold catalogs (`locales/<code>/LC_MESSAGES/*.po`):
a third folder adds a language to /bahasa, the command menu and the choice from Telegram's
language code. A text that counts something is a gettext plural: its `msgid_plural` names the
value it counts, its `msgstr[i]` are the forms of the language's plural categories in CLDR
order (zero, one, two, few, many, other; those the language has), and the form is chosen with
the language's plural rule (Babel's `Locale.plural_form`):

    msgid "program.extended"
    msgid_plural "days"
    msgstr[0] "The answering time was extended by {days} day."
    msgstr[1] "The answering time was extended by {days} days."

`t("program.extended", days=3)` or `t.plural("program.extended", 3)` then reads right.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import string
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.messages.pofile import PoFileError, read_po
from babel.numbers import format_decimal

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
# The regional variant whose dates and numbers a language's readers expect; any other
# language folder is read as the Babel locale of its name (`ms`, `jv`, `pt_BR`).
_BABEL_LOCALES = {"id": "id_ID", "en": "en_GB"}
_FOLDER = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
# Telegram language codes whose speakers read another language of ours best, when theirs has
# no catalog: Malay, Javanese and Sundanese speakers read Indonesian far better than English.
_NEAREST = {"ms": "id", "jv": "id", "su": "id", "min": "id", "ban": "id"}
_CATEGORY_ORDER = ("zero", "one", "two", "few", "many")


def available_languages(directory: Path | None = None) -> tuple[str, ...]:
    """The folders of `directory` (default: locales/) that hold catalogs, sorted by code."""
    directory = directory or LOCALES_DIR
    if not directory.is_dir():
        return ()
    return tuple(
        sorted(
            path.name
            for path in directory.iterdir()
            if _FOLDER.match(path.name) and any((path / "LC_MESSAGES").glob("*.po"))
        )
    )


def babel_locale(language: str) -> Locale:
    try:
        return Locale.parse(_BABEL_LOCALES.get(language, language))
    except (UnknownLocaleError, ValueError):
        raise ValueError(f"locales/{language}: not a language Babel knows") from None


def plural_categories(locale: Locale) -> tuple[str, ...]:
    """The language's plural categories in CLDR order: the order of a plural's msgstr[i]."""
    tags = locale.plural_form.tags
    return (*(tag for tag in _CATEGORY_ORDER if tag in tags), "other")


LANGUAGES = available_languages()


@dataclass(frozen=True)
class Plural:
    """A text with one form per plural category; `counted` names the value that picks it."""

    counted: str
    forms: tuple[str, ...]

    def strip(self) -> str:
        return "".join(form.strip() for form in self.forms)


Text = str | Plural


class Safe(str):
    """Text that is already HTML (a rendered fragment): placed as it is, not escaped again."""

    __slots__ = ()


def load_catalog(language: str, directory: Path | None = None) -> dict[str, Text]:
    """All catalogs of one language: `suara.po` and one file per feature beside it
    (`feedback.po`, ...), so that features keep their texts apart; a key may live in one only.
    A plural must have one form for each of the language's plural categories."""
    directory = directory or LOCALES_DIR
    categories = plural_categories(babel_locale(language))
    messages: dict[str, Text] = {}
    for path in sorted((directory / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            try:
                catalog = read_po(
                    handle, locale=_BABEL_LOCALES.get(language, language), abort_invalid=True
                )
            except PoFileError as exc:
                raise ValueError(f"{path}: {exc}") from None
        for message in catalog:
            if not (message.id and message.string):
                continue
            text: Text
            if isinstance(message.id, tuple | list):
                key, counted = str(message.id[0]), str(message.id[1])
                # Babel pads the forms to the header's nplurals with empty ones.
                forms = tuple(str(form) for form in message.string)
                while forms and not forms[-1]:
                    forms = forms[:-1]
                if len(forms) != len(categories) or not all(forms):
                    raise ValueError(
                        f"{path}: {key!r} needs {len(categories)} forms "
                        f"({', '.join(categories)}), has {len(forms)}"
                    )
                text = Plural(counted, forms)
            else:
                key, text = str(message.id), str(message.string)
            if key in messages:
                raise ValueError(f"text {key!r} is in more than one catalog ({path.name})")
            messages[key] = text
    return messages


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def placeholders(text: Text) -> set[str]:
    """The values a text takes (every form's, and the counted value, of a plural)."""
    if isinstance(text, Plural):
        names = {text.counted}
        for form in text.forms:
            names |= placeholders(form)
        return names
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Translator:
    """Renders texts of one language; every placeholder value is HTML-escaped unless Safe."""

    def __init__(self, language: str, messages: dict[str, Text], tz: ZoneInfo) -> None:
        self.language = language
        self.locale = babel_locale(language)
        self.categories = plural_categories(self.locale)
        self.tz = tz
        self._messages = messages

    def __call__(self, key: str, **values: object) -> str:
        """The text of `key` with its values; a plural in the form its counted value needs."""
        text = self._messages.get(key)
        if text is None:
            raise KeyError(f"no text {key!r} for language {self.language!r}")
        if isinstance(text, Plural):
            if text.counted not in values:
                raise KeyError(f"text {key!r} counts {text.counted!r}; no value given")
            text = text.forms[self.plural_index(values[text.counted])]
        if not values:
            return text
        return text.format(**{name: _escape(value) for name, value in values.items()})

    def plural(self, key: str, n: int | float | Decimal, **values: object) -> str:
        """A plural text for `n` of what it counts (its counted value set to `n`)."""
        text = self._messages.get(key)
        if not isinstance(text, Plural):
            raise KeyError(f"text {key!r} is not a plural in language {self.language!r}")
        return self(key, **{**values, text.counted: n})

    def plural_index(self, n: object) -> int:
        """Which form (msgstr[i]) a count takes in this language."""
        if isinstance(n, bool) or not isinstance(n, int | float | Decimal):
            raise TypeError(f"a count must be a number, not {n!r}")
        number: float | Decimal = n
        category = self.locale.plural_form(number if number >= 0 else -number)
        return self.categories.index(category) if category in self.categories else -1

    def has(self, key: str) -> bool:
        return key in self._messages

    def category(self, name: str) -> str:
        """A complaint category in this language: the deployment names its categories in
        Indonesian; the shipped ones have translations (`category.<slug>`), others stay."""
        text = self._messages.get(f"category.{slug(name)}", name)
        return text if isinstance(text, str) else name

    def number(self, value: float | int | Decimal, *, digits: int = 2) -> str:
        return format_decimal(value, format=f"#,##0.{'#' * digits}", locale=self.locale)

    def date(self, value: dt.date | dt.datetime) -> str:
        if isinstance(value, dt.datetime):
            value = value.astimezone(self.tz).date()
        return format_date(value, format="d MMM yyyy", locale=self.locale)

    def datetime(self, value: dt.datetime) -> str:
        """A moment with its zone named ("3 Des 2026 16.00 WIB"): in the zone the value
        carries when it is a named one (a program's, its unit's), else in the reader's."""
        zone = value.tzinfo if isinstance(value.tzinfo, ZoneInfo) else None
        if zone is None or zone.key == "UTC":
            zone = self.tz
        local = value.astimezone(zone)
        shown = format_datetime(local, "d MMM yyyy HH.mm", locale=self.locale)
        return f"{shown} {self.zone_name(local)}"

    def zone_name(self, local: dt.datetime) -> str:
        """The zone's everyday name (WIB, WITA, WIT), else its abbreviation or offset."""
        zone = local.tzinfo
        key = f"zone.{zone.key}" if isinstance(zone, ZoneInfo) else ""
        text = self._messages.get(key) if key else None
        if isinstance(text, str):
            return text
        return local.tzname() or format_datetime(local, "xxx", locale=self.locale)


def _escape(value: object) -> str:
    if isinstance(value, Safe):
        return value
    return html.escape(str(value), quote=False)


class Texts:
    """All catalogs, loaded once per application: every language with a folder in
    `directory`, the default one first."""

    def __init__(self, default_language: str, tz: ZoneInfo, directory: Path | None = None):
        directory = directory or LOCALES_DIR
        found = available_languages(directory)
        if default_language not in found:
            raise ValueError(
                f"default language {default_language!r} has no catalogs in {directory} "
                f"(found: {', '.join(found) or 'none'})"
            )
        self.default_language = default_language
        # The workspace's https address, where Mini App buttons lead (`keyboards.WebAppLink`);
        # None: such buttons are left out.
        self.web_app_base: str | None = None
        self.languages: tuple[str, ...] = (
            default_language,
            *(code for code in found if code != default_language),
        )
        self._translators = {
            language: Translator(language, load_catalog(language, directory), tz)
            for language in self.languages
        }

    def for_language(self, language: str | None) -> Translator:
        chosen = language if language in self._translators else self.default_language
        return self._translators[chosen or self.default_language]

    def choose(self, stored: str | None, telegram_code: str | None) -> str:
        """The user's stored choice, else Telegram's language_code (or the language its
        speakers read best), else the default."""
        if stored in self._translators:
            return stored
        if telegram_code:
            parts = telegram_code.replace("_", "-").split("-")
            base = parts[0].lower()
            regional = f"{base}_{parts[1].upper()}" if len(parts) > 1 else ""
            for code in (regional, base, _NEAREST.get(base, "")):
                if code in self._translators:
                    return code
        return self.default_language

    def for_user(self, stored: str | None, telegram_code: str | None) -> Translator:
        return self.for_language(self.choose(stored, telegram_code))
