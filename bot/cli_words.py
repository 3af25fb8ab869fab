"""The core's sentences that name chat commands, as the shell says them (`herald tags`).

Only the core's own sentences are rewritten, found by their catalog templates (in every
language): a title, a tag or a post's text that happens to contain `/show 12` stays as it is.
"""

from __future__ import annotations

import re
from functools import cache

from bot.i18n import LANGUAGES, catalog

# Chat command → the `herald` command that does the same; the others have none (/subscribe).
SHELL = {
    "latest": "herald list",
    "tags": "herald tags",
    "tag": "herald tag",
    "search": "herald search",
    "show": "herald show",
    "stats": "herald stats",
    "post": "herald post --file",
    "draft": "herald post --draft --file",
    "publish": "herald publish",
    "schedule": "herald schedule",
    "edit": "herald edit",
    "delete": "herald delete",
    "anniversary": "herald anniversary",
    "anniversaries": "herald anniversary upcoming",
    "admin": "herald admin",
    "feed": "herald feed",
}
_COMMAND = re.compile(r"(?<![\w/.:@])/([a-z]+)\b(?![/\w])")
_PLACEHOLDER = re.compile(r"\{\w+\}")


def shell_words(literal: str) -> str:
    """`literal` (a piece of a core sentence) with each chat command as its `herald` command."""

    def swap(match: re.Match[str]) -> str:
        return SHELL.get(match[1], match[0])

    return _COMMAND.sub(swap, literal).replace("[page]", "[--page N]")


@cache
def _templates() -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
    """Each catalog sentence naming a chat command: its pattern and its literal pieces."""
    sentences = {msgid for msgid in catalog("ru") if _COMMAND.search(msgid)}
    found = []
    for language in LANGUAGES:
        for msgid in sentences:
            text = msgid if language == "en" else catalog(language).get(msgid) or msgid
            pieces = tuple(_PLACEHOLDER.split(text))
            pattern = "(.*?)".join(re.escape(piece) for piece in pieces)
            found.append((re.compile(pattern, re.DOTALL), pieces))
    # The longest first: a sentence that contains another is rewritten whole.
    return tuple(sorted(set(found), key=lambda item: -len("".join(item[1]))))


def for_shell(text: str) -> str:
    """The text with the core's sentences naming chat commands rewritten for the shell."""
    for pattern, pieces in _templates():
        if not any(_COMMAND.search(piece) for piece in pieces):
            continue

        def rewrite(match: re.Match[str], pieces: tuple[str, ...] = pieces) -> str:
            out = [shell_words(pieces[0])]
            for value, piece in zip(match.groups(), pieces[1:], strict=True):
                out += [value, shell_words(piece)]
            return "".join(out)

        text = pattern.sub(rewrite, text)
    return text
