"""One Herald following another: the website's own RSS, Atom and JSON Feed read back."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from adapters.http.site.feeds import FEED_KINDS, render_feed
from adapters.http.site.visit import SiteConfig, Visit
from bot.domain import Announcement, Status
from bot.feeds import content
from bot.feeds.entries import FeedEntry
from bot.formatting import Style, TextStyle
from bot.site.ports import PhotoFacts
from bot.site.service import Feed

BASE = "https://society.example"
BODY = "We meet on Friday at the hall.\nBring a friend.\n\nSee our site for the programme."
STYLES = (
    TextStyle(Style.BOLD, 11, 17),  # Friday
    TextStyle(Style.ITALIC, 31, 46),  # Bring a friend.
    TextStyle(Style.LINK, 52, 60, "https://society.example/programme"),  # our site
)
WHEN = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def announcement(**fields: object) -> Announcement:
    values: dict[str, object] = {
        "id": 12, "title": "Friday meeting", "body": BODY, "status": Status.PUBLISHED,
        "revision": 2, "created_at": WHEN, "updated_at": WHEN, "published_at": WHEN,
        "tags": ("Meetings", "Korea"), "body_styles": STYLES, "has_photo": True,
    }  # fmt: skip
    values.update(fields)
    return Announcement(**values)  # type: ignore[arg-type]


def rendered(kind: str, item: Announcement) -> bytes:
    feed = Feed((item,), None, WHEN, {item.id: PhotoFacts("image/jpeg", 1234)})
    visit = Visit("en", False, BASE, "/" + kind)
    config = SiteConfig("en", ZoneInfo("UTC"), BASE, "Friendship Society")
    return render_feed(kind, feed, visit, config).body


@pytest.mark.parametrize("kind", sorted(FEED_KINDS))
def test_herald_reads_its_own_feeds(kind: str) -> None:
    body = rendered(kind, announcement())
    parsed = content.parse_feed(body, content_type=FEED_KINDS[kind], url=f"{BASE}/{kind}")
    assert parsed.title == "Friendship Society"
    (entry,) = parsed.entries
    assert entry.link == f"{BASE}/announcements/12"
    assert entry.title == "Friday meeting"
    assert entry.draft.body == BODY
    styled = sorted((r.style.value, entry.draft.body[r.start : r.end], r.url)
                    for r in entry.draft.body_styles)
    assert styled == sorted(
        (r.style.value, BODY[r.start : r.end], r.url) for r in STYLES
    )
    assert entry.image_url == f"{BASE}/announcements/12/photo"
    assert set(entry.draft.tags) >= {"Meetings", "Korea"}


@pytest.mark.parametrize("kind", sorted(FEED_KINDS))
def test_an_edit_on_one_herald_is_a_new_hash_on_the_other(kind: str) -> None:
    def entry(item: Announcement) -> FeedEntry:
        body = rendered(kind, item)
        return content.parse_feed(body, content_type=None, url=f"{BASE}/{kind}").entries[0]

    before = entry(announcement())
    after = entry(announcement(body=BODY.replace("Friday", "Monday"), revision=3))
    assert before.key == after.key
    assert before.content_hash != after.content_hash
