"""Settings validate every HERALD_* variable once, as typed values, and name the bad one."""

from __future__ import annotations

import os
from datetime import time, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from bot.cli import app
from bot.settings import Settings


@pytest.fixture
def clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No HERALD_* from the machine and no .env file."""
    for name in list(os.environ):
        if name.startswith("HERALD_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


BAD = [
    ("HERALD_DATABASE_URL", "not-a-url", "is not a database URL"),
    ("HERALD_DATABASE_URL", "mysql://herald:pw12345678@db/herald", "not MySQL"),
    ("HERALD_DATABASE_URL", "mariadb+pymysql://db/herald", "not MariaDB"),
    ("HERALD_DATABASE_URL", "sqlite://herald.db", "sqlite:///herald.db"),
    ("HERALD_DATABASE_URL", "sqlite:herald.db", "sqlite:///PATH"),
    ("HERALD_DATABASE_URL", "postgressql://db/herald", "did you mean postgresql://"),
    ("HERALD_DATABASE_URL", "postgresql://u:pw12345678@db:abc/x", "port 'abc'"),
    ("HERALD_DATABASE_URL", "sqlite://", "in-memory"),
    ("HERALD_LOG_LEVEL", "LOUD", "is not a log level"),
    ("HERALD_LOG_FORMAT", "xml", "text"),
    ("HERALD_TELEGRAM_WEBHOOK_LISTEN", "garbage", "host:port"),
    ("HERALD_HTTP_LISTEN", "8080", "host:port"),
    ("HERALD_REMINDER_TIME", "25:00", "HH:MM"),
    ("HERALD_REMINDER_GRACE", "soon", "duration"),
    ("HERALD_READY_MAX_DELAY", "10 minutes", "duration"),
    ("HERALD_LEAP_DAY", "feb29", "feb28"),
    ("HERALD_LANGUAGE", "de", "en"),
    ("HERALD_TIMEZONE", "Mars/Olympus", "IANA"),
    ("HERALD_TELEGRAM_API_URL", "api.telegram.org", "web address"),
    ("HERALD_DISCORD_GATEWAY_URL", "https://gateway", "WebSocket"),
    ("HERALD_PAGE_SIZE", "many", "integer"),
    ("HERALD_ADMINS", "12345", "platform:user_id"),
    # Digits are ASCII digits: Arabic-Indic or superscript ones are not read as numbers.
    ("HERALD_REMINDER_TIME", "٠٩:٣٠", "HH:MM"),
    ("HERALD_READY_MAX_DELAY", "٣h", "duration"),
    ("HERALD_REMINDER_DAYS_BEFORE", "²", "number of days"),
    ("HERALD_HTTP_LISTEN", "127.0.0.1:٨٠٨٠", "host:port"),
    ("HERALD_DATABASE_URL", "postgresql://u@db:٥٤٣٢/x", "is not a number"),
    # A duration past what timedelta holds was an OverflowError (exit 1, "unexpected error").
    ("HERALD_REMINDER_GRACE", "99999999999999d", "duration"),
    ("HERALD_REMINDER_GRACE", "99999d", "ten years"),
    ("HERALD_TELEGRAM_RATE", "inf", "finite"),
    ("HERALD_TELEGRAM_RATE", "5000", "1000"),
    ("HERALD_COMMAND_INTERVAL", "nan", "finite"),
    ("HERALD_TELEGRAM_WEBHOOK_SECRET", "two words!", "A-Z"),
]


@pytest.mark.parametrize(("name", "value", "says"), BAD, ids=[f"{n}={v}" for n, v, _ in BAD])
def test_a_bad_variable_is_one_line_naming_it_exit_2(
    clean: Path, name: str, value: str, says: str
) -> None:
    result = CliRunner(env={name: value}).invoke(app, ["list"])
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"herald: bad configuration: {name}: ")
    assert says in lines[0]
    assert "pw12345678" not in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_values_are_parsed_once_into_types(clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HERALD_REMINDER_TIME", "7:30")
    monkeypatch.setenv("HERALD_REMINDER_GRACE", "2d")
    monkeypatch.setenv("HERALD_READY_MAX_DELAY", "90s")
    monkeypatch.setenv("HERALD_LOG_LEVEL", "debug")
    monkeypatch.setenv("HERALD_LEAP_DAY", "MAR1")
    settings = Settings()
    assert settings.reminder_time == time(7, 30)
    assert settings.reminder_grace == timedelta(days=2)
    assert settings.ready_max_delay == timedelta(seconds=90)
    assert settings.log_level == "DEBUG"
    assert settings.leap_day == "mar1"


def test_a_tilde_in_a_sqlite_path_is_the_home_directory(
    clean: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(clean))
    monkeypatch.setenv("HERALD_DATABASE_URL", "sqlite+aiosqlite:///~/herald/society.db")
    assert Settings().database_url == f"sqlite+aiosqlite:///{clean}/herald/society.db"
    result = CliRunner().invoke(app, ["list"])
    assert result.exit_code == 0, result.stderr
    assert (clean / "herald" / "society.db").exists()
    assert not (clean / "~").exists()


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///herald.db",
        "sqlite:////var/lib/herald/herald.db",
        "sqlite+aiosqlite:///herald.db?mode=rwc",
        "postgresql://herald:pw@db.example:5432/herald",
        "postgres://herald@db.example/herald",
        "postgresql+psycopg://herald@[::1]:5432/herald",
        "postgresql:///herald?host=/run/postgresql",
    ],
)
def test_supported_database_urls_are_accepted(clean: Path, url: str) -> None:
    assert Settings(database_url=url).database_url == url


def test_the_default_database_is_under_xdg_data_home(
    clean: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(clean / "data"))
    assert Settings().database_url == f"sqlite+aiosqlite:///{clean}/data/herald/herald.db"


def test_a_password_never_reaches_the_message(clean: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(database_url="postgresql://herald:pw12345678@db:port/herald")
    assert "pw12345678" not in str(caught.value)
