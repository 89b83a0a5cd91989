"""Settings read from the environment and an optional `.env` file."""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.i18n import available_languages

DEFAULT_TELEGRAM_API = "https://api.telegram.org"
DEFAULT_CATEGORIES = (
    "Administrasi Kependudukan",
    "Kesehatan",
    "Pendidikan",
    "Perizinan",
    "Infrastruktur dan Lingkungan",
    "Kepegawaian (ASN)",
    "Lainnya",
)


_DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def parse_schedule(value: str) -> tuple[int, dt.time]:
    """ "MON 07:00" -> (0, 07:00): the weekday (Monday 0) and the local time."""
    day, _, moment = value.strip().upper().partition(" ")
    try:
        at = dt.time.fromisoformat(moment.strip())
    except ValueError:
        at = None
    if day not in _DAYS or at is None:
        raise ValueError("write a weekday and a time, e.g. MON 07:00")
    return _DAYS.index(day), at


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Everything a deployment can set; see the README's configuration table."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str = Field(default=DEFAULT_TELEGRAM_API, alias="TELEGRAM_API_BASE_URL")
    database_url: str = Field(default="sqlite+aiosqlite:///./data/suara.db", alias="DATABASE_URL")
    bot_admin_ids: Annotated[list[int], NoDecode] = Field(default=[], alias="BOT_ADMIN_IDS")
    bot_timezone: str = Field(default="Asia/Jakarta", alias="BOT_TIMEZONE")
    # One of the languages with catalogs in locales/ (id and en ship).
    bot_default_language: str = Field(default="id", alias="BOT_DEFAULT_LANGUAGE")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", alias="LOG_LEVEL"
    )
    complaint_categories: Annotated[list[str], NoDecode] = Field(
        default=list(DEFAULT_CATEGORIES), alias="COMPLAINT_CATEGORIES"
    )
    complaints_per_day: int = Field(default=5, ge=1, le=1000, alias="COMPLAINTS_PER_DAY")
    local_holidays: Annotated[list[dt.date], NoDecode] = Field(default=[], alias="LOCAL_HOLIDAYS")
    flood_messages_per_minute: int = Field(
        default=30, ge=1, le=10_000, alias="FLOOD_MESSAGES_PER_MINUTE"
    )
    # The bot's @username without @, for join links printed outside the chat (the CLI); the
    # running bot asks Telegram for it.
    bot_username: str | None = Field(
        default=None, alias="BOT_USERNAME", pattern=r"^[A-Za-z0-9_]{5,32}$"
    )
    retention_days: int = Field(default=365, ge=30, le=3650, alias="RETENTION_DAYS")
    # Keys the limits that outlive /hapusdata (bans, unit limits, the day's complaints and
    # proposals): a keyed hash of the Telegram id that cannot be read back without this
    # secret. Without it the bot token is used; set it so that a new token keeps the limits.
    pseudonym_secret: SecretStr | None = Field(default=None, alias="PSEUDONYM_SECRET")
    outbox_messages_per_second: int = Field(
        default=25, ge=1, le=30, alias="OUTBOX_MESSAGES_PER_SECOND"
    )
    feedback_min_responses: int = Field(default=5, ge=1, le=1000, alias="FEEDBACK_MIN_RESPONSES")
    invite_hours: int = Field(default=72, ge=1, le=24 * 30, alias="INVITE_HOURS")
    feedback_window_days: int = Field(default=7, ge=1, le=60, alias="FEEDBACK_WINDOW_DAYS")
    feedback_reminder_hours: Annotated[list[int], NoDecode] = Field(
        default=[24, 72], alias="FEEDBACK_REMINDER_HOURS"
    )
    followup_weeks: int = Field(default=12, ge=1, le=52, alias="FOLLOWUP_WEEKS")
    sending_hours: str = Field(default="08:00-20:00", alias="SENDING_HOURS")
    # Benchmarks only: "off" takes PTB's rate limiter out of the way to measure the bot's own
    # cost against a local emulator. Real Telegram needs it on.
    telegram_rate_limiter: Literal["on", "off"] = Field(
        default="on", alias="TELEGRAM_RATE_LIMITER"
    )
    digest_schedule: str = Field(default="MON 07:00", alias="DIGEST_SCHEDULE")
    digest_when_empty: Literal["line", "skip"] = Field(default="line", alias="DIGEST_WHEN_EMPTY")
    digest_bands: Annotated[list[float], NoDecode] = Field(
        default=[4.21, 3.41, 2.61], alias="DIGEST_BANDS"
    )
    unit_populations: Annotated[dict[str, int], NoDecode] = Field(
        default={}, alias="UNIT_POPULATIONS"
    )
    # Webhook mode (several workers behind a load balancer): on when WEBHOOK_URL is set.
    webhook_url: str | None = Field(default=None, alias="WEBHOOK_URL")
    webhook_secret: SecretStr | None = Field(default=None, alias="WEBHOOK_SECRET")
    webhook_listen: str = Field(default="127.0.0.1:8080", alias="WEBHOOK_LISTEN")
    webhook_max_connections: int = Field(default=40, ge=1, le=100, alias="WEBHOOK_MAX_CONNECTIONS")
    # PostgreSQL connections per process: this many, and as many again in bursts.
    database_pool_size: int = Field(default=10, ge=1, le=100, alias="DATABASE_POOL_SIZE")
    # Workers started together by a deploy should not each migrate: set false there and run
    # `python -m bot migrate` as the deploy step; a worker then refuses an older schema.
    auto_migrate: bool = Field(default=True, alias="AUTO_MIGRATE")
    # The deployment's own places (provinces, kabupaten/kota, units) as JSON in the shape of
    # bot/storage/places.json, read once to seed a new database; later, admins manage units.
    places_file: Path | None = Field(default=None, alias="PLACES_FILE")
    # The organizers' web workspace (bot/web): its public address (the Mini App and the
    # login links), where a polling process serves it, and how old Mini App launch data may be.
    web_base_url: str | None = Field(default=None, alias="WEB_BASE_URL")
    web_listen: str | None = Field(default=None, alias="WEB_LISTEN")
    web_launch_max_age: int = Field(default=3600, ge=10, le=86400, alias="WEB_LAUNCH_MAX_AGE")
    web_session_hours: int = Field(default=8, ge=1, le=24 * 7, alias="WEB_SESSION_HOURS")
    # Certificates signed (PAdES) with the deployment's key and certificate (BSrE's, say):
    # PEM files; both or neither.
    certificate_signing_key: Path | None = Field(default=None, alias="CERTIFICATE_SIGNING_KEY")
    certificate_signing_cert: Path | None = Field(default=None, alias="CERTIFICATE_SIGNING_CERT")
    certificate_signing_passphrase: SecretStr | None = Field(
        default=None, alias="CERTIFICATE_SIGNING_PASSPHRASE"
    )

    @field_validator(
        "bot_admin_ids",
        "complaint_categories",
        "local_holidays",
        "feedback_reminder_hours",
        "digest_bands",
        mode="before",
    )
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("bot_default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        found = available_languages()
        if value not in found:
            raise ValueError(f"no catalogs for {value!r} in locales/ (found: {', '.join(found)})")
        return value

    @field_validator("places_file", mode="before")
    @classmethod
    def _readable_places(cls, value: object) -> Path | None:
        if value is None or not str(value).strip():
            return None
        path = Path(str(value).strip())
        if not path.is_file():
            raise ValueError(f"no such file: {path}")
        return path

    @field_validator("digest_schedule")
    @classmethod
    def _weekly_moment(cls, value: str) -> str:
        if value.strip().upper() != "OFF":
            parse_schedule(value)
        return value.strip().upper()

    @field_validator("digest_bands")
    @classmethod
    def _three_bands(cls, value: list[float]) -> list[float]:
        if len(value) != 3 or not 5 >= value[0] > value[1] > value[2] >= 1:
            raise ValueError("three descending means on the 1-5 scale, e.g. 4.21,3.41,2.61")
        return value

    @field_validator("unit_populations", mode="before")
    @classmethod
    def _populations(cls, value: object) -> object:
        """ "LSL-DUKCAPIL=12000,LSM-DINKES=8000": people each unit serves (for the sample)."""
        if not isinstance(value, str):
            return value
        populations: dict[str, int] = {}
        for part in filter(None, (p.strip() for p in value.split(","))):
            code, _, number = part.partition("=")
            if not code.strip() or not number.strip().isdigit() or int(number) < 1:
                raise ValueError("write UNIT_CODE=NUMBER, comma-separated")
            populations[code.strip()] = int(number)
        return populations

    @field_validator("complaint_categories")
    @classmethod
    def _some_categories(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("name at least one category, comma-separated")
        if any(len(name) > 80 for name in value) or len(set(value)) != len(value):
            raise ValueError("categories must be distinct and at most 80 characters each")
        return value

    @field_validator("telegram_bot_token")
    @classmethod
    def _real_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        token = value.get_secret_value().strip()
        if token.lower() in {"changeme", "your-token-here", "xxx"} or ":" not in token:
            raise ValueError("does not look like a token from BotFather (digits:letters)")
        return SecretStr(token)

    @field_validator("pseudonym_secret")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if len(value.get_secret_value().strip()) < 16:
            raise ValueError(
                "at least 16 characters (python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))')"
            )
        return SecretStr(value.get_secret_value().strip())

    @field_validator("telegram_api_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        # Admins write the URLs they know; the bot needs the async drivers.
        for plain, async_form in (
            ("postgresql://", "postgresql+asyncpg://"),
            ("postgres://", "postgresql+asyncpg://"),
            ("sqlite:///", "sqlite+aiosqlite:///"),
        ):
            if value.startswith(plain):
                value = async_form + value[len(plain) :]
                break
        if not value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            raise ValueError("use a sqlite:/// or postgresql:// URL")
        if value.startswith("sqlite"):
            path = value.removeprefix("sqlite+aiosqlite://").removeprefix("/")
            if not path or path.startswith(":memory:") or path.startswith("?"):
                raise ValueError(
                    "a SQLite URL needs a file path (sqlite:///data/suara.db); without one "
                    "the data would be lost at every start"
                )
        return value

    @field_validator("webhook_url")
    @classmethod
    def _public_https(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("the public https:// URL Telegram posts updates to")
        return value

    @field_validator("web_base_url")
    @classmethod
    def _web_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("the workspace's public URL, https://... (Telegram needs https)")
        return value

    @field_validator("web_listen")
    @classmethod
    def _web_host_port(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        host, _, port = value.strip().rpartition(":")
        if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError("write it as HOST:PORT, for example 127.0.0.1:8081")
        return value.strip()

    @field_validator("webhook_secret")
    @classmethod
    def _secret_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        # Telegram's rule for secret_token: 1-256 characters A-Z, a-z, 0-9, _ and -.
        if not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", value.get_secret_value()):
            raise ValueError("16-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value

    @field_validator("webhook_listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError("write it as HOST:PORT, for example 127.0.0.1:8080")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError(
                "WEBHOOK_SECRET is required with WEBHOOK_URL: without it anyone who finds "
                "the URL could post updates (generate one: python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))')"
            )
        return self

    @model_validator(mode="after")
    def _signing_pair(self) -> Settings:
        key, cert = self.certificate_signing_key, self.certificate_signing_cert
        if (key is None) != (cert is None):
            raise ValueError(
                "CERTIFICATE_SIGNING_KEY and CERTIFICATE_SIGNING_CERT go together (PEM files)"
            )
        for path in (key, cert):
            if path is not None and not path.is_file():
                raise ValueError(f"certificate signing: no file {path}")
        return self

    @property
    def webhook_path(self) -> str:
        if not self.webhook_url:
            return "/"
        return urlsplit(self.webhook_url).path or "/"

    @property
    def web_address(self) -> tuple[str, int] | None:
        if self.web_listen is None:
            return None
        host, _, port = self.web_listen.rpartition(":")
        return host.strip("[]"), int(port)

    @property
    def web_url(self) -> str | None:
        """The workspace's address: WEB_BASE_URL, else where WEB_LISTEN serves it."""
        if self.web_base_url:
            return self.web_base_url
        return f"http://{self.web_listen}" if self.web_listen else None

    @property
    def webhook_address(self) -> tuple[str, int]:
        host, _, port = self.webhook_listen.rpartition(":")
        return host.strip("[]"), int(port)

    @field_validator("bot_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("feedback_reminder_hours")
    @classmethod
    def _two_reminders(cls, value: list[int]) -> list[int]:
        if len(value) > 2 or any(not 1 <= hours <= 24 * 30 for hours in value):
            raise ValueError("at most two reminders, each 1-720 hours after sending")
        return sorted(value)

    @field_validator("sending_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        try:
            first, last = (dt.time.fromisoformat(part.strip()) for part in value.split("-"))
        except ValueError:
            raise ValueError("write it as HH:MM-HH:MM, for example 08:00-20:00") from None
        if first >= last:
            raise ValueError("the first time must come before the second")
        return value

    @property
    def sending_window(self) -> tuple[dt.time, dt.time]:
        first, last = (
            dt.time.fromisoformat(part.strip()) for part in self.sending_hours.split("-")
        )
        return first, last

    @property
    def limit_secret(self) -> bytes:
        """The secret of the limits kept after erasure (PSEUDONYM_SECRET, else the token)."""
        secret = self.pseudonym_secret or self.telegram_bot_token
        if secret is None:
            raise RuntimeError("set PSEUDONYM_SECRET (or TELEGRAM_BOT_TOKEN)")
        return secret.get_secret_value().encode()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.bot_timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(**overrides: object) -> Settings:
    """Reads the settings; an invalid value stops the program with one line and status 2."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        where = f"{_env_name(str(error['loc'][0]))}: " if error["loc"] else ""
        message = str(error["msg"]).removeprefix("Value error, ")
        print(f"Configuration error: {where}{message}", file=sys.stderr)
        raise SystemExit(2) from None


def _env_name(field: str) -> str:
    info = Settings.model_fields.get(field)
    if info is not None and info.alias:
        return info.alias
    return field.upper()
