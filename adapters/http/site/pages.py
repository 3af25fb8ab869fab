"""The HTML pages: latest, an announcement, tags, a tag, search, anniversaries, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from adapters.http.site import text
from adapters.http.site.body import body_html
from adapters.http.site.responses import Rendered
from adapters.http.site.visit import SiteConfig, Visit, tag_path
from bot.domain import Announcement, Page, TagCount
from bot.render import preview
from bot.schedule.ordinals import is_jubilee
from bot.site.service import SEARCH_TOTAL_CAP, Coming

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC_CSS = "/static/site.css"


class Pages:
    """Renders pages with Jinja2; every value is escaped unless it is built as Markup here."""

    def __init__(self, config: SiteConfig) -> None:
        self._config = config
        self._env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html"], default=True),
            trim_blocks=True,
            lstrip_blocks=True,
            # Compiled once: templates ship with the package and never change while it runs.
            auto_reload=False,
        )

    def render(self, visit: Visit, template: str, *, status: int = 200, **values: Any) -> Rendered:
        """A page in the visit's language."""
        labels = text.labels(visit.lang)
        feeds = values.pop("feeds", None)
        if feeds is None:
            feeds = self.feeds(visit, "", labels["latest"])
        context = {
            "lang": visit.lang,
            "L": labels,
            "site_name": self._config.name,
            "static_css": STATIC_CSS,
            "link": visit.link,
            "here": visit.here,
            "languages": text.language_names(),
            "explicit_lang": visit.explicit,
            "canonical": visit.absolute(_canonical(visit)) if status == 200 else None,
            "feeds": feeds,
            **values,
        }
        og = {"title": values.get("page_title", ""), "type": "website", "locale": _og_locale(visit)}
        og.update(values.get("og", {}))
        context["og"] = og
        html = self._env.get_template(template).render(context)
        headers = {"Content-Language": visit.lang, "Vary": "Accept-Language"}
        return Rendered.of(html, status=status, headers=headers)

    def feeds(self, visit: Visit, prefix: str, title: str) -> list[dict[str, str]]:
        """The feeds a page links to (rel=alternate), absolute."""
        kinds = (
            ("application/rss+xml", "feed.rss", "RSS"),
            ("application/atom+xml", "feed.atom", "Atom"),
            ("application/feed+json", "feed.json", "JSON Feed"),
        )
        return [
            {"type": kind, "href": visit.absolute(f"{prefix}/{name}"), "label": label,
             "title": f"{title} ({label})"}
            for kind, name, label in kinds
        ]

    def listing(
        self, visit: Visit, page: Page[Announcement], *, heading: str, empty: str,
        path: str, extra: dict[str, str] | None = None, **values: Any,
    ) -> Rendered:
        """A page of announcements with a pager."""
        return self.render(
            visit, values.pop("template", "listing.html"),
            page_title=values.pop("page_title", heading), heading=heading, empty=empty,
            items=[self.entry(visit, item) for item in page.items],
            pager=pager_links(visit, page, path, extra or {}), **values,
        )

    def entry(self, visit: Visit, item: Announcement) -> dict[str, Any]:
        """What a listing shows of an announcement."""
        when = item.published_at or item.created_at
        return {
            "id": item.id, "title": item.title, "preview": preview(item.body),
            "iso": when.isoformat(), "has_photo": item.has_photo,
            "date": text.local_day(when, self._zone, visit.lang),
            "tags": [{"name": name, "path": tag_path(name)} for name in item.tags],
        }

    def announcement(self, visit: Visit, item: Announcement, web_views: int) -> Rendered:
        """An announcement's own page (its permalink)."""
        when = item.published_at or item.created_at
        photo = f"/announcements/{item.id}/photo" if item.has_photo else None
        shown = {
            **self.entry(visit, item),
            "date": text.local_day(when, self._zone, visit.lang) + ", "
            + text.local_clock(when, self._zone),
            "body": body_html(item.body, item.body_styles), "signature": item.signature,
            "category": item.category, "photo": photo,
            "views": text.views(visit.lang, item.views, web_views),
        }
        og = {"type": "article", "description": preview(item.body, 200),
              "image": visit.absolute(photo) if photo else None}
        return self.render(visit, "announcement.html", page_title=item.title, item=shown, og=og)

    def tags(self, visit: Visit, tags: list[TagCount]) -> Rendered:
        """Every tag in use."""
        shown = [{"name": t.name, "path": tag_path(t.name), "count": t.count} for t in tags]
        title = text.labels(visit.lang)["tags"]
        return self.render(visit, "tags.html", page_title=title, tags=shown)

    def anniversaries(self, visit: Visit, coming: list[Coming]) -> Rendered:
        """The coming anniversaries with their ordinals."""
        shown = []
        for c in coming:
            years = c.occurrence.years
            shown.append({
                "iso": c.occurrence.occurs_on.isoformat(), "title": c.anniversary.title,
                "date": text.local_day(c.occurrence.occurs_on, self._zone, visit.lang),
                "ordinal": text.anniversary_ordinal(visit.lang, years) if years else None,
                "jubilee": bool(years and is_jubilee(years)),
                "left": text.days_left(visit.lang, c.days_left),
                "tags": [{"name": n, "path": tag_path(n)} for n in c.anniversary.tags],
            })
        labels = text.labels(visit.lang)
        return self.render(
            visit, "anniversaries.html", page_title=labels["coming"], coming=shown,
            calendar=visit.absolute("/anniversaries.ics"),
        )

    def search_heading(self, visit: Visit, total: int) -> str:
        """`Found 12` (`300+` beyond the exact count)."""
        shown = f"{SEARCH_TOTAL_CAP}+" if total >= SEARCH_TOTAL_CAP else str(total)
        return text.found(visit.lang, shown)

    def error(self, visit: Visit, status: int, message: str) -> Rendered:
        """An error page (404, 410, 400) in the reader's language."""
        return self.render(
            visit, "error.html", status=status, page_title=str(status), message=message
        )

    @property
    def _zone(self) -> ZoneInfo:
        return self._config.zone


def pager_links(
    visit: Visit, page: Page[Announcement], path: str, extra: dict[str, str]
) -> dict[str, str | None] | None:
    """Links to the newer and older pages, and `Page 2 of 7`; None for a single page."""
    if page.pages <= 1:
        return None
    newer = visit.link(path, **extra, page=page.page - 1) if page.page > 1 else None
    older = visit.link(path, **extra, page=page.page + 1) if page.page < page.pages else None
    label = text.page_of(visit.lang, page.page, page.pages)
    return {"newer": newer, "older": older, "label": label}


def _canonical(visit: Visit) -> str:
    query = urlencode([(k, v) for k, v in visit.query if k in ("page", "q")])
    return visit.path + ("?" + query if query else "")


def _og_locale(visit: Visit) -> str:
    return {"en": "en_US", "ru": "ru_RU", "ko": "ko_KR"}.get(visit.lang, "en_US")
