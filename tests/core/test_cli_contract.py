"""Every `herald` subcommand keeps the exit-code contract: one line on stderr, no traceback.

The subcommands are read from the Typer app itself, so a new one is covered (and must say
here what its required arguments look like) without anyone remembering to add it.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.main import get_command
from typer.testing import CliRunner

from bot.cli import app
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
    ],
)
def test_refusals_and_not_found_exit_non_zero(
    world: Path, args: list[str], line: str, code: int
) -> None:
    (world / "empty.txt").write_text("  \n", encoding="utf-8")
    env = {"HERALD_DATABASE_URL": f"sqlite:///{world / 'herald.db'}"}
    result = CliRunner(env=env).invoke(app, [a.format(tmp=world) for a in args])
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
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
