"""The HTTP server of `herald run`: /healthz, mounted routes, HERALD_HTTP_LISTEN and its errors."""

from __future__ import annotations

import asyncio
import socket
import subprocess
from pathlib import Path

import pytest
from aiohttp import web

from adapters.http import HttpServer
from bot.settings import Settings, parse_listen
from tests.fakes.telegram_api import FakeTelegram
from tests.http.support import HERALD, clean_env, get, herald_run

TOKEN = "777001:HTTP-server-secret-token-value"


@pytest.mark.slow
async def test_herald_run_answers_healthz_and_stops_with_exit_0(tmp_path: Path) -> None:
    async with FakeTelegram(TOKEN) as fake:
        env = clean_env(tmp_path, HERALD_TELEGRAM_TOKEN=TOKEN, HERALD_TELEGRAM_API_URL=fake.root)
        async with herald_run(env, tmp_path) as herald:
            assert await get(herald.url + "/healthz") == (200, "ok\n")
            status, _ = await get(herald.url + "/no-such-page")
            assert status == 404
            code = await herald.stop()
        assert code == 0, herald.output()[-2000:]
        assert "http: serving on " + herald.url in herald.output()


async def test_installers_add_routes_and_sub_applications() -> None:
    async def hello(_request: web.Request) -> web.Response:
        return web.Response(text="hello")

    def install_route(app: web.Application) -> None:
        app.router.add_get("/hello", hello)

    def install_subapp(app: web.Application) -> None:
        sub = web.Application()
        sub.router.add_get("/index", hello)
        app.add_subapp("/site", sub)

    server = HttpServer("127.0.0.1", 0, [install_route, install_subapp])
    await server.start()
    try:
        assert server.port != 0
        assert await get(server.url + "/healthz") == (200, "ok\n")
        assert await get(server.url + "/hello") == (200, "hello")
        assert await get(server.url + "/site/index") == (200, "hello")
    finally:
        await server.stop()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("127.0.0.1:8080", ("127.0.0.1", 8080)),
        ("0.0.0.0:0", ("0.0.0.0", 0)),
        ("[::1]:9000", ("::1", 9000)),
        ("localhost:80", ("localhost", 80)),
        ("off", None),
        (" OFF ", None),
    ],
)
def test_listen_values(value: str, expected: tuple[str, int] | None) -> None:
    assert parse_listen(value) == expected


@pytest.mark.parametrize("value", ["8080", ":8080", "host:", "host:http", "host:70000", "", "on"])
def test_bad_listen_values_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="host:port"):
        parse_listen(value)


def test_default_listen_is_loopback_8080(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HERALD_HTTP_LISTEN", raising=False)
    assert Settings(_env_file=None).http_address == ("127.0.0.1", 8080)


def test_bad_listen_exits_2_with_one_line(tmp_path: Path) -> None:
    env = clean_env(tmp_path, HERALD_HTTP_LISTEN="everywhere")
    result = subprocess.run(
        [str(HERALD), "run"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "HERALD_HTTP_LISTEN" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


async def test_address_in_use_exits_1_with_one_line(tmp_path: Path) -> None:
    async with FakeTelegram(TOKEN) as fake:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            env = clean_env(
                tmp_path,
                HERALD_TELEGRAM_TOKEN=TOKEN,
                HERALD_TELEGRAM_API_URL=fake.root,
                HERALD_HTTP_LISTEN=f"127.0.0.1:{port}",
            )
            process = await asyncio.create_subprocess_exec(
                str(HERALD), "run", env=env, cwd=tmp_path, stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    stderr = err.decode()
    assert f"herald: cannot listen on 127.0.0.1:{port} (HERALD_HTTP_LISTEN)" in stderr
    assert "Traceback" not in stderr + out.decode()
    assert TOKEN not in stderr + out.decode()
