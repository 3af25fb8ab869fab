"""Parse a saved society post (plain text or the HTML of a uCoz-style news page)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from bot.domain import NewAnnouncement
from bot.formatting import Styles
from bot.importers.html_text import FoundImage, PageParser
from bot.importers.identity import content_key, url_key
from bot.runs import clip, nest
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
    return read_post(content, source=source).announcement


@dataclass(frozen=True, slots=True)
class ImportedPost:
    """A parsed post, and the images in its text (HTML only), in page order."""

    announcement: NewAnnouncement
    images: tuple[FoundImage, ...] = ()
    language: str | None = None  # the page's `<html lang>`


def read_post(
    content: str, *, source: str | None = None, base_url: str | None = None
) -> ImportedPost:
    """Parse a saved post like `parse_post`; HTML keeps its formatting as style runs.

    `base_url` is the page's address, against which its relative links and images resolve.
    """
    text = content.lstrip("\ufeff")
    if not text.strip():
        raise ImportFormatError("the post is empty")
    _reject_binary(text)
    canonical: str | None = None
    page: PageParser | None = None
    if _HTML_START.match(text):
        page = PageParser.parse(text, base_url=base_url)
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
    announcement = NewAnnouncement(
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
    if page is None:
        return ImportedPost(announcement)
    source_text, runs = page.body_source()
    label = "message" if page.text("message") else "all"
    return ImportedPost(
        replace(announcement, body_styles=styles_within(source_text, runs, post.body)),
        tuple(image for image in page.images if label in image.labels),
        page.links.get("lang") or None,
    )


@dataclass(frozen=True, slots=True)
class PostParts:
    """A post's text split like the importer does: body, signature and metadata line."""

    body: str
    signature: str | None
    meta: dict[str, str]


def split_post_body(text: str) -> PostParts:
    """A post's text without a title: the trailing metadata lines and signature taken off.

    `meta` has the keys category, views, added_by, tags, comments, rating, date, url when
    present.
    """
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    paragraphs, signature, meta = _split_tail(lines)
    return PostParts("\n\n".join("\n".join(p) for p in paragraphs), signature, meta)


def styles_within(source: str, runs: Styles, part: str) -> Styles:
    """The runs over `source` that fall on `part` (a piece of it), in `part`'s coordinates."""
    if not runs or not part:
        return ()
    start = source.find(part)
    if start < 0:
        return ()
    return nest(clip(runs, start, start + len(part)), len(part))


def parse_count(value: str) -> int:
    """A count such as `1 234` or `1,234` as a number (0 when there is none)."""
    return _parse_count(value)


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
    paragraphs, signature, meta = _split_tail(lines[first + 1 :])
    if not paragraphs:
        raise ImportFormatError(
            f"the post has a title ({title[:60]!r}) but no body: "
            "expected the title on the first line, then the text"
        )
    body = "\n\n".join("\n".join(p) for p in paragraphs)
    return _ParsedText(title, body, signature, meta)


def _split_tail(rest: list[str]) -> tuple[list[list[str]], str | None, dict[str, str]]:
    rest = list(rest)
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
    return paragraphs, signature, _parse_meta(meta_lines)


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
