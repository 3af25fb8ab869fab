"""The tag caps on the command line: `herald post` meets them, and a bad cap setting is named."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.core.test_cli import herald


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Its own SQLite database, small caps, no platform tokens."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    clean["HERALD_DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
    clean["XDG_DATA_HOME"] = str(tmp_path)
    clean["HERALD_HTTP_LISTEN"] = "off"
    clean["HERALD_MAX_TAGS_PER_POST"] = "2"
    return clean


def test_herald_post_refuses_more_tags_than_the_cap(env: dict[str, str], tmp_path: Path) -> None:
    post = tmp_path / "post.txt"
    post.write_text("Founding day\nThe society was founded in 1990.\nTags: history\n")
    result = herald("post", "--file", str(post), "--tags", "society, founding", env=env)
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "That is 3 tags for one announcement; at most 2." in output
    assert "Traceback" not in output
    assert "No announcements yet" in herald("list", env=env).stdout


def test_a_cap_out_of_range_is_named(env: dict[str, str]) -> None:
    env["HERALD_MAX_TAG_LENGTH"] = "100"
    result = herald("list", env=env)
    assert result.returncode == 2
    assert "HERALD_MAX_TAG_LENGTH" in result.stderr
    assert "Traceback" not in result.stderr
