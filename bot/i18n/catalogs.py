"""The catalog workflow, with Babel's own tool: `pybabel extract`, `update` and `compile`.

`python3 dev.py i18n` runs `main()`: it extracts every message into a throwaway template
(the method is `bot.i18n.extract:babel_extract`, named in pyproject.toml's
`[tool.babel]`), merges it into each `locales/<lang>/LC_MESSAGES/herald.po`, and
compiles those into the `herald.mo` files the bot reads at runtime. The `.po` files are
the source translators edit; the `.mo` files are checked in beside them.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from babel.messages.pofile import write_po

from bot.i18n import DOMAIN, LOCALES
from bot.i18n.extract import ROOT, SOURCE_DIRS, Site, template

WIDTH = "100"
# Merging a template into a catalog: no guessed (fuzzy) translations of changed texts,
# unused messages dropped, and no header churn when only the template's date differs.
UPDATE_OPTIONS = (
    "--width", WIDTH,
    "--no-fuzzy-matching",
    "--ignore-obsolete",
    "--ignore-pot-creation-date",
)  # fmt: skip


def pybabel(*args: str, cwd: Path = ROOT) -> int:
    """Run one `pybabel` command (Babel's command line, from this environment); its exit code."""
    sys.stdout.write(f"pybabel {shlex.join(args)}\n")
    sys.stdout.flush()
    command = [sys.executable, "-m", "babel.messages.frontend", *args]
    return subprocess.run(command, cwd=cwd, check=False).returncode  # noqa: S603 - fixed argv


def extract_template(output: Path) -> int:
    """`pybabel extract`: every message in bot/ and adapters/ into the template `output`."""
    # File names without line numbers: a location then changes only when a message moves
    # to another file, so catalogs edited on parallel branches merge without conflicts.
    return pybabel(
        "--quiet", "extract", "--mapping-file", "pyproject.toml", "--sort-output",
        "--add-location", "file", "--width", WIDTH, "--project", "Herald",
        "--output-file", str(output), *SOURCE_DIRS,
    )  # fmt: skip


def update_catalogs(pot: Path, locales: Path = LOCALES) -> int:
    """`pybabel update`: merge the template into every language's .po file."""
    return pybabel("--quiet", "update", "--input-file", str(pot), "--output-dir", str(locales),
                   "--domain", DOMAIN, *UPDATE_OPTIONS)  # fmt: skip


def compile_catalogs(locales: Path = LOCALES) -> int:
    """`pybabel compile`: each .po into the .mo beside it (exit 1 on a broken entry)."""
    return pybabel("compile", "--directory", str(locales), "--domain", DOMAIN, "--statistics")


def update_catalog(
    path: Path,
    language: str,
    messages: Mapping[str, Iterable[Site]],
    plurals: Mapping[str, str] | None = None,
) -> None:
    """Merge `messages` into one .po file (`pybabel init` first when it is missing)."""
    with tempfile.TemporaryDirectory() as folder:
        pot = Path(folder) / f"{DOMAIN}.pot"
        with pot.open("wb") as handle:
            write_po(handle, template(messages, plurals), width=int(WIDTH), sort_output=True)
        files = ("--input-file", str(pot), "--output-file", str(path), "--locale", language)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            _checked(pybabel("init", *files, "--width", WIDTH))
        _checked(pybabel("update", *files, *UPDATE_OPTIONS))


def _checked(code: int) -> None:
    if code != 0:
        raise RuntimeError(f"pybabel exited with {code}")


def main(argv: list[str]) -> int:
    """Extract, update and compile every catalog; 0 when all went through."""
    if argv:
        sys.stderr.write("usage: python3 dev.py i18n (no arguments)\n")
        return 2
    with tempfile.TemporaryDirectory() as folder:
        pot = Path(folder) / f"{DOMAIN}.pot"
        code = extract_template(pot) or update_catalogs(pot) or compile_catalogs()
    return 1 if code else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
