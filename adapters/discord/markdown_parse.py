"""Discord markdown typed by a user → plain text and neutral style runs (a safe subset).

Understood: **bold**, *italic*, __underline__, ~~strike~~, ||spoiler||, `code`, ```lang
blocks```, [text](https://url) and backslash escapes. Anything else stays literal text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from adapters.discord.markdown import SEPARATOR
from bot.formatting import Style, Styles, TextStyle
from bot.runs import nest

_PAIRS = {"**": Style.BOLD, "__": Style.UNDERLINE, "~~": Style.STRIKE, "||": Style.SPOILER}
_LINK = re.compile(
    r"\[((?:\\[^\n]|``[^\n]*?``|`[^`\n]*`|[^\[\]\\\n`])*)\]\(<?(https?://[^\s<>()]+)>?\)",
    re.IGNORECASE,
)
_BARE_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_LANGUAGE = re.compile(r"[\w+#.-]{1,32}")
_ESCAPABLE = set("\\*_~|`[]()>#-:<")


@dataclass
class _Token:
    kind: str  # "text", "mark", "code", "pre", "link"
    text: str
    extra: str | None = None
    paired: bool = False


def parse_markdown(source: str) -> tuple[str, Styles]:
    """The text a reader sees and its runs; unpaired markers are kept as typed."""
    tokens = _tokens(source)
    _pair(tokens)
    plain = ""
    runs: list[TextStyle] = []
    opened: dict[str, list[int]] = {}
    for token in tokens:
        if token.kind == "text" or (token.kind == "mark" and not token.paired):
            plain += token.text
        elif token.kind == "mark":
            starts = opened.setdefault(token.text, [])
            if token.extra == "open":
                starts.append(len(plain))
            else:
                style = _PAIRS.get(token.text, Style.ITALIC)
                runs.append(TextStyle(style, starts.pop(), len(plain)))
        elif token.kind in ("code", "pre"):
            style = Style.CODE if token.kind == "code" else Style.PRE
            runs.append(TextStyle(style, len(plain), len(plain) + len(token.text), None,
                                  token.extra if style is Style.PRE else None))
            plain += token.text
        else:  # a link: its label may be formatted too
            label, label_runs = parse_markdown(token.text)
            start = len(plain)
            runs.append(TextStyle(Style.LINK, start, start + len(label), url=token.extra))
            runs.extend(
                TextStyle(r.style, r.start + start, r.end + start, r.url, r.language)
                for r in label_runs
            )
            plain += label
    return plain, nest(tuple(r for r in runs if r.start < r.end), len(plain))


def _tokens(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    n = len(source)

    def text(piece: str) -> None:
        if tokens and tokens[-1].kind == "text":
            tokens[-1].text += piece
        else:
            tokens.append(_Token("text", piece))

    while i < n:
        char = source[i]
        url = _BARE_URL.match(source, i) if char in "hH" else None
        if url is not None:
            text(url[0])
            i = url.end()
        elif char == SEPARATOR and tokens and tokens[-1].kind == "mark":
            i += 1  # written between two markers so they do not run together
        elif char == "\\" and i + 1 < n and source[i + 1] in _ESCAPABLE:
            text(source[i + 1])
            i += 2
        elif source.startswith("```", i) and (end := source.find("```", i + 3)) > i:
            tokens.append(_code_block(source[i + 3 : end]))
            i = end + 3
        elif char == "`":
            ticks = "``" if source.startswith("``", i) else "`"
            end = source.find(ticks, i + len(ticks))
            content = source[i + len(ticks) : end]
            if end < 0 or not content:
                text(ticks)
                i += len(ticks)
                continue
            if ticks == "``" and content.startswith(" ") and content.endswith(" "):
                content = content[1:-1]
            tokens.append(_Token("code", content))
            i = end + len(ticks)
        elif char == "[" and (link := _LINK.match(source, i)) is not None and link[1]:
            tokens.append(_Token("link", link[1], link[2]))
            i = link.end()
        elif source[i : i + 2] in _PAIRS:
            tokens.append(_Token("mark", source[i : i + 2]))
            i += 2
        elif char == "*":
            tokens.append(_Token("mark", "*"))
            i += 1
        else:
            text(char)
            i += 1
    return tokens


def _code_block(inner: str) -> _Token:
    first, newline, rest = inner.partition("\n")
    language = None
    if newline and _LANGUAGE.fullmatch(first):
        language, inner = first, rest
    elif inner.startswith("\n"):
        inner = inner[1:]
    return _Token("pre", inner.removesuffix("\n"), language)


def _pair(tokens: list[_Token]) -> None:
    """Pair each marker with the next one of its kind; an empty pair and a lone one stay text."""
    waiting: dict[str, int] = {}
    for index, token in enumerate(tokens):
        if token.kind != "mark":
            continue
        opener = waiting.pop(token.text, None)
        if opener is None or all(t.kind == "mark" for t in tokens[opener + 1 : index]):
            waiting[token.text] = index
            continue
        tokens[opener].paired = token.paired = True
        tokens[opener].extra, token.extra = "open", "close"
