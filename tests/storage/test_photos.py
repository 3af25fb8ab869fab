"""A post's photo: stored with the announcement in one transaction, gone with it."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from sqlalchemy import delete, func, select

from bot.domain import Status
from bot.formatting import Photo
from bot.ports import ManualClock
from storage.models import AnnouncementPhotoRow, AnnouncementRow
from storage.repository import Repository
from tests.images import png
from tests.storage.util import new

PHOTO = Photo(png(), "image/png", "photo.png")


async def _photo_rows(repo: Repository) -> int:
    async with repo.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(AnnouncementPhotoRow))
        return int(count or 0)


async def test_photo_written_with_the_announcement(repo: Repository, clock: ManualClock) -> None:
    created = await repo.announcements.create(
        replace(new("With photo", "Body"), photo=PHOTO),
        status=Status.PUBLISHED,
        now=clock.now(),
        actor="console:owner",
    )
    item = created.announcement
    assert item.has_photo
    assert await repo.announcements.photo(item.id) == PHOTO
    async with repo.sessions() as session:
        row = await session.get(AnnouncementPhotoRow, item.id)
        assert row is not None
        assert (row.size, row.sha256) == (len(PHOTO.data), hashlib.sha256(PHOTO.data).hexdigest())
        assert row.created_at == clock.now()
    plain = await repo.announcements.create(
        new("Plain", "Body"), status=Status.PUBLISHED, now=clock.now(), actor="console:owner"
    )
    assert not plain.announcement.has_photo
    assert await repo.announcements.photo(plain.announcement.id) is None
    latest = await repo.announcements.latest(page=1, size=10)
    assert {a.title: a.has_photo for a in latest.items} == {"With photo": True, "Plain": False}
    found = await repo.announcements.search("photo", page=1, size=10)
    assert [a.has_photo for a in found.items] == [True]


async def test_photo_removed_with_its_announcement(repo: Repository, clock: ManualClock) -> None:
    created = await repo.announcements.create(
        replace(new(), photo=PHOTO), status=Status.DRAFT, now=clock.now(), actor="console:o"
    )
    assert await _photo_rows(repo) == 1
    async with repo.sessions.begin() as session:
        await session.execute(
            delete(AnnouncementRow).where(AnnouncementRow.id == created.announcement.id)
        )
    assert await _photo_rows(repo) == 0


async def test_no_photo_row_when_the_post_fails(repo: Repository, clock: ManualClock) -> None:
    # The photo is written before the tags; a tag that cannot be stored undoes both.
    bad = replace(new(tags=["x" * 500]), photo=PHOTO)
    with pytest.raises(ValueError, match="tag longer"):
        await repo.announcements.create(
            bad, status=Status.PUBLISHED, now=clock.now(), actor="console:o"
        )
    assert await _photo_rows(repo) == 0
    assert (await repo.announcements.counts()) == {}
