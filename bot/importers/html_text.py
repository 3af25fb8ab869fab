"""HTML → normalized text with style runs, the way the importer reads a page or a fragment.

Whitespace is collapsed as a browser does; block elements start a new line, paragraphs,
headings, lists and tables a new paragraph; `<br>` adds a line break; list items become
lines with a bullet. Bold, italic, underline, strike, code, code blocks, quotes and links
become `TextStyle` runs over the text. Scripts, styles, iframes and other non-content
elements are dropped; images are collected (not rendered) so a caller can pick one.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

from bot.formatting import Style, TextStyle


def _names(words: str) -> frozenset[str]:
    return frozenset(words.split())


VOID = _names("area base br col embed hr img input link meta param source track wbr")
# Elements whose content is never text of the post.
SKIP = _names(
    "script style noscript template svg head iframe object embed audio video canvas "
    "select textarea button"
)
# Also dropped from a feed entry's HTML (a whole page may sit inside a form, an entry may not).
FRAGMENT_SKIP = SKIP | _names("form input map")
PARAGRAPH = _names("p h1 h2 h3 h4 h5 h6 blockquote pre ul ol dl table")
BLOCK = _names(
    "address article aside dd details div dt fieldset figcaption figure footer form header "
    "hr li main nav section summary tbody thead tfoot tr td th caption center"
)
_TAG_STYLES = {
    "b": Style.BOLD,
    "strong": Style.BOLD,
    "h1": Style.BOLD,
    "h2": Style.BOLD,
    "h3": Style.BOLD,
    "h4": Style.BOLD,
    "h5": Style.BOLD,
    "h6": Style.BOLD,
    "i": Style.ITALIC,
    "em": Style.ITALIC,
    "cite": Style.ITALIC,
    "u": Style.UNDERLINE,
    "ins": Style.UNDERLINE,
    "s": Style.STRIKE,
    "strike": Style.STRIKE,
    "del": Style.STRIKE,
    "code": Style.CODE,
    "kbd": Style.CODE,
    "tt": Style.CODE,
    "pre": Style.PRE,
    "blockquote": Style.QUOTE,
}
# Inline CSS that WYSIWYG editors (uCoz's among them) write instead of <b> and <i>.
_CSS_STYLES = (
    (re.compile(r"font-weight\s*:\s*(?:bold|[6-9]00)", re.I), Style.BOLD),
    (re.compile(r"font-style\s*:\s*italic", re.I), Style.ITALIC),
    (re.compile(r"text-decoration\s*:[^;]*underline", re.I), Style.UNDERLINE),
    (re.compile(r"text-decoration\s*:[^;]*line-through", re.I), Style.STRIKE),
)
_LINK_SCHEMES = ("http://", "https://", "mailto:")
_SPACE = re.compile(r"[ \t\r\n\f]+")
_WHITESPACE = " \t\r\n\f"
BULLET = "• "


@dataclass
class _Pending:
    token: int
    style: Style
    url: str | None
    start: int | None = None


class StyledTextBuilder:
    """Text appended piece by piece, normalized as it goes, with the style runs over it."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self._breaks = 0  # line breaks owed before the next text (2: a blank line)
        self._space = ""  # whitespace owed before the next text on the same line
        self._prefix = ""  # a list bullet owed to the next text on a new line
        self._open: dict[int, _Pending] = {}
        self._unstarted: list[_Pending] = []  # open runs waiting for their first character
        self.runs: list[TextStyle] = []

    def text(self, data: str, *, verbatim: bool = False) -> None:
        """Append text; outside `pre` runs of whitespace are one space."""
        if not verbatim:
            data = _SPACE.sub(" ", data)
        core = data.strip(_WHITESPACE)
        lead = data[: len(data) - len(data.lstrip(_WHITESPACE))]
        if lead and self._length and not self._breaks:
            self._space = self._space or lead
        if not core:
            return
        self._emit_separator()
        self._emit(core, content=True)
        self._space = data[len(data.rstrip(_WHITESPACE)) :]

    def line_break(self) -> None:
        """`<br>`: one more line break (two in a row make a blank line)."""
        self._breaks += 1
        self._space = ""

    def block(self) -> None:
        """A block boundary: the next text starts a new line."""
        self._breaks = max(self._breaks, 1)
        self._space = ""
        self._prefix = ""

    def paragraph(self) -> None:
        """A paragraph boundary: a blank line before the next text."""
        self._breaks = 2
        self._space = ""
        self._prefix = ""

    def item(self, bullet: str) -> None:
        """A list item: a new line starting with `bullet` once it has text."""
        self.block()
        self._prefix = bullet

    def open(self, token: int, style: Style, url: str | None = None) -> None:
        """Start a run; it covers the text appended until `close(token)`."""
        pending = _Pending(token, style, url)
        self._open[token] = pending
        self._unstarted.append(pending)

    def close(self, token: int) -> None:
        """End the run opened with `token` (an unknown token is ignored)."""
        pending = self._open.pop(token, None)
        if pending is not None and pending.start is not None and pending.start < self._length:
            self.runs.append(TextStyle(pending.style, pending.start, self._length, pending.url))

    @property
    def value(self) -> str:
        """The text so far, without trailing whitespace."""
        return "".join(self._parts)

    def _emit_separator(self) -> None:
        if self._length:
            if self._breaks:
                self._emit("\n" * min(self._breaks, 2))
            elif self._space:
                self._emit(self._space)
        self._breaks = 0
        self._space = ""
        if self._prefix:
            prefix, self._prefix = self._prefix, ""
            self._emit(prefix)

    def _emit(self, piece: str, *, content: bool = False) -> None:
        if content and self._unstarted:
            for pending in self._unstarted:
                pending.start = self._length
            self._unstarted.clear()
        self._parts.append(piece)
        self._length += len(piece)


@dataclass(frozen=True, slots=True)
class FoundImage:
    """An `<img>` of the page: its address resolved, its declared size and style."""

    src: str
    width: str
    height: str
    style: str
    labels: frozenset[str]


@dataclass
class _Open:
    tag: str
    labels: tuple[str, ...]
    tokens: tuple[int, ...] = ()
    ordered: int | None = None  # the next number of an <ol>


@dataclass
class _Lists:
    numbers: list[int | None] = field(default_factory=list)


# uCoz news pages: eTitle (the title), eMessage/eText (the post), eDetails (the metadata).
_CLASS_LABELS = {
    "etitle": "title",
    "emessage": "message",
    "etext": "message",
    "edetails": "details",
    "edetails1": "details",
    "edetails2": "details",
}


class PageParser(HTMLParser):
    """Collects the title, message, details and whole text of a page, each with its runs."""

    def __init__(self, *, base_url: str | None = None, fragment: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self.base_url = base_url
        self.skip_tags = FRAGMENT_SKIP if fragment else SKIP
        self.stack: list[_Open] = []
        # Linear in the page: which elements and labels are open is kept in counters as
        # elements open and close, never found by walking the stack (as deep as the page).
        self.open_tags: Counter[str] = Counter()
        self.open_labels: Counter[str] = Counter()
        self._active_builders: list[StyledTextBuilder] | None = None
        self.builders: dict[str, StyledTextBuilder] = {"all": StyledTextBuilder()}
        self.done: set[str] = set()
        self.head_title: list[str] = []
        self.links: dict[str, str] = {}
        self.images: list[FoundImage] = []
        self.skip_depth = 0
        self.pre_depth = 0
        self.in_title = False
        self._tokens = 0
        self._lists = _Lists()

    @classmethod
    def parse(
        cls, html: str, *, base_url: str | None = None, fragment: bool = False
    ) -> PageParser:
        """Parse a whole page (or, with `fragment`, a piece of HTML such as a feed entry)."""
        parser = cls(base_url=base_url, fragment=fragment)
        parser.feed(html)
        parser.close()
        return parser

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Track containers, head links, styles, images and line structure."""
        values = {name: value or "" for name, value in attrs}
        if tag == "title" and not self.head_title:
            self.in_title = True
        elif tag == "link" and "canonical" in values.get("rel", "").lower().split():
            self.links.setdefault("canonical", values.get("href", "").strip())
        elif tag == "meta":
            prop = (values.get("property") or values.get("name") or "").lower()
            if prop in ("og:url", "og:title"):
                self.links.setdefault(prop, values.get("content", "").strip())
        elif tag == "html" and values.get("lang"):
            self.links.setdefault("lang", values["lang"].strip())
        elif tag == "body" and self.open_tags["head"]:
            self.handle_endtag("head")  # a page that never closed its head
        elif tag == "img" and not self.skip_depth:
            self._image(values)
        if tag in VOID:
            self._mark(tag)
            return
        classes = values.get("class", "").lower().split()
        labels = tuple(
            label
            for label in dict.fromkeys(_CLASS_LABELS[c] for c in classes if c in _CLASS_LABELS)
            if label not in self.done
        )
        if tag == "h1" and "h1" not in self.done:
            labels += ("h1",)
        item = _Open(tag, labels)
        self.stack.append(item)
        self.open_tags[tag] += 1
        if labels:
            self.open_labels.update(labels)
            self._active_builders = None
        if tag in self.skip_tags:
            self.skip_depth += 1
        if tag == "pre":
            self.pre_depth += 1
        if tag in ("ul", "ol"):
            self._lists.numbers.append(1 if tag == "ol" else None)
        self._mark(tag)
        if tag == "li":
            self._list_item()
        item.tokens = self._styles(tag, values)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """A self-closing tag opens nothing."""
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        """Close the element and any unclosed ones inside it."""
        if tag == "title":
            self.in_title = False
        if not self.open_tags[tag]:
            return
        while self.stack:
            item = self.stack.pop()
            self.open_tags[item.tag] -= 1
            for token in item.tokens:
                for builder in self.builders.values():
                    builder.close(token)
            if item.tag in self.skip_tags:
                self.skip_depth -= 1
            if item.tag == "pre":
                self.pre_depth -= 1
            if item.tag in ("ul", "ol") and self._lists.numbers:
                self._lists.numbers.pop()
            self._mark(item.tag)
            if item.labels:
                self.open_labels.subtract(item.labels)
                self._active_builders = None
            for label in item.labels:
                if label != "details":
                    self.done.add(label)
            if item.tag == tag:
                break

    def handle_data(self, data: str) -> None:
        """Append text to every container it is inside."""
        if self.in_title:
            self.head_title.append(data)
            return
        if self.skip_depth:
            return
        data = data.replace("\u00a0", " ")
        if not self.pre_depth:
            for builder in self._active():
                builder.text(data)
            return
        lines = data.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        for index, line in enumerate(lines):
            for builder in self._active():
                if index:
                    builder.line_break()
                builder.text(line, verbatim=True)

    def _active(self) -> list[StyledTextBuilder]:
        if self._active_builders is None:
            labels = sorted(label for label, count in self.open_labels.items() if count > 0)
            self._active_builders = [self.builders["all"]] + [
                self.builders.setdefault(label, StyledTextBuilder()) for label in labels
            ]
        return self._active_builders

    def _mark(self, tag: str) -> None:
        if self.skip_depth:
            return
        for builder in self._active():
            if tag in PARAGRAPH:
                builder.paragraph()
            elif tag == "br":
                builder.line_break()
            elif tag in BLOCK:
                builder.block()

    def _list_item(self) -> None:
        if self.skip_depth:
            return
        bullet = BULLET
        if self._lists.numbers and self._lists.numbers[-1] is not None:
            number = self._lists.numbers[-1] or 1
            self._lists.numbers[-1] = number + 1
            bullet = f"{number}. "
        for builder in self._active():
            builder.item(bullet)

    def _styles(self, tag: str, values: dict[str, str]) -> tuple[int, ...]:
        if self.skip_depth:
            return ()
        wanted: list[tuple[Style, str | None]] = []
        if tag in _TAG_STYLES:
            wanted.append((_TAG_STYLES[tag], None))
        if tag == "a":
            href = self.resolve(values.get("href", ""))
            if href and href.lower().startswith(_LINK_SCHEMES):
                wanted.append((Style.LINK, href))
        css = values.get("style", "")
        if css:
            wanted.extend((style, None) for pattern, style in _CSS_STYLES if pattern.search(css))
        tokens = []
        for style, link in wanted:
            self._tokens += 1
            tokens.append(self._tokens)
            for builder in self._active():
                builder.open(self._tokens, style, link)
        return tuple(tokens)

    def _image(self, values: dict[str, str]) -> None:
        src = self.resolve(values.get("src", "") or values.get("data-src", ""))
        if not src:
            return
        labels = frozenset(label for label, count in self.open_labels.items() if count > 0)
        self.images.append(
            FoundImage(
                src,
                values.get("width", "").strip(),
                values.get("height", "").strip(),
                values.get("style", ""),
                labels | {"all"},
            )
        )

    def resolve(self, href: str) -> str:
        """An address from the page, made absolute against the page's own."""
        href = href.strip()
        if not href or href.startswith("#"):
            return ""
        if self.base_url:
            try:
                return urljoin(self.base_url, href)
            except ValueError:  # a malformed address (an unclosed IPv6 bracket...)
                return ""
        return href

    def styled(self, label: str) -> tuple[str, tuple[TextStyle, ...]]:
        """The text of a container (`all` for the whole page) and its runs."""
        builder = self.builders.get(label)
        if builder is None:
            return "", ()
        return builder.value, tuple(builder.runs)

    def text(self, label: str) -> str:
        """The text of a container, normalized."""
        return self.styled(label)[0]

    def canonical_url(self) -> str | None:
        """The page's own address: `<link rel=canonical>`, else og:url."""
        url = self.links.get("canonical") or self.links.get("og:url")
        return self.resolve(url) if url else None

    def as_text(self) -> str:
        """The page in the plain-text post format: title, body, metadata."""
        title = self.title()
        message = self.text("message")
        if not message:
            message = self.text("all")
            first, _, rest = message.partition("\n")
            if title and " ".join(first.split()) == title:
                message = rest.lstrip("\n")
        details = self.text("details")
        return "\n\n".join(part for part in (title, message, details) if part.strip())

    def title(self) -> str:
        """The post's title: the uCoz title cell, else the first h1, og:title, <title>."""
        found = (
            self.text("title")
            or self.text("h1")
            or self.links.get("og:title", "")
            or "".join(self.head_title)
        )
        return " ".join(found.split())

    def body_source(self) -> tuple[str, tuple[TextStyle, ...]]:
        """The styled text the post's body is a part of (the message, else the whole page)."""
        if self.text("message"):
            return self.styled("message")
        return self.styled("all")
