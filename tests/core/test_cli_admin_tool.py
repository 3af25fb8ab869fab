"""The shell as a full admin tool: every chat admin command as a subcommand, in-process."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bot.cli import app, version


class Shell:
    """Runs `herald ARGS` in-process against one SQLite file."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.runner = CliRunner(
            env={
                "HERALD_DATABASE_URL": f"sqlite:///{tmp / 'herald.db'}",
                "HERALD_TIMEZONE": "Europe/Moscow",
                "COLUMNS": "200",
            }
        )

    def __call__(self, *args: str, code: int = 0) -> Result:
        result = self.runner.invoke(app, list(args))
        assert result.exit_code == code, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stdout + result.stderr
        return result

    def file(self, name: str, text: str) -> str:
        path = self.tmp / name
        path.write_text(text, encoding="utf-8")
        return str(path)


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Shell:
    for name in list(os.environ):
        if name.startswith("HERALD_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return Shell(tmp_path)


def test_draft_schedule_publish_edit_delete(shell: Shell) -> None:
    post = shell.file("post.txt", "Founding day\nThe society was founded.\n")
    assert "Draft #1 saved" in shell("post", "--file", post, "--draft").stdout
    scheduled = shell("schedule", "1", "2030-01-01", "09:00").stdout
    assert "will be published on 2030-01-01 09:00" in scheduled
    assert "published" in shell("publish", "1").stdout
    again = shell("publish", "1", code=1)
    refused = "herald: Announcement #1 is already published; that cannot be done now.\n"
    assert again.stderr == refused
    new = shell.file("new.txt", "Founding day, corrected\nThe society was founded in 1990.\n")
    assert "Announcement #1 edited" in shell("edit", "1", "--file", new).stdout
    assert "founded in 1990" in shell("show", "1").stdout
    assert "retracted" in shell("delete", "1").stdout
    assert shell("delete", "1", code=1).stderr.startswith("herald: Announcement #1 is retracted")
    missing = shell("edit", "7", "--file", new, code=1)
    assert missing.stderr == "herald: There is no announcement #7.\n"
    assert "already passed" in shell("schedule", "1", "2001-01-01", "09:00", code=1).stderr
    assert shell("schedule", "1", "tomorrow", "09:00", code=2).stderr.startswith(
        "herald: tomorrow is not a date"
    )


def test_tags_option_adds_to_the_files_tags_line(shell: Shell) -> None:
    post = shell.file("post.txt", "Concert\nTonight at eight.\nTags: music, Korea\n")
    done = shell("post", "--file", post, "--tags", "culture")
    assert "#music #Korea #culture" in done.stdout
    hashtags = shell.file("hashtags.txt", "Lecture\nOn history.\n#history #lecture\n")
    assert "#history #lecture #talks" in shell("post", "-f", hashtags, "--tags", "talks").stdout


def test_admins_are_added_listed_and_removed(shell: Shell) -> None:
    assert "telegram:42 is now an admin." in shell("admin", "add", "telegram:42").stdout
    assert "telegram:42" in shell("admin", "list").stdout
    assert "is no longer an admin" in shell("admin", "remove", "telegram:42").stdout
    assert shell("admin", "add", "someone", code=2).stderr.startswith(
        "herald: Usage: herald admin add|remove"
    )


def test_dates_without_a_year_are_arguments(shell: Shell) -> None:
    assert "every 12-25" in shell("anniversary", "add", "--12-25", "Christmas").stdout
    assert "every 03-08" in shell("anniversary", "add", "3-8", "Women's", "Day").stdout
    listed = shell("anniversary", "list").stdout
    assert "--12-25" in listed
    assert "--03-08" in listed
    assert "Anniversary #1 updated." in shell("anniversary", "edit", "1", "--12-24", "Eve").stdout


def test_user_text_and_file_names_are_printed_literally(shell: Shell) -> None:
    text = "posts[/b]x [bold]not bold[/bold]\nBody [red]text[/red].\n"
    post = shell.file("posts[bold]x.txt", text)
    shell("post", "--file", post)
    assert "posts[/b]x [bold]not bold[/bold]" in shell("list").stdout
    assert "Body [red]text[/red]." in shell("show", "1").stdout
    missing = shell("post", "--file", str(shell.tmp / "gone[i].txt"), code=1)
    assert "gone[i].txt" in missing.stderr
    photo = shell.file("photo[b].png", "not an image")
    refused = shell("post", "--file", post, "--photo", photo, code=2)
    assert "photo[b].png is not a JPEG" in refused.stderr


def test_buttons_become_commands_to_type(shell: Shell) -> None:
    post = shell.file("post.txt", "Liberation\nOn 1945-08-15 Korea was liberated.\n")
    done = shell("post", "--file", post)
    assert "Keep 1945-08-15: herald anniversary suggest 1 0" in done.stdout
    assert "every 08-15" in shell("anniversary", "suggest", "1", "0").stdout
    for n in range(2, 8):
        shell("post", "--file", shell.file(f"{n}.txt", f"Post {n}\nKorea news {n}.\n"))
    assert "herald list --page 2" in shell("list").stdout
    assert "Post 2" in shell("list", "--page", "2").stdout
    first = shell("search", "Korea").stdout
    assert "herald search Korea --page 2" in first
    second = shell("search", "Korea", "--page", "2").stdout
    assert second != first


def test_status_of_a_missing_announcement_exits_1(shell: Shell) -> None:
    shell("post", "--file", shell.file("post.txt", "Title\nBody\n"))
    assert "Announcement 1" in shell("status", "1").stdout
    missing = shell("status", "999", code=1)
    assert missing.stderr == "herald: There is no announcement #999.\n"
    assert missing.stdout == ""


def test_version(shell: Shell) -> None:
    assert shell("--version").stdout == f"herald {version()}\n"
