"""/readyz goes to 503 when PostgreSQL stops: a throwaway cluster, never the shared server."""

from __future__ import annotations

import asyncio
import contextlib
import glob
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.http.support import HERALD, clean_env, free_port, get, herald_run

TOKEN = "777007:READYZ-secret-token-value"


def _as_owner(argv: list[str]) -> list[str]:
    # initdb refuses to run as root: the tests may, so the cluster belongs to `postgres`.
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@pytest.fixture
def cluster() -> Iterator[tuple[str, list[str]]]:
    """A PostgreSQL cluster of its own on a free port: (URL, the command that stops it)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.skip("no PostgreSQL server binaries under /usr/lib/postgresql")
    bin_dir = Path(found[-1]).parent
    home = Path(tempfile.mkdtemp(prefix="herald-pg-"))
    if os.geteuid() == 0:
        shutil.chown(home, "postgres", "postgres")
    data, port = home / "data", free_port()
    run = {"check": True, "capture_output": True, "timeout": 120}
    subprocess.run(_as_owner([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust",
                              "-U", "postgres", "--no-sync"]), **run)  # type: ignore[call-overload]  # fmt: skip
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(data)]
    subprocess.run(_as_owner([*pg_ctl, "-o", options, "-l", str(home / "log"), "-w", "start"]),
                   **run)  # type: ignore[call-overload]  # fmt: skip
    stop = _as_owner([*pg_ctl, "-m", "immediate", "-w", "stop"])
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", stop
    finally:
        subprocess.run(stop, capture_output=True, timeout=60, check=False)
        shutil.rmtree(home, ignore_errors=True)


async def _readyz_until(url: str, wanted: int, within: float = 30) -> dict[str, object]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        status, body = await get(url + "/readyz", within=10)
        if status == wanted:
            report: dict[str, object] = json.loads(body)
            return report
        assert loop.time() < deadline, body
        await asyncio.sleep(0.3)


@pytest.mark.postgres
@pytest.mark.slow
async def test_readyz_turns_503_when_the_database_stops(
    tmp_path: Path, cluster: tuple[str, list[str]]
) -> None:
    url, stop = cluster
    async with FakeTelegram(TOKEN) as fake:
        env = clean_env(
            tmp_path,
            HERALD_DATABASE_URL=url,
            HERALD_TELEGRAM_TOKEN=TOKEN,
            HERALD_TELEGRAM_API_URL=fake.root,
        )
        upgrade = await asyncio.to_thread(
            subprocess.run, [str(HERALD), "db", "upgrade"], env=env, cwd=tmp_path,
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert upgrade.returncode == 0, upgrade.stderr
        async with herald_run(env, tmp_path) as herald:
            ready = await _readyz_until(herald.url, 200)
            checks = ready["checks"]
            assert isinstance(checks, dict)
            # PostgreSQL: the scheduler leads through an advisory lock, and says who holds it.
            assert str(checks["scheduler"]["leader"]).startswith("pid ")
            await asyncio.to_thread(
                subprocess.run, stop, capture_output=True, timeout=60, check=True
            )
            down = await _readyz_until(herald.url, 503)
            checks = down["checks"]
            assert isinstance(checks, dict)
            assert checks["database"]["ok"] is False
            assert checks["telegram"]["ok"] is True
            with contextlib.suppress(TimeoutError):
                await herald.stop(within=30)
