"""`herald export`, `restore` and `backup` as commands: exit codes, one-line errors, live copies."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.http.support import HERALD, clean_env, herald_run
from tests.ops.seed import counts, seed_society

TOKEN = "777005:BACKUP-secret-token-value"


def herald(env: dict[str, str], tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run one `herald` command to its end."""
    return subprocess.run(
        [str(HERALD), *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )


async def test_export_then_restore_through_the_command_line(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    await seed_society(env["HERALD_DATABASE_URL"])
    done = herald(env, tmp_path, "export", "-o", str(tmp_path / "society.tar.gz"))
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout
    assert "2 announcements" in done.stdout
    moved = {**env, "HERALD_DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"}
    done = herald(moved, tmp_path, "restore", str(tmp_path / "society.tar.gz"))
    assert done.returncode == 0, done.stderr
    assert await counts(moved["HERALD_DATABASE_URL"]) == await counts(env["HERALD_DATABASE_URL"])
    # Again into the same (no longer empty) database: refused, one line, exit 1.
    again = herald(moved, tmp_path, "restore", str(tmp_path / "society.tar.gz"))
    assert again.returncode == 1
    assert len(again.stderr.strip().splitlines()) == 1, again.stderr
    assert "restore needs an empty database" in again.stderr
    assert "Traceback" not in again.stderr


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "does not exist"),
        ("garbage", "is not a Herald archive"),
    ],
)
def test_restore_of_a_bad_file_exits_1_with_one_line(
    tmp_path: Path, setup: str, message: str
) -> None:
    path = tmp_path / "bad.tar.gz"
    if setup == "garbage":
        path.write_bytes(b"\x00not an archive")
    done = herald(clean_env(tmp_path), tmp_path, "restore", str(path))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert message in lines[0]
    assert "Traceback" not in done.stderr + done.stdout


def test_backup_refuses_postgresql_and_an_existing_file(tmp_path: Path) -> None:
    pg = clean_env(tmp_path, HERALD_DATABASE_URL="postgresql://herald@127.0.0.1:1/herald")
    done = herald(pg, tmp_path, "backup", str(tmp_path / "copy.db"))
    assert done.returncode == 1
    assert "for PostgreSQL use `herald export`" in done.stderr
    (tmp_path / "taken.db").write_bytes(b"")
    env = clean_env(tmp_path)
    herald(env, tmp_path, "db", "upgrade")
    done = herald(env, tmp_path, "backup", str(tmp_path / "taken.db"))
    assert done.returncode == 1
    assert "already exists" in done.stderr
    assert (tmp_path / "taken.db").read_bytes() == b""


@pytest.mark.slow
async def test_a_backup_taken_during_a_broadcast_lists_every_announcement(tmp_path: Path) -> None:
    async with FakeTelegram(TOKEN) as fake:
        env = clean_env(
            tmp_path,
            HERALD_TELEGRAM_TOKEN=TOKEN,
            HERALD_TELEGRAM_API_URL=fake.root,
            HERALD_ADMINS="telegram:1",
            HERALD_TELEGRAM_RATE="10",
        )
        await seed_society(env["HERALD_DATABASE_URL"])
        for chat in range(100, 160):
            fake.send_text(chat, "/subscribe")
        async with herald_run(env, tmp_path) as running:
            await fake.wait_until(lambda: len(fake.all_sent()) >= 60, within=60)
            fake.send_text(1, "/post Broadcast day\nEveryone gets this.")
            await fake.wait_until(
                lambda: sum(m.text.startswith("Broadcast day") for m in fake.all_sent()) >= 5,
                within=30,
            )
            done = herald(env, tmp_path, "backup", str(tmp_path / "copy.db"))
            during = sum(m.text.startswith("Broadcast day") for m in fake.all_sent())
            assert await running.stop() == 0
    assert done.returncode == 0, done.stderr
    assert during < 60, "the broadcast was over before the backup: not a live copy"
    copy = clean_env(tmp_path, HERALD_DATABASE_URL=f"sqlite:///{tmp_path / 'copy.db'}")
    listed = herald(copy, tmp_path, "list")
    assert listed.returncode == 0, listed.stderr
    for title in ("Broadcast day", "Founding day", "Liberation Day"):
        assert title in listed.stdout
