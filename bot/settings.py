"""Configuration from HERALD_* environment variables (and an optional .env file)."""

from __future__ import annotations

import difflib
import re
from datetime import time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.paths import default_database_url
from bot.tags import MAX_TAG_LENGTH, TagLimits

LANGUAGES = ("en", "ru", "ko")
_ACTOR = re.compile(r"^[a-z]+:[^\s,]+$")
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class Settings(BaseSettings):
    """Every HERALD_* setting; the README's configuration table lists the same."""

    model_config = SettingsConfigDict(
        env_prefix="HERALD_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    database_url: str = Field(default_factory=default_database_url)
    admins: str = ""
    timezone: str = "UTC"
    language: Literal["en", "ru", "ko"] = "en"
    page_size: int = Field(default=5, ge=1, le=20)
    log_level: LogLevel = "INFO"
    # text: one readable line per event; json: one JSON object per line, for log shippers.
    log_format: Literal["text", "json"] = "text"

    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    # Unset: the webhook is served by the HTTP server (http_listen); host:port: its own listener.
    telegram_webhook_listen: str | None = None
    telegram_rate: float = Field(default=30.0, gt=0, le=1000, allow_inf_nan=False)
    telegram_paid_broadcast: bool = False
    # How many processes deliver for the same bots; each paces itself at 1/N of the rate.
    delivery_processes: int = Field(default=1, ge=1, le=64)

    # Commands per user (token bucket, in memory per process): a burst, then one per interval.
    command_burst: int = Field(default=10, ge=1, le=10_000)
    command_interval: float = Field(default=2.0, gt=0, le=3600, allow_inf_nan=False)
    admin_command_burst: int = Field(default=60, ge=1, le=10_000)
    admin_command_interval: float = Field(default=0.5, gt=0, le=3600, allow_inf_nan=False)

    # Bounded work per request: tags on one post, in one /subscribe, followed by one chat;
    # characters in one tag (the database holds at most 64).
    max_tags_per_post: int = Field(default=20, ge=1, le=100)
    max_tags_per_subscribe: int = Field(default=50, ge=1, le=1000)
    max_tags_per_chat: int = Field(default=200, ge=1, le=10_000)
    max_tag_length: int = Field(default=64, ge=8, le=MAX_TAG_LENGTH)

    discord_token: SecretStr | None = None
    discord_api_url: str = "https://discord.com/api/v10"
    discord_gateway_url: str = "wss://gateway.discord.gg/"

    # The website's address as readers reach it (absolute links, feeds, "Read on the website").
    public_url: str | None = None
    site_name: str = Field(default="Herald", min_length=1, max_length=100)

    reminder_time: time = time(9, 0)
    reminder_days_before: str = ""
    reminder_grace: timedelta = timedelta(hours=12)
    leap_day: Literal["feb28", "mar1"] = "feb28"

    # The HTTP server of `herald run` (health, readiness, metrics): host:port, or "off".
    http_listen: str = "127.0.0.1:8080"
    # /readyz fails when the oldest due delivery has waited longer than this.
    ready_max_delay: timedelta = timedelta(minutes=10)

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        return database_url(value)

    @field_validator("log_level", mode="before")
    @classmethod
    def _level(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().upper() in _LEVELS:
            return value.strip().upper()
        if isinstance(value, str):
            raise ValueError(f"{value!r} is not a log level: use {', '.join(_LEVELS)}")
        return value

    @field_validator("log_format", "language", "leap_day", mode="before")
    @classmethod
    def _choice(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("telegram_api_url", "discord_api_url", "telegram_webhook_url")
    @classmethod
    def _http_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
            raise ValueError(f"{value!r} is not a web address like https://host/path")
        return value

    @field_validator("discord_gateway_url")
    @classmethod
    def _socket_address(cls, value: str) -> str:
        value = value.strip()
        if not re.fullmatch(r"wss?://[^\s/?#]+(/[^\s?#]*)?", value):
            raise ValueError(f"{value!r} is not a WebSocket address like wss://gateway.example/")
        return value

    @field_validator("telegram_webhook_listen")
    @classmethod
    def _webhook_listen(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        problem = (
            f"{value!r} is not host:port (e.g. 127.0.0.1:8443); leave it unset to serve the "
            "webhook on HERALD_HTTP_LISTEN"
        )
        try:
            address = parse_listen(value)
        except ValueError:
            raise ValueError(problem) from None
        if address is None:
            raise ValueError(problem)
        return value.strip()

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        # What Telegram accepts as secret_token (setWebhook): 1-256 of A-Z, a-z, 0-9, _ and -.
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("use 1 to 256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA timezone {value!r} (e.g. Europe/Moscow)") from exc
        return value

    @field_validator("public_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
            raise ValueError(f"{value!r} is not a web address like https://society.example")
        return value

    @field_validator("admins")
    @classmethod
    def _actors(cls, value: str) -> str:
        for actor in _split(value):
            if not _ACTOR.match(actor):
                raise ValueError(f"{actor!r} is not platform:user_id (e.g. telegram:12345)")
        return value

    @field_validator("reminder_time", mode="before")
    @classmethod
    def _clock_time(cls, value: object) -> object:
        return parse_clock(value) if isinstance(value, str) else value

    @field_validator("reminder_grace", "ready_max_delay", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        return parse_duration(value) if isinstance(value, str) else value

    @field_validator("reminder_days_before")
    @classmethod
    def _days(cls, value: str) -> str:
        parse_days(value)
        return value

    @field_validator("http_listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        parse_listen(value)
        return value

    @property
    def owners(self) -> frozenset[str]:
        """The owners named in HERALD_ADMINS."""
        return frozenset(_split(self.admins))

    @property
    def tag_limits(self) -> TagLimits:
        """The HERALD_MAX_TAG* caps as one value for the services."""
        return TagLimits(
            per_post=self.max_tags_per_post,
            per_subscribe=self.max_tags_per_subscribe,
            per_chat=self.max_tags_per_chat,
            length=self.max_tag_length,
        )

    @property
    def zone(self) -> ZoneInfo:
        """The society's timezone."""
        return ZoneInfo(self.timezone)

    @property
    def reminder_at(self) -> time:
        """Default time of day for anniversaries."""
        return self.reminder_time

    @property
    def reminder_days(self) -> tuple[int, ...]:
        """Default reminder days before an anniversary."""
        return parse_days(self.reminder_days_before)

    @property
    def grace(self) -> timedelta:
        """How late a missed anniversary may still fire after a restart."""
        return self.reminder_grace

    @property
    def ready_max_delay_time(self) -> timedelta:
        """How long the oldest due delivery may wait before /readyz fails."""
        return self.ready_max_delay

    @property
    def http_address(self) -> tuple[str, int] | None:
        """Where the HTTP server listens, or None when HERALD_HTTP_LISTEN is off."""
        return parse_listen(self.http_listen)


_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_SUPPORTED = ("sqlite", "postgresql")
_REFUSED = {"mysql": "MySQL", "mariadb": "MariaDB", "mssql": "SQL Server", "oracle": "Oracle"}
_EXAMPLES = "sqlite:///PATH or postgresql://USER:PASSWORD@HOST/DATABASE"


def _masked(url: str) -> str:
    """The URL with any password replaced by ***, for messages."""
    return re.sub(r"(://[^/@:\s]*:)[^/@\s]*@", r"\1***@", url)


def database_url(value: str) -> str:
    """A supported database URL, `~` expanded in SQLite paths; ValueError saying how to write it."""
    url = value.strip()
    scheme, sep, rest = url.partition("://")
    if not sep:
        head = url.split(":", 1)[0].split("+", 1)[0].lower()
        if head in _SUPPORTED or head == "postgres":
            raise ValueError(f"{_masked(url)!r} is not a database URL: write it as {_EXAMPLES}")
        raise ValueError(f"{_masked(url)!r} is not a database URL: use {_EXAMPLES}")
    backend = scheme.split("+", 1)[0].lower()
    if backend in _REFUSED:
        raise ValueError(
            f"Herald stores its data in SQLite or PostgreSQL, not {_REFUSED[backend]}: "
            f"use {_EXAMPLES}"
        )
    if backend == "postgres":
        backend = "postgresql"
    if backend not in _SUPPORTED:
        close = difflib.get_close_matches(backend, [*_SUPPORTED, "postgres"], n=1, cutoff=0.6)
        hint = f"did you mean {close[0]}://?" if close else f"use {_EXAMPLES}"
        raise ValueError(f"unsupported database {backend!r}: {hint}")
    if backend == "postgresql":
        return _postgresql(url, rest)
    return _sqlite(scheme, rest)


def _postgresql(url: str, rest: str) -> str:
    authority = rest.split("/", 1)[0].split("?", 1)[0]
    host = authority.rsplit("@", 1)[-1]
    port = host.rsplit(":", 1)[1] if ":" in host and not host.endswith("]") else ""
    if port and not re.fullmatch(r"[0-9]{1,5}", port):
        raise ValueError(f"{_masked(url)!r}: the port {port!r} is not a number")
    if not authority and "host=" not in rest:
        raise ValueError(f"{_masked(url)!r} names no server: write postgresql://USER@HOST/DATABASE")
    return url


def _sqlite(scheme: str, rest: str) -> str:
    path, mark, query = rest.partition("?")
    if not path:
        path = "/"  # `sqlite://`: SQLAlchemy's in-memory database, refused below
    if not path.startswith("/"):
        shown = f"{scheme}://{rest}"
        raise ValueError(
            f"{shown!r} puts {path!r} where a host goes: a SQLite file is written with three "
            f"slashes, {scheme}:///{path} (relative) or {scheme}:////absolute/path"
        )
    path = path[1:]
    if not path or path == ":memory:":
        raise ValueError(
            "an in-memory SQLite database is lost between Herald's connections: name a file, "
            f"{scheme}:///PATH"
        )
    if path.startswith("~"):
        path = str(Path(path).expanduser())
    return f"{scheme}:///{path}{mark}{query}"


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_clock(value: str) -> time:
    """`HH:MM` → time; ValueError with the expected format otherwise."""
    match = re.fullmatch(r"([0-9]{1,2}):([0-9]{2})", value.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"{value!r} is not a time of day in the form HH:MM (e.g. 09:00)")
    return time(int(match[1]), int(match[2]))


def parse_days(value: str) -> tuple[int, ...]:
    """`7,1` → (7, 1); each between 1 and 365."""
    days: list[int] = []
    for part in _split(value):
        if not re.fullmatch(r"[0-9]{1,3}", part) or not 1 <= int(part) <= 365:
            raise ValueError(f"{part!r} is not a number of days between 1 and 365")
        days.append(int(part))
    return tuple(sorted(set(days), reverse=True))


def parse_duration(value: str) -> timedelta:
    """`12h`, `30m`, `2d`, `45s` → timedelta."""
    match = re.fullmatch(r"([0-9]{1,9})\s*([smhd])", value.strip())
    if not match:
        raise ValueError(f"{value!r} is not a duration like 12h, 30m or 2d")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match[2]]
    duration = timedelta(**{unit: int(match[1])})
    if duration > timedelta(days=3650):
        raise ValueError(f"{value!r} is longer than ten years")
    return duration


def parse_listen(value: str) -> tuple[str, int] | None:
    """`host:port` (`[::1]:8080` for IPv6) → (host, port); `off` → None."""
    text = value.strip()
    if text.lower() == "off":
        return None
    host, sep, port = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not re.fullmatch(r"[0-9]{1,5}", port) or int(port) > 65535:
        raise ValueError(f"{value!r} is not host:port (e.g. 127.0.0.1:8080) or off")
    return host, int(port)
