"""Texts in locales/ (gettext catalogs read with Babel), language choice, and formatting."""

from __future__ import annotations

import datetime as dt
import html
import re
import string
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = ("id", "en")
_BABEL_LOCALES = {"id": "id_ID", "en": "en_GB"}


class Safe(str):
    """Text that is already HTML (a rendered fragment): placed as it is, not escaped again."""

    __slots__ = ()


def load_catalog(language: str, directory: Path = LOCALES_DIR) -> dict[str, str]:
    """All catalogs of one language: `suara.po` and one file per feature beside it
    (`feedback.po`, ...), so that features keep their texts apart; a key may live in one only."""
    messages: dict[str, str] = {}
    for path in sorted((directory / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        for message in catalog:
            if not (message.id and message.string):
                continue
            key = str(message.id)
            if key in messages:
                raise ValueError(f"text {key!r} is in more than one catalog ({path.name})")
            messages[key] = str(message.string)
    return messages


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Translator:
    """Renders texts of one language; every placeholder value is HTML-escaped unless Safe."""

    def __init__(self, language: str, messages: dict[str, str], tz: ZoneInfo) -> None:
        self.language = language
        self.locale = Locale.parse(_BABEL_LOCALES[language])
        self.tz = tz
        self._messages = messages

    def __call__(self, key: str, **values: object) -> str:
        text = self._messages.get(key)
        if text is None:
            raise KeyError(f"no text {key!r} for language {self.language!r}")
        if not values:
            return text
        return text.format(**{name: _escape(value) for name, value in values.items()})

    def has(self, key: str) -> bool:
        return key in self._messages

    def category(self, name: str) -> str:
        """A complaint category in this language: the deployment names its categories in
        Indonesian; the shipped ones have translations (`category.<slug>`), others stay."""
        return self._messages.get(f"category.{slug(name)}", name)

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
        if key and key in self._messages:
            return self._messages[key]
        return local.tzname() or format_datetime(local, "xxx", locale=self.locale)


def _escape(value: object) -> str:
    if isinstance(value, Safe):
        return value
    return html.escape(str(value), quote=False)


class Texts:
    """All catalogs, loaded once per application."""

    def __init__(self, default_language: str, tz: ZoneInfo, directory: Path = LOCALES_DIR):
        self.default_language = default_language
        self._translators = {
            language: Translator(language, load_catalog(language, directory), tz)
            for language in LANGUAGES
        }

    def for_language(self, language: str | None) -> Translator:
        return self._translators[language if language in LANGUAGES else self.default_language]

    def choose(self, stored: str | None, telegram_code: str | None) -> str:
        """The user's stored choice, else Telegram's language_code, else the default."""
        if stored in LANGUAGES:
            return stored
        if telegram_code:
            base = telegram_code.split("-")[0].lower()
            if base in LANGUAGES:
                return base
            # Malay speakers read Indonesian far better than English.
            if base == "ms":
                return "id"
        return self.default_language

    def for_user(self, stored: str | None, telegram_code: str | None) -> Translator:
        return self.for_language(self.choose(stored, telegram_code))
