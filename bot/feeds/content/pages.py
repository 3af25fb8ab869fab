"""A society's HTML news page: the links of its items, and one item's full page as an entry."""

from __future__ import annotations

from dataclasses import dataclass, replace
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit, urlunsplit

from bot.feeds.content.encoding import decode
from bot.feeds.content.images import first_image
from bot.feeds.content.limits import hold_body, hold_fields, hold_title
from bot.feeds.entries import FeedEntry, FeedError, draft_hash, entry_key
from bot.i18n import normalize_language
from bot.importers.society_post import ImportFormatError, read_post

# Item titles on uCoz news lists (eTitle) and on common CMS lists.
_ITEM_TITLE_CLASSES = frozenset(
    {"etitle", "entry-title", "post-title", "news-title", "item-title", "article-title"}
)
# Links there are the site's own furniture, not items.
_FURNITURE = frozenset({"nav", "header", "footer", "aside", "menu"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4"})
_NOT_PAGES = (
    ".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".pdf", ".doc", ".docx", ".zip",
    ".rar", ".css", ".js", ".xml", ".rss", ".mp3", ".mp4",
)
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "param", "source", "track", "wbr"})


@dataclass(frozen=True, slots=True)
class _Anchor:
    url: str
    item_title: bool  # inside an item-title element (uCoz eTitle)
    heading: bool  # inside <article> or a heading
    furniture: bool  # inside nav, header, footer, aside


class _LinkFinder(HTMLParser):
    """Every `<a href>` of a page with where it sits."""

    def __init__(self, url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = url
        self.stack: list[tuple[str, bool, bool, bool]] = []
        self.anchors: list[_Anchor] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Note the context of each link."""
        values = {name: value or "" for name, value in attrs}
        if tag == "base" and values.get("href"):
            self.base = _join(self.base, values["href"]) or self.base
        if tag == "a" and values.get("href"):
            url = _join(self.base, values["href"])
            if url:
                self.anchors.append(_Anchor(url, *self._context()))
        if tag in _VOID:
            return
        classes = set(values.get("class", "").lower().split())
        self.stack.append(
            (
                tag,
                bool(classes & _ITEM_TITLE_CLASSES),
                tag in _HEADINGS or tag == "article",
                tag in _FURNITURE or values.get("role", "") == "navigation",
            )
        )

    def handle_endtag(self, tag: str) -> None:
        """Close the element and any unclosed ones inside it."""
        if any(item[0] == tag for item in self.stack):
            while self.stack and self.stack.pop()[0] != tag:
                pass

    def _context(self) -> tuple[bool, bool, bool]:
        return (
            any(item[1] for item in self.stack),
            any(item[2] for item in self.stack),
            any(item[3] for item in self.stack),
        )


def parse_news_page(body: bytes, *, content_type: str | None, url: str) -> list[str]:
    """The absolute links of a news page's items, same site only, in page order, once each.

    Items are the links in item titles (uCoz `eTitle`), else those in articles and headings,
    else the links below the page's own path; links in navigation, headers, footers and
    sidebars are never items.
    """
    text = decode(body, content_type).text
    if not text.strip():
        raise FeedError("the news page is empty")
    finder = _LinkFinder(url)
    finder.feed(text)
    finder.close()
    page = _without_fragment(url)
    own = [
        anchor
        for anchor in finder.anchors
        if _same_site(anchor.url, url) and _is_page(anchor.url) and anchor.url != page
    ]
    content = [anchor for anchor in own if not anchor.furniture]
    tiers = (
        [a for a in content if a.item_title],
        [a for a in content if a.heading],
        [a for a in content if _below(a.url, url)],
    )
    chosen = next((tier for tier in tiers if tier), [])
    return list(dict.fromkeys(anchor.url for anchor in chosen))


def parse_article(body: bytes, *, content_type: str | None, url: str) -> FeedEntry:
    """One item's full page, read by the importer's parser, as an entry keyed by its link."""
    text = decode(body, content_type).text
    try:
        imported = read_post(text, source=url, base_url=url)
    except ImportFormatError as exc:
        raise FeedError(f"the page {url} cannot be read as a post: {exc}") from None
    post = imported.announcement
    language = normalize_language(imported.language) or "en"
    image = first_image(imported.images)
    title = hold_title(post.title)
    body_text, styles = hold_body(post.body, post.body_styles, link=url, language=language)
    draft = replace(
        post,
        title=title,
        body=body_text,
        body_styles=styles,
        source_url=post.source_url or url,
        source_key=None,
    )
    draft, problem = hold_fields(draft)
    if problem:
        raise FeedError(f"the page {url} cannot be stored: {problem}")
    digest = draft_hash(draft, image)
    key = entry_key(None, url, digest)
    return FeedEntry(key, url, title, None, digest, replace(draft, source_key=key), image)


def _join(base: str, href: str) -> str | None:
    href = href.strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
        return None
    try:
        url = urljoin(base, href)
    except ValueError:
        return None
    if urlsplit(url).scheme not in ("http", "https"):
        return None
    return _without_fragment(url)


def _without_fragment(url: str) -> str:
    """The address without its #fragment and its utm_* tracking parameters."""
    parts = urlsplit(url)
    query = parts.query
    if "utm_" in query:
        kept = [p for p in query.split("&") if p and not p.lower().startswith("utm_")]
        query = "&".join(kept)
    return urlunsplit(parts._replace(fragment="", query=query))


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def _same_site(url: str, page: str) -> bool:
    return _host(url) == _host(page)


def _is_page(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return path not in ("", "/") and not path.endswith(_NOT_PAGES)


def _below(url: str, page: str) -> bool:
    """Whether `url` is under the news page's own path (`/news/x` under `/news/`)."""
    base = urlsplit(page).path
    directory = base if base.endswith("/") else base.rsplit("/", 1)[0] + "/"
    path = urlsplit(url).path
    return path.startswith(directory) and len(path) > len(directory) and not urlsplit(url).query
