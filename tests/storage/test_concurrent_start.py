"""Several Herald processes starting at once on a fresh SQLite file all come up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from storage.migrate import head_revision

SCRIPT = """
import asyncio, sys
from storage.engine import create_engine
from storage.migrate import current_revision, ensure_schema

async def main(url: str) -> None:
    engine = create_engine(url)
    await ensure_schema(engine, auto_upgrade=True)
    print(await current_revision(engine))
    await engine.dispose()

asyncio.run(main(sys.argv[1]))
"""


def test_three_processes_migrating_one_fresh_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT, url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = [proc.communicate(timeout=60) for proc in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == head_revision()
