"""`herald db upgrade` run twice at once on a fresh PostgreSQL database: one migrates, one waits."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from storage.migrate import MIGRATION_LOCK, head_revision

pytestmark = pytest.mark.postgres


def _start_upgrade(url: str, tmp_path: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    env["HERALD_DATABASE_URL"] = url
    env["XDG_DATA_HOME"] = str(tmp_path)
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "db", "upgrade"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _outcomes(procs: list[subprocess.Popen[str]]) -> list[str]:
    lines = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "Traceback" not in out + err
        lines.append(out.strip())
    # The one that migrated first, the one that found nothing to do second.
    return sorted(lines, key=lambda line: "up to date" in line)


def test_two_upgrades_started_together_both_succeed(pg_database: str, tmp_path: Path) -> None:
    procs = [_start_upgrade(pg_database, tmp_path) for _ in range(2)]
    upgraded, up_to_date = _outcomes(procs)
    head = head_revision()
    assert upgraded.endswith(f"upgraded from schema nothing to schema {head}"), upgraded
    assert up_to_date.endswith(f"is up to date at schema {head}"), up_to_date


def test_the_second_upgrade_waits_for_the_first_then_reports_up_to_date(
    pg_database: str, tmp_path: Path
) -> None:
    # Hold the migration lock ourselves, so both processes are certainly inside `upgrade` at
    # once; neither may touch the schema until the lock is free, then exactly one migrates.
    with psycopg.connect(_libpq(pg_database), autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        procs = [_start_upgrade(pg_database, tmp_path) for _ in range(2)]
        deadline = time.monotonic() + 60
        waiting = 0
        while waiting < 2 and time.monotonic() < deadline:
            row = holder.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            ).fetchone()
            waiting = row[0] if row else 0
            time.sleep(0.1)
        assert waiting == 2, "both upgrades should be queued on the migration lock"
        assert all(proc.poll() is None for proc in procs)
        tables = holder.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
        assert tables == (0,)
        holder.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
    upgraded, up_to_date = _outcomes(procs)
    assert "upgraded from schema nothing to" in upgraded
    assert up_to_date.endswith(f"is up to date at schema {head_revision()}")
