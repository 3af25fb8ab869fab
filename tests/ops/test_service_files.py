"""The files an operator installs from: .env.example, the systemd unit, the licence."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_env_example_lists_every_setting() -> None:
    listed = set(re.findall(r"^#?(HERALD_\w+)=", (ROOT / ".env.example").read_text(), re.M))
    wanted = {f"HERALD_{name.upper()}" for name in Settings.model_fields}
    assert wanted - listed == set()
    assert listed - wanted == set()


def test_env_is_ignored_by_git() -> None:
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()


def test_systemd_unit_has_the_safeguards() -> None:
    unit = (ROOT / "deploy" / "herald.service").read_text()
    for line in (
        "Restart=on-failure", "DynamicUser=yes", "StateDirectory=herald",
        "ProtectSystem=strict", "NoNewPrivileges=yes", "EnvironmentFile=/etc/herald/herald.env",
        "ExecStart=/opt/herald/bin/herald run", "RestartPreventExitStatus=2",
    ):  # fmt: skip
        assert line in unit.splitlines(), line


def test_licence_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
