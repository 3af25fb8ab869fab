"""Tag normalization end to end, and full-text search that never chokes on hostile input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import Status
from bot.ports import ManualClock
from storage import search as search_module
from storage.repository import Repository
from storage.search import ts_query, words_of
from tests.storage.util import chat, deliveries, post

HOSTILE = [
    '"',
    '"unbalanced',
    "*",
    "a*",
    "NEAR",
    "NEAR(a b)",
    "AND",
    "OR NOT",
    "x AND",
    "'; DROP TABLE announcements; --",
    "%",
    "_",
    "__init__",
    "100%_sure",
    "\\",
    "back\\slash",
    "C:\\path\\",
    "🎉",
    "🎉 party",
    "(",
    ")",
    "^",
    "-x",
    ":*",
    "a:*",
    "a & b | !c",
    "title:hack",
    "{col}",
    "\x00",
    "",
    "   ",
]


async def test_spellings_are_one_tag(repo: Repository, clock: ManualClock) -> None:
    target = await chat(repo, clock, "1", tags=["friends of korea"])
    first = await post(repo, clock, tags=["#Friends_of_Korea"])
    second = await post(repo, clock, tags=["friends of korea", "FRIENDS  OF KOREA"])
    third = await post(repo, clock, tags=["FRIENDS  OF KOREA"])
    assert first.announcement.tags == ("Friends of Korea",)
    # The first spelling seen becomes the tag's display name.
    assert second.announcement.tags == ("Friends of Korea",)
    tags = await repo.announcements.tags()
    assert [(t.key, t.name, t.count) for t in tags] == [("friends of korea", "Friends of Korea", 3)]
    page = await repo.announcements.by_tag("friends of korea", page=1, size=10)
    assert page is not None
    assert [a.id for a in page.items] == [r.announcement.id for r in (third, second, first)]
    for result in (first, second, third):
        assert await deliveries(repo, result.announcement.id) == [(target.id, "send", "pending")]


async def test_cyrillic_and_hangul_tags(repo: Repository, clock: ManualClock) -> None:
    target = await chat(repo, clock, "1", tags=["кндр", "조선"])
    result = await post(repo, clock, "Заголовок", "본문", ["#КНДР", "조선", "кНдР"])
    assert result.announcement.tags == ("КНДР", "조선")
    assert result.deliveries == 1
    assert await deliveries(repo, result.announcement.id) == [(target.id, "send", "pending")]
    counts = {t.key: (t.name, t.count) for t in await repo.announcements.tags()}
    assert counts == {"кндр": ("КНДР", 1), "조선": ("조선", 1)}
    for key in ("кндр", "조선"):
        page = await repo.announcements.by_tag(key, page=1, size=5)
        assert page is not None
        assert [a.id for a in page.items] == [result.announcement.id]
    assert await repo.announcements.tag_names("кн", 5) == ["КНДР"]


async def test_blank_and_duplicate_tags_dropped(repo: Repository, clock: ManualClock) -> None:
    result = await post(repo, clock, tags=["", "#", "  ", "a", "A", "#a"])
    assert result.announcement.tags == ("a",)


async def test_search_paging_and_totals(repo: Repository, clock: ManualClock) -> None:
    ids = [
        (await post(repo, clock, f"Meeting {i}", "annual congress")).announcement.id
        for i in range(5)
    ]
    await post(repo, clock, "Other", "nothing here")
    page = await repo.announcements.search("congress", page=1, size=2)
    assert [a.id for a in page.items] == ids[::-1][:2]
    assert (page.total, page.pages) == (5, 3)
    last = await repo.announcements.search("congress", page=3, size=2)
    assert [a.id for a in last.items] == [ids[0]]
    both = await repo.announcements.search("meeting annual", page=1, size=10)
    assert both.total == 5
    assert (await repo.announcements.search("meeting nothing", page=1, size=10)).total == 0
    # The last word is a prefix, so results come while the user is still typing.
    assert (await repo.announcements.search("congr", page=1, size=10)).total == 5
    assert (await repo.announcements.search("MEETING", page=1, size=10)).total == 5


async def test_search_multilingual(repo: Repository, clock: ManualClock) -> None:
    ru = (await post(repo, clock, "Собрание общества", "Годовщина Победы")).announcement
    ko = (await post(repo, clock, "조선 친선 협회", "평양에서 열린 회의")).announcement
    assert [a.id for a in (await repo.announcements.search("годовщина", page=1, size=5)).items] == [
        ru.id
    ]
    assert [a.id for a in (await repo.announcements.search("СОБРАНИЕ", page=1, size=5)).items] == [
        ru.id
    ]
    assert [a.id for a in (await repo.announcements.search("친선", page=1, size=5)).items] == [
        ko.id
    ]


async def test_hostile_search_never_fails(repo: Repository, clock: ManualClock) -> None:
    await post(repo, clock, "plain", "nothing special")
    for query in HOSTILE:
        page = await repo.announcements.search(query, page=1, size=5)
        assert page.items == (), query
        assert page.total == 0, query


async def test_hostile_text_stored_verbatim_and_findable(
    repo: Repository, clock: ManualClock
) -> None:
    body = "\n".join(q for q in HOSTILE if q != "\x00") + "\n<b>&amp;</b> *bold* _it_ `code`"
    a = (await post(repo, clock, "'; DROP TABLE announcements; --", body)).announcement
    got = await repo.announcements.get(a.id)
    assert got is not None
    assert (got.title, got.body) == ("'; DROP TABLE announcements; --", body)
    assert [
        x.id for x in (await repo.announcements.search("DROP TABLE", page=1, size=5)).items
    ] == [a.id]
    assert [
        x.id for x in (await repo.announcements.search("backslash", page=1, size=5)).items
    ] == []
    assert [
        x.id for x in (await repo.announcements.search("back slash", page=1, size=5)).items
    ] == [a.id]
    assert (await repo.announcements.latest(page=1, size=5)).total == 1


async def test_search_orders_by_publication_and_caps_totals(
    repo: Repository, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    late = (await post(repo, clock, "congress draft", status=Status.DRAFT)).announcement
    hidden = (await post(repo, clock, "congress hidden", status=Status.DRAFT)).announcement
    posts = [(await post(repo, clock, f"congress {i}")).announcement.id for i in range(6)]
    gone = (await post(repo, clock, "congress retracted")).announcement
    await repo.announcements.retract(gone.id, now=clock.now(), actor="c:o")
    await repo.announcements.publish(late.id, now=clock.now(), actor="c:o")
    newest_first = [late.id, *posts[::-1]]
    found = await repo.announcements.search("congress", page=1, size=10)
    assert [a.id for a in found.items] == newest_first
    assert found.total == 7
    assert hidden.id not in [a.id for a in found.items]
    monkeypatch.setattr(search_module, "TOTAL_CAP", 3)
    for page in (1, 2, 3):
        capped = await repo.announcements.search("congress", page=page, size=2)
        assert [a.id for a in capped.items] == newest_first[(page - 1) * 2 : page * 2]
        assert capped.total == max(3, page * 2)
    assert (await repo.announcements.search("congress", page=1, size=2)).pages == 2
    beyond = await repo.announcements.search("congress", page=10, size=2)
    assert beyond.items == ()
    assert beyond.total == 7  # the page asked for lies past the cap, so every match was counted


async def test_overlong_tag_refused_on_every_backend(repo: Repository, clock: ManualClock) -> None:
    with pytest.raises(ValueError, match="longer than 64"):
        await post(repo, clock, tags=["ok", "x" * 65])
    assert await repo.announcements.counts() == {}
    assert (await post(repo, clock, tags=["x" * 64])).announcement.tags == ("x" * 64,)


@given(st.text())
def test_search_terms_cannot_carry_syntax(query: str) -> None:
    words = words_of(query)
    for word in words:
        assert word.isalnum()
    if words:
        assert not set("'\\\"&|!():*<>") & set(ts_query(words).replace(" & ", "").rstrip(":*"))
