"""Parse a saved society post (plain text or the HTML of a uCoz-style news page)."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser

from bot.domain import NewAnnouncement
from bot.importers.identity import content_key, url_key
from bot.tags import MAX_TAG_LENGTH, display_name, split_tag_list, tag_key

MAX_SIGNATURE_LENGTH = 120
# A short last paragraph ending like a sentence is text, not a signature.
_SENTENCE_END = (".", "!", "?", "…", ":", ";", ",")

# Labels of the trailing metadata line, English and Russian uCoz sites.
_META_KEYS = {
    "category": "category",
    "категория": "category",
    "views": "views",
    "просмотров": "views",
    "added by": "added_by",
    "добавил": "added_by",
    "tags": "tags",
    "теги": "tags",
    "total comments": "comments",
    "всего комментариев": "comments",
    "comments": "comments",
    "rating": "rating",
    "рейтинг": "rating",
}
# Read only inside a metadata line (`Category: News | Date: 15.08.2020`): a last line
# `Date: Saturday` or `Source: KCNA` on its own is the post's text.
_SEGMENT_KEYS = {"date": "date", "дата": "date"}
# The post's address, as its own line or a segment, when the value is an http(s) URL.
_URL_KEYS = {key: "url" for key in ("url", "link", "source", "canonical", "ссылка", "источник")}
_META_LINE = re.compile(
    r"^\s*(?:(?:" + "|".join(re.escape(k) for k in _META_KEYS) + r")\s*:"
    r"|(?:" + "|".join(re.escape(k) for k in _URL_KEYS) + r")\s*:\s*https?://\S+\s*$)",
    re.IGNORECASE,
)
_HTML_START = re.compile(
    r"^\s*<(?:!doctype\s+html|html|head|body|meta|title|div|table|article|section|main|p|h1|!--)"
    r"[\s>/]",
    re.IGNORECASE,
)
_HTTP_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)


class ImportFormatError(ValueError):
    """The content is not a society post Herald can read; the message says why."""


def parse_post(content: str, *, source: str | None = None) -> NewAnnouncement:
    """Parse a saved post (text or HTML, detected) into a new announcement.

    Its identity: `source_key` from the page's address (a canonical link or og:url in HTML,
    a `URL: …` line in text, or `source` when that is a URL), and always `content_key` from
    its title, date, author and text, so text and HTML saves of one post are one post.
    """
    text = content.lstrip("\ufeff")
    if not text.strip():
        raise ImportFormatError("the post is empty")
    _reject_binary(text)
    canonical: str | None = None
    if _HTML_START.match(text):
        page = _PageParser.parse(text)
        text = page.as_text()
        canonical = page.canonical_url()
        if not text.strip():
            raise ImportFormatError("the HTML page has no title and no text")
    post = _parse_text(text)
    given = source.strip() if source else ""
    addresses = (canonical, post.meta.get("url"), given)
    source_url = next((a for a in addresses if a and url_key(a)), None)
    author = post.meta.get("added_by", "")
    text_and_signature = post.body + ("\n\n" + post.signature if post.signature else "")
    return NewAnnouncement(
        title=post.title,
        body=post.body,
        tags=_tags(post.meta.get("tags", "")),
        category=post.meta.get("category") or None,
        signature=post.signature,
        source_url=source_url,
        source_key=url_key(source_url) if source_url else None,
        views=_parse_count(post.meta.get("views", "")),
        created_by=f"import:{author}" if author else None,
        content_key=content_key(
            title=post.title, date=post.meta.get("date", ""), author=author,
            text=text_and_signature,
        ),
    )  # fmt: skip


def _tags(text: str) -> tuple[str, ...]:
    """The `Tags:` list; a tag too long to store refuses the post rather than vanishing."""
    for part in re.split(r"[,;]", text):
        name = display_name(part)
        if max(len(name), len(tag_key(name))) > MAX_TAG_LENGTH:
            raise ImportFormatError(
                f"the tag {name[:40]!r}… is longer than {MAX_TAG_LENGTH} characters"
            )
    return tuple(split_tag_list(text))


@dataclass(frozen=True, slots=True)
class _ParsedText:
    title: str
    body: str
    signature: str | None
    meta: dict[str, str]


def _reject_binary(text: str) -> None:
    nul = text.find("\x00")
    if nul >= 0:
        raise ImportFormatError(
            f"the file contains a NUL character (at character {nul + 1:,}): "
            "it looks binary, not a saved post"
        )
    sample = text[:20_000]
    odd = sum(
        1
        for ch in sample
        if ch == "\ufffd" or (unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
    )
    if odd * 100 > len(sample):
        raise ImportFormatError(
            "the file does not look like text (too many control or undecodable characters)"
        )


def _parse_text(text: str) -> _ParsedText:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise ImportFormatError("the post is empty")
    title = lines[first].strip()
    rest = lines[first + 1 :]
    meta_lines: list[str] = []
    while rest and (not rest[-1].strip() or _META_LINE.match(rest[-1])):
        line = rest.pop()
        if line.strip():
            meta_lines.append(line)
    meta_lines.reverse()
    paragraphs = _paragraphs(rest)
    signature: str | None = None
    if len(paragraphs) >= 2 and _is_signature(paragraphs[-1]):
        signature = paragraphs.pop()[0].strip()
    if not paragraphs:
        raise ImportFormatError(
            f"the post has a title ({title[:60]!r}) but no body: "
            "expected the title on the first line, then the text"
        )
    body = "\n\n".join("\n".join(p) for p in paragraphs)
    return _ParsedText(title, body, signature, _parse_meta(meta_lines))


def _paragraphs(lines: list[str]) -> list[list[str]]:
    paragraphs: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if line.strip():
            current.append(line)
        elif current:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    return paragraphs


def _is_signature(paragraph: list[str]) -> bool:
    if len(paragraph) != 1:
        return False
    line = paragraph[0].strip()
    return len(line) < MAX_SIGNATURE_LENGTH and not line.endswith(_SENTENCE_END)


def _parse_meta(lines: list[str]) -> dict[str, str]:
    meta: dict[str, str] = {}
    for line in lines:
        for segment in line.split("|"):
            key, sep, value = segment.partition(":")
            label = " ".join(key.split()).casefold()
            name = _META_KEYS.get(label) or _SEGMENT_KEYS.get(label) or _URL_KEYS.get(label)
            value = " ".join(value.split())
            if name == "url" and not _HTTP_URL.match(value):
                continue
            if sep and name and name not in meta:
                meta[name] = value
    return meta


def _parse_count(value: str) -> int:
    match = re.match(r"\d[\d\s,.\u00a0]*", value)
    return int(re.sub(r"\D", "", match.group())) if match else 0


# --- HTML -----------------------------------------------------------------


def _names(words: str) -> frozenset[str]:
    return frozenset(words.split())


_VOID = _names("area base br col embed hr img input link meta param source track wbr")
_SKIP = _names("script style noscript template svg head")
_PARAGRAPH = _names("p h1 h2 h3 h4 h5 h6 blockquote pre ul ol table")
_BLOCK = _names(
    "address article aside dd details div dl dt fieldset figcaption figure footer form header "
    "hr li main nav section summary tbody thead tfoot tr td th caption"
)
# uCoz news pages: eTitle (the title), eMessage/eText (the post), eDetails (the metadata).
_CLASS_LABELS = {
    "etitle": "title",
    "emessage": "message",
    "etext": "message",
    "edetails": "details",
    "edetails1": "details",
    "edetails2": "details",
}
# A NUL then a letter: NUL never reaches the parser (the file is refused), so a marker starts
# only where one was put, and two markers cannot overlap (`\x00L\x00` + `P\x00` once read
# as a paragraph mark in the middle).
_PARA_MARK = "\x00p"
_LINE_MARK = "\x00l"


@dataclass
class _Open:
    tag: str
    labels: tuple[str, ...]


class _PageParser(HTMLParser):
    """Collects the title, message, details and whole text of a news page.

    Linear in the page: every question about the open elements (is a `<div>` open, which
    labels cover this text) is answered from counters kept as elements open and close, never
    by walking the stack, which is as deep as the page is nested.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[_Open] = []
        self.open_tags: Counter[str] = Counter()
        self.open_labels: Counter[str] = Counter()
        self.buffers: dict[str, list[str]] = {}
        self.done: set[str] = set()
        self.head_title: list[str] = []
        self.links: dict[str, str] = {}
        self.skip_depth = 0
        self.pre_depth = 0
        self.in_title = False

    @classmethod
    def parse(cls, html: str) -> _PageParser:
        """Parse a whole page."""
        parser = cls()
        parser.feed(html)
        parser.close()
        return parser

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Track containers, head links and line structure."""
        values = {name: value or "" for name, value in attrs}
        if tag == "title" and not self.head_title:
            self.in_title = True
        elif tag == "link" and "canonical" in values.get("rel", "").lower().split():
            self.links.setdefault("canonical", values.get("href", "").strip())
        elif tag == "meta":
            prop = (values.get("property") or values.get("name") or "").lower()
            if prop in ("og:url", "og:title"):
                self.links.setdefault(prop, values.get("content", "").strip())
        elif tag == "body" and self.open_tags["head"]:
            self.handle_endtag("head")  # a page that never closed its head
        if tag in _VOID:
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
        self.stack.append(_Open(tag, labels))
        self.open_tags[tag] += 1
        self.open_labels.update(labels)
        if tag in _SKIP:
            self.skip_depth += 1
        if tag == "pre":
            self.pre_depth += 1
        self._mark(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """A self-closing tag opens nothing."""
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
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
            self.open_labels.subtract(item.labels)
            if item.tag in _SKIP:
                self.skip_depth -= 1
            if item.tag == "pre":
                self.pre_depth -= 1
            self._mark(item.tag)
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
        if not self.pre_depth:
            data = re.sub(r"[ \t\r\n\f]+", " ", data)
        else:
            data = data.replace("\r\n", "\n").replace("\n", _LINE_MARK)
        self._append(data)

    def _mark(self, tag: str) -> None:
        if self.skip_depth:
            return
        if tag in _PARAGRAPH:
            self._append(_PARA_MARK)
        elif tag in _BLOCK or tag == "br":
            self._append(_LINE_MARK)

    def _append(self, data: str) -> None:
        self.buffers.setdefault("all", []).append(data)
        for label, count in self.open_labels.items():
            if count:
                self.buffers.setdefault(label, []).append(data)

    def _text(self, label: str) -> str:
        raw = "".join(self.buffers.get(label, []))
        raw = raw.replace("\u00a0", " ").replace(_PARA_MARK, "\n\n").replace(_LINE_MARK, "\n")
        lines = [line.strip() for line in raw.split("\n")]
        return "\n\n".join("\n".join(p) for p in _paragraphs(lines))

    def canonical_url(self) -> str | None:
        """The page's own address: `<link rel=canonical>`, else og:url."""
        url = self.links.get("canonical") or self.links.get("og:url")
        return url or None

    def as_text(self) -> str:
        """The page in the plain-text post format: title, body, metadata."""
        found = (
            self._text("title")
            or self._text("h1")
            or self.links.get("og:title", "")
            or "".join(self.head_title)
        )
        title = " ".join(found.split())
        message = self._text("message")
        if not message:
            message = self._text("all")
            first, _, rest = message.partition("\n")
            if title and " ".join(first.split()) == title:
                message = rest
        details = self._text("details")
        return "\n\n".join(part for part in (title, message, details) if part.strip())
