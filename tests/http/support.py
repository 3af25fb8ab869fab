"""`herald run` as a real process with its HTTP server on a free port, for the ops tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

HERALD = Path(sys.executable).with_name("herald")


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """The environment without the machine's HERALD_* settings, on a fresh SQLite file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    env["HERALD_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'herald.db'}"
    env["HERALD_LOG_LEVEL"] = "INFO"
    env.update(settings)
    return env


@dataclass
class Running:
    """A `herald run` process and the base URL of its HTTP server."""

    process: asyncio.subprocess.Process
    url: str
    log: Path

    def output(self) -> str:
        """Everything it wrote so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    async def stop(self, within: float = 30) -> int:
        """SIGTERM, then its exit code."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), within)


async def get(url: str, *, within: float = 5) -> tuple[int, str]:
    """Status and body of a GET through a real HTTP client."""
    client_timeout = aiohttp.ClientTimeout(total=within)
    async with aiohttp.ClientSession(timeout=client_timeout) as session, session.get(url) as r:
        return r.status, await r.text()


async def wait_for_http(running: Running, within: float = 30) -> None:
    """Return once /healthz answers; fail with the log if the process died first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        if running.process.returncode is not None:
            raise AssertionError(f"herald exited {running.process.returncode}:\n{running.output()}")
        with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
            status, _ = await get(running.url + "/healthz", within=1)
            if status == 200:
                return
        await asyncio.sleep(0.1)
    raise AssertionError(f"/healthz never answered:\n{running.output()}")


@contextlib.asynccontextmanager
async def herald_run(
    env: dict[str, str], tmp_path: Path, *args: str, wait: bool = True, port: int | None = None
) -> AsyncIterator[Running]:
    """`herald run ARGS` listening on `port` (or a free one); killed if still running at the end."""
    port = port or free_port()
    env = {**env, "HERALD_HTTP_LISTEN": f"127.0.0.1:{port}"}
    log = tmp_path / f"herald-{port}.log"
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            str(HERALD), "run", *args, env=env, cwd=tmp_path,
            stdin=asyncio.subprocess.DEVNULL, stdout=sink, stderr=sink,
        )  # fmt: skip
    running = Running(process, f"http://127.0.0.1:{port}", log)
    try:
        if wait:
            await wait_for_http(running)
        yield running
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def metric(exposition: str, name: str, **labels: str) -> float | None:
    """One sample's value from Prometheus text (None when absent)."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return None


def label_values(exposition: str) -> set[str]:
    """Every label value in the exposition."""
    from prometheus_client.parser import text_string_to_metric_families

    return {
        value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        for value in sample.labels.values()
    }
