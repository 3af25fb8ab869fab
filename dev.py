#!/usr/bin/env python3
"""Bootstrap Herald on a fresh machine: `python3 dev.py run` or `python3 dev.py test`.

Creates `.venv` beside this file, installs Herald with its dev extra when
`pyproject.toml` changed since the last install, then runs the command inside
that environment. Needs only Python 3.11+.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".herald-installed"


def _python() -> Path:
    return BIN / ("python.exe" if os.name == "nt" else "python")


def _ensure_env() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may be run by an older python3
        sys.exit("Herald needs Python 3.11 or newer; this is " + sys.version.split()[0])
    if not _python().exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    print("Installing Herald and its dependencies into .venv ...", flush=True)
    pip = [str(_python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(digest)


def main(argv: list[str]) -> int:
    """Run `herald` or the test suite inside the project's virtual environment."""
    if not argv or argv[0] not in {"run", "test", "herald", "lint", "i18n"}:
        print(__doc__)
        print(
            "usage: python3 dev.py run [herald args] | test [pytest args] | lint | i18n"
            " | herald ARGS"
        )
        return 2
    _ensure_env()
    cmd, rest = argv[0], argv[1:]
    if cmd == "run":
        args = [str(BIN / "herald"), "run", *rest]
    elif cmd == "herald":
        args = [str(BIN / "herald"), *rest]
    elif cmd == "i18n":
        # pybabel extract, update and compile: the .po files gain new messages, the .mo follow.
        args = [str(_python()), "-m", "bot.i18n.catalogs", *rest]
    elif cmd == "lint":
        code = subprocess.call([str(_python()), "-m", "ruff", "check", "."], cwd=ROOT)
        return code or subprocess.call([str(_python()), "-m", "mypy"], cwd=ROOT)
    else:
        args = [str(_python()), "-m", "pytest", *rest]
    return subprocess.call(args, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
