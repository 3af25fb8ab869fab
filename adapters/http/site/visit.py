"""One request as the pages see it: the reader's language, the site's address, link helpers."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from adapters.http.site.text import choose_language
from bot.paging import PageError, parse_page
from bot.tags import tag_key


class BadPage(ValueError):
    """`?page=` is not a whole number from 1."""


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """What the website needs from settings."""

    language: str
    zone: ZoneInfo
    public_url: str | None = None
    name: str = "Herald"


@dataclass(frozen=True, slots=True)
class Visit:
    """The language and address a page is rendered for."""

    lang: str
    explicit: bool
    base: str
    path: str
    # The query without `lang`, to link to this page in another language.
    query: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, request: web.Request, config: SiteConfig, *, negotiate: bool = True) -> Visit:
        """Language from `?lang=`, then Accept-Language (when `negotiate`), then the society's."""
        asked = request.query.get("lang")
        accept = request.headers.get("Accept-Language") if negotiate else None
        lang = choose_language(asked, accept, config.language)
        explicit = asked is not None and asked == lang
        base = (config.public_url or f"{request.scheme}://{request.host}").rstrip("/")
        query = tuple((k, v) for k, v in request.query.items() if k != "lang")
        return cls(lang, explicit, base, request.path, query)

    def link(self, path: str, **params: object) -> str:
        """A site-relative link that keeps an explicitly chosen language."""
        query = {k: str(v) for k, v in params.items() if v is not None}
        if self.explicit:
            query["lang"] = self.lang
        return path + ("?" + urlencode(query) if query else "")

    def here(self, lang: str | None = None) -> str:
        """This page's link, in `lang` when given."""
        query = dict(self.query)
        if lang is not None:
            query["lang"] = lang
        elif self.explicit:
            query["lang"] = self.lang
        return self.path + ("?" + urlencode(query) if query else "")

    def absolute(self, path: str) -> str:
        """The full address of a site path (HERALD_PUBLIC_URL, else the request's host)."""
        return self.base + path


@lru_cache(maxsize=4096)
def tag_path(name: str) -> str:
    """`/tags/friends_of_korea` for `Friends of Korea` (any spelling of a tag finds it)."""
    # Cached: a listing links ~90 tags, each a tag_key and a quote, from a few hundred names.
    return "/tags/" + quote(tag_key(name).replace(" ", "_"), safe="")


def page_number(request: web.Request) -> int:
    """`?page=N`, 1 by default; BadPage for anything but a whole number from 1 to MAX_PAGE."""
    raw = request.query.get("page", "1")
    try:
        # The chat's rule (bot.paging): ASCII digits, 1 to MAX_PAGE; nothing at all is bad too.
        if not raw.strip():
            raise PageError(raw)
        return parse_page(raw)
    except PageError:
        raise BadPage(raw[:20]) from None
