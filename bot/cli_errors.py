"""One error path for every `herald` subcommand: one line on stderr and the contract's exit code.

0 success; 1 refused, not found or failed; 2 bad usage or bad configuration. A traceback is
printed only when HERALD_LOG_LEVEL=DEBUG. `HeraldGroup` is the Typer group class of every
`herald` app: it turns each known error into one line, so a new subcommand is covered without
doing anything.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
import traceback
from collections.abc import Callable, Coroutine
from functools import cache
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer
from typer.core import TyperGroup

if TYPE_CHECKING:
    from pydantic import ValidationError

    from bot.replies import Reply
    from bot.settings import Settings

T = TypeVar("T")

FAILED = 1
BAD_USAGE = 2


class CliError(Exception):
    """A command cannot go on; `message` says why (one line), `code` is the exit code."""

    def __init__(self, message: str, code: int = FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def fail(message: str) -> NoReturn:
    """Stop the command: refused, not found or failed (exit 1)."""
    raise CliError(message, FAILED)


def usage(message: str) -> NoReturn:
    """Stop the command: bad usage or bad configuration (exit 2)."""
    raise CliError(message, BAD_USAGE)


def debugging() -> bool:
    """Whether tracebacks are wanted (HERALD_LOG_LEVEL=DEBUG, read even when settings are bad)."""
    return os.environ.get("HERALD_LOG_LEVEL", "").strip().upper() == "DEBUG"


def say(message: str) -> None:
    """One line on stderr, `herald: ` first, printed literally (no markup)."""
    line = " ".join(message.split())
    sys.stderr.write(f"herald: {line}\n")
    sys.stderr.flush()


@cache
def _loaded_settings() -> Settings:
    from bot.settings import Settings

    return Settings()


def settings() -> Settings:
    """The settings, validated and parsed once per process; exit 2 naming a bad variable."""
    return _loaded_settings()


def forget_settings() -> None:
    """Read the environment again on the next settings() (tests change it between commands)."""
    _loaded_settings.cache_clear()


def configuration_problem(error: ValidationError) -> str:
    """One line naming each bad HERALD_* variable and what is wrong with it (never its value)."""
    problems = []
    for item in error.errors(include_input=False, include_url=False):
        name = "HERALD_" + "_".join(str(part) for part in item["loc"]).upper()
        message = str(item["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        problems.append(f"{name}: {message}")
    return "bad configuration: " + "; ".join(problems)


def _database_url() -> str:
    try:
        from storage.engine import safe_url

        return safe_url(settings().database_url)
    except Exception:  # the database URL itself is what is wrong
        return "(HERALD_DATABASE_URL)"


def explain(exc: BaseException) -> tuple[str, int]:
    """The one line and the exit code for an error a command raised."""
    from pydantic import ValidationError

    from bot.app import StartupError
    from bot.archive import ArchiveError

    if isinstance(exc, CliError):
        return exc.message, exc.code
    if isinstance(exc, ValidationError):
        return configuration_problem(exc), BAD_USAGE
    if isinstance(exc, StartupError):
        return str(exc), exc.code
    if isinstance(exc, ArchiveError):
        return str(exc), FAILED
    from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

    from storage.migrate import SchemaBehind

    if isinstance(exc, SchemaBehind):
        return str(exc), FAILED
    if isinstance(exc, ArgumentError):
        return f"HERALD_DATABASE_URL: {exc}", BAD_USAGE
    if isinstance(exc, OSError) and exc.filename is not None:
        # A file the command reads or writes, not the database's connection.
        return f"cannot use {exc.filename}: {exc.strerror or type(exc).__name__}", FAILED
    if isinstance(exc, (OperationalError, DBAPIError, OSError, TimeoutError)):
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())[:300]
        reason = reason or type(exc).__name__
        return f"cannot reach the database {_database_url()}: {reason}", FAILED
    detail = " ".join(str(exc).split())[:300]
    return (
        f"unexpected error: {type(exc).__name__}: {detail} "
        "(set HERALD_LOG_LEVEL=DEBUG for the traceback)",
        FAILED,
    )


def report(exc: BaseException) -> int:
    """Print the error as one line (a traceback first when debugging); the exit code."""
    message, code = explain(exc)
    if debugging():
        traceback.print_exception(exc, file=sys.stderr)
    say(message)
    return code


INTERRUPTED = "interrupted (Ctrl-C); what was not finished was not kept"


def run(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a command's async work on a fresh event loop; Ctrl-C is a failure (exit 1)."""

    async def guarded() -> T:
        try:
            return await work()
        except asyncio.CancelledError:
            # asyncio.run cancels this task on SIGINT: every open transaction has rolled back.
            raise CliError(INTERRUPTED, FAILED) from None

    return asyncio.run(guarded())


def exit_for(reply: Reply | None) -> None:
    """Exit 1 (2 for a usage answer) when the core's reply says no; nothing otherwise."""
    if reply is not None and reply.failure is not None:
        raise typer.Exit(BAD_USAGE if reply.failure == "usage" else FAILED)


class LogLines(logging.Handler):
    """A one-shot command's warnings and errors: one `herald: ` line each on stderr.

    The traceback of a logged exception is printed only when debugging; `errors` counts the
    ERROR lines, so the core's "Something went wrong" need not be said a second time.
    """

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.errors = 0

    def emit(self, record: logging.LogRecord) -> None:
        """Say the record in one line (after its traceback when debugging)."""
        try:
            message = record.getMessage()
            error = record.exc_info[1] if record.exc_info else None
            if error is not None and debugging():
                traceback.print_exception(error, file=sys.stderr)
            if error is not None:
                message += f" ({type(error).__name__}: {error})"
            if record.levelno >= logging.ERROR:
                self.errors += 1
            say(_redacted(message))
        except Exception:
            self.handleError(record)


def _redacted(message: str) -> str:
    try:
        from bot.logs import RedactSecrets, secrets_of

        return RedactSecrets(secrets_of(settings())).redact(message)
    except Exception:  # settings that do not load have been reported already
        return message


_log_lines: LogLines | None = None


def logged_errors() -> int:
    """How many ERROR lines this command has logged so far."""
    return _log_lines.errors if _log_lines is not None else 0


def _thread_exception(args: threading.ExceptHookArgs) -> None:
    """An exception that ends a thread: one line (the traceback only when debugging)."""
    if debugging():
        threading.__excepthook__(args)
        return
    thread = args.thread.name if args.thread is not None else ""
    if (
        isinstance(args.exc_value, RuntimeError)
        and str(args.exc_value) == "Event loop is closed"
        and thread.endswith("(_connection_worker_thread)")
    ):
        # aiosqlite answers a failed connect's stop on a loop asyncio.run has already closed:
        # the command has reported the failure itself (e.g. "unable to open database file").
        return
    if isinstance(args.exc_value, Exception):
        say(f"unexpected error in a background thread: {args.exc_type.__name__}: {args.exc_value}")


class HeraldGroup(TyperGroup):
    """The `herald` app's group: every subcommand's errors come out as one line and a code."""

    def invoke(self, ctx: Any) -> Any:
        """Run the subcommand; a known error becomes one line on stderr and its exit code."""
        global _log_lines
        forget_settings()  # each command reads the environment as it is when it runs
        threading.excepthook = _thread_exception
        # Until `herald run` configures logging for itself, log records are one line each.
        root = logging.getLogger()
        _log_lines, level = LogLines(), root.level
        root.addHandler(_log_lines)
        root.setLevel(min(level or logging.WARNING, _log_lines.level))
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort):
            raise
        except typer.TyperException as exc:
            # Typer's own usage errors (a missing argument, an unknown option): exit 2.
            if debugging():
                traceback.print_exception(exc, file=sys.stderr)
            code = int(getattr(exc, "exit_code", BAD_USAGE))
            show = getattr(exc, "format_message", None)
            message = show() if callable(show) else str(exc)
            where = getattr(getattr(exc, "ctx", None), "command_path", None)
            say(f"{message} (see {where} --help)" if where and code == BAD_USAGE else message)
            raise typer.Exit(code) from None
        except KeyboardInterrupt:
            # Ctrl-C outside the event loop (while starting): nothing was written yet.
            say(INTERRUPTED)
            raise typer.Exit(FAILED) from None
        except Exception as exc:
            raise typer.Exit(report(exc)) from None
        finally:
            if _log_lines in root.handlers:
                root.removeHandler(_log_lines)
                root.setLevel(level)
