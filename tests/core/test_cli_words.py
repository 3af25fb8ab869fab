"""At the command line the core's sentences name `herald` commands; user text stays as typed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.cli_words import for_shell


@pytest.mark.parametrize(
    ("chat", "shell"),
    [
        ("See /tags for the tags in use.", "See herald tags for the tags in use."),
        ("Draft #5 saved. Publish it with /publish 5.",
         "Draft #5 saved. Publish it with herald publish 5."),
        ("Usage: /tag TAG [page], for example /tag Korea",
         "Usage: herald tag TAG [--page N], for example herald tag Korea"),
        # Russian and Korean sentences are found by their own catalog entries.
        ("Используемые теги: /tags.", "Используемые теги: herald tags."),
        # Not a core sentence: a post's text, a tag, a URL.
        ("my post says /show 12", "my post says /show 12"),
        ("https://society.example/tags", "https://society.example/tags"),
    ],
)  # fmt: skip
def test_core_sentences_name_shell_commands(chat: str, shell: str) -> None:
    assert for_shell(chat) == shell


def test_the_sentence_around_user_text_is_rewritten_not_the_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("HERALD_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    env = {"HERALD_DATABASE_URL": f"sqlite:///{tmp_path / 'herald.db'}", "COLUMNS": "200"}
    post = tmp_path / "post.txt"
    post.write_text("Try /publish 3\nThe body names /show 12 and /tags.\n", encoding="utf-8")
    runner = CliRunner(env=env)
    drafted = runner.invoke(app, ["post", "--draft", "--file", str(post)])
    assert drafted.exit_code == 0, drafted.stderr
    assert "Publish it with herald publish 1." in drafted.stdout
    shown = runner.invoke(app, ["show", "1"])
    assert "Try /publish 3" in shown.stdout
    assert "The body names /show 12 and /tags." in shown.stdout
    assert runner.invoke(app, ["tags"]).stdout.strip() == "No tags yet."
