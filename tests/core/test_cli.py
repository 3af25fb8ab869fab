"""The `herald` command line, run as a real subprocess against a real database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from storage.migrate import head_revision

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "society-post.txt"


def herald(
    *args: str, env: dict[str, str], stdin: str = "", timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run `herald ARGS` in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """An environment with its own SQLite database and no platform tokens."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    clean["HERALD_DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
    clean["XDG_DATA_HOME"] = str(tmp_path)
    clean["HERALD_HTTP_LISTEN"] = "off"  # many checkouts run tests on this machine
    return clean


def test_import_sample_twice_updates_instead_of_duplicating(env: dict[str, str]) -> None:
    first = herald("import", str(SAMPLE), env=env)
    assert first.returncode == 0, first.stderr
    assert "1 new, 0 updated" in first.stdout
    second = herald("import", str(SAMPLE), env=env)
    assert "0 new, 1 updated" in second.stdout
    listing = herald("tag", "dprk isg", env=env)
    assert "Congratulations from the Korean-Russian Friendship Society" in listing.stdout
    shown = herald("show", "1", env=env)
    assert "Views: 335" in shown.stdout
    assert "Category: English" in shown.stdout


def test_import_of_a_broken_file_is_reported_and_skipped(
    env: dict[str, str], tmp_path: Path
) -> None:
    broken = tmp_path / "empty.txt"
    broken.write_text("   \n")
    result = herald("import", str(broken), str(SAMPLE), env=env)
    assert result.returncode == 1
    assert "skipped" in result.stdout
    assert "1 new" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_post_from_file_then_search(env: dict[str, str], tmp_path: Path) -> None:
    post = tmp_path / "post.txt"
    post.write_text("Founding day\nThe society was founded on 1 March 1990.\n")
    result = herald("post", "--file", str(post), "--tags", "history, Society", env=env)
    assert result.returncode == 0, result.stderr
    assert "published" in result.stdout
    found = herald("search", "founded", env=env)
    assert "Founding day" in found.stdout


def test_cli_refuses_a_shell_user_who_is_not_an_admin(
    env: dict[str, str], tmp_path: Path
) -> None:
    env["HERALD_ADMINS"] = "telegram:1"
    post = tmp_path / "post.txt"
    post.write_text("Title\nBody\n")
    result = herald("post", "--file", str(post), env=env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["herald: Only Herald admins can use /post."]
    assert result.stdout == ""
    listing = herald("list", env=env)
    assert "No announcements yet." in listing.stdout


def test_unreachable_database_is_one_clear_line(env: dict[str, str]) -> None:
    env["HERALD_DATABASE_URL"] = "postgresql+psycopg://herald:s3cretpw@127.0.0.1:1/herald"
    result = herald("list", env=env)
    assert result.returncode == 1
    assert "cannot reach the database" in result.stderr
    assert "Traceback" not in result.stderr
    assert "s3cretpw" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_configuration_names_the_variable(env: dict[str, str]) -> None:
    env["HERALD_TIMEZONE"] = "Mars/Olympus"
    result = herald("list", env=env)
    assert result.returncode == 2
    assert "HERALD_TIMEZONE" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_with_no_configuration_uses_console_and_default_sqlite(
    env: dict[str, str], tmp_path: Path
) -> None:
    del env["HERALD_DATABASE_URL"]
    script = "/subscribe\n/post Hello\nFirst announcement\n.\n/latest\n"
    result = herald("run", env=env, stdin=script)
    assert result.returncode == 0, result.stderr
    assert "Subscribed to every announcement." in result.stdout
    assert "First announcement" in result.stdout
    assert (tmp_path / "herald" / "herald.db").exists()


@pytest.mark.postgres
def test_postgres_behind_the_code_refuses_to_run(pg_database: str, env: dict[str, str]) -> None:
    env["HERALD_DATABASE_URL"] = pg_database
    result = herald("run", env=env, stdin="")
    assert result.returncode == 1
    assert "herald db upgrade" in result.stderr
    upgraded = herald("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"schema {head_revision()}" in upgraded.stdout
