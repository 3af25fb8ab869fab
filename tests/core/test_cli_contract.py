"""Every `herald` subcommand keeps the exit-code contract: one line on stderr, no traceback.

The subcommands are read from the Typer app itself, so a new one is covered (and must say
here what its required arguments look like) without anyone remembering to add it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.main import get_command
from typer.testing import CliRunner

from bot.cli import app
from bot.cli_errors import _thread_exception as thread_exception
from bot.commands.router import ROUTES, Route
from storage.engine import create_engine

# A value for each required parameter name; a new name fails test_every_parameter_has_a_value.
VALUES: dict[str, list[str]] = {
    "announcement_id": ["1"],
    "anniversary_id": ["1"],
    "file": ["{post}"],
    "files": ["{post}"],
    "name": ["Korea"],
    "words": ["Korea"],
    "spec": ["2020-01-01", "Founding", "day"],
    "day": ["2030-01-01"],
    "at": ["09:00"],
    "actor": ["telegram:1"],
    "index": ["0"],
    "url": ["https://society.example/feed.xml"],
    "source_id": ["1"],
}
# Arguments a command needs beyond its required ones to reach the database at all.
EXTRA: dict[tuple[str, ...], list[str]] = {
    ("deliveries", "retry"): ["1"],
    ("backup",): [],
    ("export",): ["--output", "{tmp}/society.tar.gz"],
}
# Where a command's exit code differs from the case's usual one, and why.
EXPECTED: dict[tuple[str, tuple[str, ...]], int] = {
    # A backup copies the SQLite file as it is, whatever its schema.
    ("ahead", ("backup",)): 0,
}
UNREACHABLE = "postgresql://herald:s3cretpw@127.0.0.1:1/herald"


def subcommands() -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every leaf command of the `herald` app as (path, click command)."""

    def walk(group: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
        for name, command in sorted(group.commands.items()):
            if hasattr(command, "commands"):
                yield from walk(command, (*path, name))
            else:
                yield (*path, name), command

    yield from walk(get_command(app), ())


COMMANDS = dict(subcommands())


def arguments(path: tuple[str, ...], tmp: Path) -> list[str]:
    """The command line for `path`, with a value for every required parameter."""
    args = list(path)
    for param in COMMANDS[path].params:
        if not param.required:
            continue
        if param.param_type_name == "option":
            args.append(param.opts[0])
        args += VALUES[param.name]
    if path == ("backup",):
        args[-1] = "{tmp}/copy.db"
    args += EXTRA.get(path, [])
    return [a.format(post=tmp / "post.txt", tmp=tmp) for a in args]


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory to run in (no .env), a post file, no HERALD_* from the machine."""
    for name in list(os.environ):
        if name.startswith("HERALD_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HERALD_HTTP_LISTEN", "off")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "post.txt").write_text("Title\nBody\n", encoding="utf-8")
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield tmp_path
    # `herald run` configures logging for the process; give pytest its handlers back.
    root.handlers[:], root.level = handlers, level


def ahead_database(tmp: Path) -> str:
    """A SQLite file migrated by a newer Herald (a revision this one does not know)."""
    url = f"sqlite:///{tmp / 'newer.db'}"

    async def stamp() -> None:
        engine = create_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
            await conn.execute(text("INSERT INTO alembic_version VALUES ('f00dfeedbeef')"))
        await engine.dispose()

    asyncio.run(stamp())
    return url


CASES = {
    # case: (the variables, the usual exit code, what the one line says)
    "unreachable": ({"HERALD_DATABASE_URL": UNREACHABLE}, 1, ""),
    "ahead": ({}, 1, ""),
    "bad variable": ({"HERALD_LOG_LEVEL": "LOUD"}, 2, "HERALD_LOG_LEVEL"),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("path", list(COMMANDS), ids=" ".join)
def test_every_subcommand_answers_in_one_line(
    world: Path, case: str, path: tuple[str, ...]
) -> None:
    variables, code, named = CASES[case]
    if case == "ahead":
        variables = {"HERALD_DATABASE_URL": ahead_database(world)}
    result = CliRunner(env={"COLUMNS": "200", **variables}).invoke(app, arguments(path, world))
    expected = EXPECTED.get((case, path), code)
    assert result.exit_code == expected, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    assert "s3cretpw" not in result.stdout + result.stderr
    if expected == 0:
        assert result.stderr == ""
        return
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("herald: ")
    assert named in lines[0]


def test_every_parameter_has_a_value() -> None:
    for path, command in COMMANDS.items():
        for param in command.params:
            assert not param.required or param.name in VALUES, (path, param.name)


@pytest.mark.parametrize("path", list(COMMANDS), ids=" ".join)
def test_every_subcommand_has_help(world: Path, path: tuple[str, ...]) -> None:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.stderr
    assert "Usage:" in result.stdout


def test_a_traceback_only_when_debugging(world: Path) -> None:
    runner = CliRunner(env={"HERALD_DATABASE_URL": UNREACHABLE, "HERALD_LOG_LEVEL": "DEBUG"})
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 1
    assert "Traceback" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("herald: cannot reach the database")


def test_bad_usage_is_one_line_and_exit_2(world: Path) -> None:
    result = CliRunner().invoke(app, ["show", "twelve"])
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert "see " in result.stderr
    assert "show --help" in result.stderr


@pytest.mark.parametrize(
    ("args", "line", "code"),
    [
        (["show", "999999"], "herald: There is no announcement #999999.", 1),
        (["list", "--page", "999"], "herald: Page 999 is past the end (the last page is 1).", 1),
        (["post", "--file", "{tmp}/empty.txt"], "herald: The post is empty.", 1),
        (["post", "--file", "{tmp}/missing.txt"], "herald: cannot read", 1),
        (["anniversary", "remove", "7"], "herald: There is no anniversary #7.", 1),
        (["anniversary", "add", "someday", "Founding"], "herald: someday is not a date", 2),
        # Files that are not posts: never read whole, never a traceback.
        (["post", "--file", "/dev/zero"], "herald: /dev/zero is larger than a post can be", 1),
        (["post", "--file", "{tmp}"], "herald: cannot read", 1),
        (["post", "--file", "{tmp}/binary.txt"], "herald: cannot read", 1),
        (["post", "--file", "{tmp}/nul.txt"], "herald: That command contains a NUL", 1),
        (["post", "-f", "{tmp}/post.txt", "--photo", "/dev/zero"], "herald: the photo", 2),
        (["edit", "1", "--file", "/dev/urandom"], "herald: /dev/urandom is larger", 1),
        # An empty tag was read as the page number ("No announcements with the tag #1").
        (["tag", " "], "herald: the tag is empty", 2),
        # The core's sentences name the shell's commands, not the chat's.
        (["tag", "nosuch"], "herald: No announcements with the tag #nosuch. See herald tags ", 1),
        (["show", "99999999999999999999999"], "herald: Usage: herald show ID", 2),
        # Where a file cannot be written, the file is named (not "cannot reach the database").
        (["export", "-o", "{tmp}/post.txt/x.tar.gz"], "herald: cannot write", 1),
        (["export", "-o", "/dev/null"], "herald: /dev/null exists and is not a regular file", 1),
        (["export", "-o", "{tmp}"], "herald: {tmp} exists and is not a regular file", 1),
        (["restore", "{tmp}/binary.txt"], "herald: {tmp}/binary.txt is not a Herald archive", 1),
        (["restore", "{tmp}/empty.txt"], "herald: {tmp}/empty.txt is not a Herald archive", 1),
        # A source address that cannot be one is bad usage; a huge one is not echoed whole.
        (["feed", "add", "ftp://s.example/rss"], "herald: not an http or https address", 2),
        (["feed", "add", "http://" + "a" * 5000 + ".example/"], "herald: not an http", 2),
    ],
)
def test_refusals_and_not_found_exit_non_zero(
    world: Path, args: list[str], line: str, code: int
) -> None:
    (world / "empty.txt").write_text("  \n", encoding="utf-8")
    (world / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (world / "nul.txt").write_text("Title\nA body with a NUL\x00 in it\n", encoding="utf-8")
    line = line.format(tmp=world)
    env = {"HERALD_DATABASE_URL": f"sqlite:///{world / 'herald.db'}"}
    result = CliRunner(env=env).invoke(app, [a.format(tmp=world) for a in args])
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert len(result.stderr) < 500, "one readable line, not the input echoed whole"
    assert result.stderr.startswith(line)


@pytest.mark.postgres
def test_every_subcommand_on_an_unmigrated_postgresql(pg_database: str, world: Path) -> None:
    """PostgreSQL is never migrated behind the operator's back: each command says so, exit 1."""
    runner = CliRunner(env={"COLUMNS": "200", "HERALD_DATABASE_URL": pg_database})
    # `db upgrade` is what the others ask for: it runs last and succeeds.
    paths = sorted(COMMANDS, key=lambda path: path == ("db", "upgrade"))
    for path in paths:
        result = runner.invoke(app, arguments(path, world))
        expected = 0 if path == ("db", "upgrade") else 1
        assert result.exit_code == expected, (path, result.stdout, result.stderr)
        assert "Traceback" not in result.stdout + result.stderr, path
        if expected:
            assert len(result.stderr.splitlines()) == 1, (path, result.stderr)
    behind = runner.invoke(app, ["list"])
    assert behind.exit_code == 0, behind.stderr


def test_a_backup_that_cannot_be_written_names_the_file(world: Path) -> None:
    env = {"HERALD_DATABASE_URL": f"sqlite:///{world / 'herald.db'}"}
    assert CliRunner(env=env).invoke(app, ["list"]).exit_code == 0
    result = CliRunner(env=env).invoke(app, ["backup", str(world / "post.txt" / "copy.db")])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"herald: cannot write {world}/post.txt/copy.db: File exists"
    ]


def test_a_damaged_archive_restores_nothing(world: Path) -> None:
    """A truncated archive is refused with one line and leaves no rows behind."""
    source = {"HERALD_DATABASE_URL": f"sqlite:///{world / 'source.db'}"}
    assert (
        CliRunner(env=source).invoke(app, ["post", "--file", str(world / "post.txt")]).exit_code
        == 0
    )
    archive = world / "society.tar.gz"
    assert CliRunner(env=source).invoke(app, ["export", "-o", str(archive)]).exit_code == 0
    (world / "cut.tar.gz").write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    target = world / "target.db"
    result = CliRunner(env={"HERALD_DATABASE_URL": f"sqlite:///{target}"}).invoke(
        app, ["restore", str(world / "cut.tar.gz")]
    )
    assert result.exit_code == 1, result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "is damaged" in result.stderr
    rows = (
        sqlite3.connect(target).execute("SELECT name FROM sqlite_master").fetchall()
        if target.exists()
        else []
    )
    assert rows == []


def test_an_unexpected_error_is_one_line(world: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in the core: the one line names it; the traceback only when debugging."""

    async def broken(ctx: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setitem(ROUTES, "show", Route(broken, "Show one announcement"))
    env = {"HERALD_DATABASE_URL": f"sqlite:///{world / 'herald.db'}"}
    result = CliRunner(env=env).invoke(app, ["show", "1"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "herald: command /show from cli failed (RuntimeError: a bug)"
    ]
    debug = CliRunner(env={**env, "HERALD_LOG_LEVEL": "DEBUG"}).invoke(app, ["show", "1"])
    assert debug.exit_code == 1
    assert "Traceback (most recent call last)" in debug.stderr
    assert (
        debug.stderr.splitlines()[-1]
        == "herald: command /show from cli failed (RuntimeError: a bug)"
    )


def test_a_background_thread_error_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """aiosqlite's worker answering a failed connect after the loop closed says nothing."""

    def fail(error: Exception) -> None:
        raise error

    for name, error in [
        ("Thread-9 (_connection_worker_thread)", RuntimeError("Event loop is closed")),
        ("Thread-10 (worker)", ValueError("a bug")),
    ]:
        thread = threading.Thread(target=fail, args=(error,), name=name)
        previous = threading.excepthook
        threading.excepthook = thread_exception
        try:
            thread.start()
            thread.join()
        finally:
            threading.excepthook = previous
    assert capsys.readouterr().err.splitlines() == [
        "herald: unexpected error in a background thread: ValueError: a bug"
    ]


def test_ctrl_c_during_a_long_import_keeps_whole_files(tmp_path: Path) -> None:
    """SIGINT: exit 1, one line saying how far it got; every stored post is whole."""
    posts = []
    for n in range(2000):
        path = tmp_path / f"post{n:04d}.txt"
        path.write_text(f"Post {n}\nThe body of post {n}.\n", encoding="utf-8")
        posts.append(str(path))
    database = tmp_path / "herald.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    env.update(HERALD_DATABASE_URL=f"sqlite:///{database}", HERALD_HTTP_LISTEN="off")
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("herald")), "import", *posts],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    first = process.stdout.readline()  # the first file is stored: interrupt the rest
    assert first.startswith("#1 new: ")
    process.send_signal(signal.SIGINT)
    rest, err = process.communicate(timeout=60)
    assert process.returncode == 1, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("herald: interrupted after ")
    assert "Traceback" not in err
    printed = len((first + rest).splitlines())
    with sqlite3.connect(database) as db:
        stored = db.execute("SELECT title, body FROM announcements").fetchall()
    # The file being imported when the signal came is kept whole or not at all.
    assert printed <= len(stored) <= printed + 1 < len(posts)
    assert all(title.startswith("Post ") and body.startswith("The body") for title, body in stored)
