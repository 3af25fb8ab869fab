"""Importing saved posts into a real database (SQLite, and PostgreSQL with -m postgres)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Connection, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.ports import ManualClock
from bot.services.imports import ImportOutcome, ImportService
from bot.tags import TagLimits
from storage.engine import create_engine
from storage.migrate import alembic_config, upgrade
from storage.models import AnnouncementRow
from storage.repository import Repository

DATA = Path(__file__).parent / "data"
SAMPLE_TEXT = (DATA / "society-post.txt").read_text(encoding="utf-8")
SAMPLE_HTML = (DATA / "society-post.html").read_text(encoding="utf-8")
MIRROR_HTML = re.sub(r"<p>P\.S\..*?</p>", "", SAMPLE_HTML, flags=re.DOTALL)
TITLE = "Congratulations from the Korean-Russian Friendship Society to the DRPK ISG"
CANONICAL = "https://krfs.ucoz.net/news/congratulations_to_the_dprk_isg/2020-08-15-412"


@pytest.fixture
def service(repo: Repository, clock: ManualClock) -> ImportService:
    """The import service over the test database."""
    return ImportService(repo.announcements, clock)


def save(folder: Path, name: str, content: str | bytes) -> Path:
    """Write a file to import."""
    path = folder / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


async def rows(repo: Repository) -> list[AnnouncementRow]:
    """Every announcement row, by id."""
    async with repo.sessions() as session:
        return list((await session.scalars(select(AnnouncementRow).order_by("id"))).all())


async def import_all(service: ImportService, paths: list[Path]) -> list[ImportOutcome]:
    """Import files one after another, as `herald import` does."""
    return [await service.import_file(path) for path in paths]


async def test_two_posts_with_one_title_stay_two(
    service: ImportService, repo: Repository, tmp_path: Path
) -> None:
    first = save(tmp_path, "a.txt", f"{TITLE}\n\nThe first letter.\n")
    second = save(tmp_path, "b.txt", f"{TITLE}\n\nA second, different letter.\n")
    outcomes = await import_all(service, [first, second, first])
    assert [(o.created, o.problem) for o in outcomes] == [(True, None), (True, None), (False, None)]
    assert outcomes[2].announcement_id == outcomes[0].announcement_id
    stored = await rows(repo)
    assert [r.body for r in stored] == ["The first letter.", "A second, different letter."]


@pytest.mark.parametrize("order", ["text first", "html first"])
async def test_text_and_html_saves_of_the_sample_are_one_announcement(
    service: ImportService, repo: Repository, tmp_path: Path, order: str
) -> None:
    saves = [save(tmp_path, "post.txt", SAMPLE_TEXT), save(tmp_path, "post.html", MIRROR_HTML)]
    if order == "html first":
        saves.reverse()
    first, second = await import_all(service, saves)
    assert first.created
    assert not second.created
    assert second.announcement_id == first.announcement_id
    [row] = await rows(repo)
    assert (row.title, row.revision, row.views) == (TITLE, 2, 335)
    # The page's address is kept whichever came first: a text save has none to give.
    assert row.source_url == CANONICAL
    assert row.source_key == "url:krfs.ucoz.net/news/congratulations_to_the_dprk_isg/2020-08-15-412"


async def test_reimport_updates_instead_of_duplicating(
    service: ImportService, repo: Repository, clock: ManualClock, tmp_path: Path
) -> None:
    path = save(tmp_path, "post.html", SAMPLE_HTML)
    first = await service.import_file(path)
    await repo.announcements.count_view(first.announcement_id or 0, "reader")
    clock.advance(60)
    # The site's page was edited: same address, new body and tags, an older views count.
    edited = SAMPLE_HTML.replace("We cordially congratulate", "We warmly congratulate")
    save(tmp_path, "post.html", edited.replace("Views: 335", "Views: 3"))
    again = await service.import_file(path)
    assert (again.announcement_id, again.created, again.problem) == (
        first.announcement_id, False, None,
    )  # fmt: skip
    [row] = await rows(repo)
    assert row.body.startswith("We warmly congratulate")
    assert (row.revision, row.views) == (2, 336)  # the view counted here is not lost
    assert row.updated_at == clock.now()
    assert (await repo.announcements.latest(page=1, size=10)).total == 1


async def test_long_category_is_refused_by_name_and_the_batch_goes_on(
    service: ImportService, repo: Repository, tmp_path: Path
) -> None:
    # PostgreSQL refused this at the INSERT ("cannot reach the database", the rest skipped);
    # SQLite stored it. Now both refuse it before writing, and import the next file.
    too_long = SAMPLE_TEXT.replace("Category: English", "Category: " + "c" * 201)
    long = save(tmp_path, "long.txt", too_long)
    fine = save(tmp_path, "fine.txt", "Another post\n\nIts body.\n")
    refused, imported = await import_all(service, [long, fine])
    assert refused.name == str(long)
    assert refused.problem == "the category is 201 characters long; at most 200 can be stored"
    assert imported.ok
    assert imported.created
    assert [r.title for r in await rows(repo)] == ["Another post"]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("Views: 335", "Views: 2147483648"), "the views count 2,147,483,648 is out of range"),
        (("Added by: redstartvkp", "Added by: " + "a" * 94), "the author is 94 characters"),
        ((TITLE, "T" * 257), "the title is 257 characters long; at most 256"),
        (("Tags: RUSSIA", "Tags: " + "r" * 65), "the tag 'rrrr"),
    ],
)
async def test_every_field_is_checked_against_its_limit(
    service: ImportService, repo: Repository, tmp_path: Path, change: tuple[str, str], problem: str
) -> None:
    path = save(tmp_path, "post.txt", SAMPLE_TEXT.replace(*change))
    outcome = await service.import_file(path)
    assert outcome.problem is not None
    assert problem in outcome.problem
    assert await rows(repo) == []


async def test_bad_files_are_reported_one_by_one(
    service: ImportService, repo: Repository, tmp_path: Path
) -> None:
    nul = save(tmp_path, "nul.txt", SAMPLE_TEXT * 10 + "\x00")  # past 20,000 characters
    cp1251 = save(tmp_path, "cp1251.txt", "Заголовок\n\nТекст.\n".encode("cp1251"))
    missing = tmp_path / "missing.txt"
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    (tmp_path / "posts[").mkdir()  # `posts[/b]x.txt`: a name Rich would read as markup
    markup = save(tmp_path, "posts[/b]x.txt", "Markup [b]in[/b] a title\n\nIs only text.\n")
    good = save(tmp_path, "good.txt", SAMPLE_TEXT)
    outcomes = await import_all(service, [nul, cp1251, missing, folder, markup, good])
    names = [str(p) for p in (nul, cp1251, missing, folder, markup, good)]
    assert [o.name for o in outcomes] == names
    problems = [o.problem or "" for o in outcomes]
    assert "NUL character (at character 22,111)" in problems[0]
    assert "not UTF-8 text" in problems[1]
    assert "No such file or directory" in problems[2]
    assert "is a directory" in problems[3]
    assert problems[4:] == ["", ""]
    assert [r.title for r in await rows(repo)] == ["Markup [b]in[/b] a title", TITLE]


async def test_concurrent_imports_of_one_new_post_make_one_row(
    database_url: str, engine: AsyncEngine, repo: Repository, clock: ManualClock, tmp_path: Path
) -> None:
    import asyncio

    path = save(tmp_path, "post.txt", SAMPLE_TEXT)
    second_engine = create_engine(database_url)
    try:
        other = ImportService(Repository.for_engine(second_engine).announcements, clock)
        outcomes = await asyncio.gather(
            ImportService(repo.announcements, clock).import_file(path), other.import_file(path)
        )
    finally:
        await second_engine.dispose()
    assert sorted(o.created for o in outcomes) == [False, True]
    assert len(await rows(repo)) == 1


def _to(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def test_posts_imported_before_0007_are_found_again(
    database_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_to, "0006_feeds")
            # What the old importer stored: a title key for text, the canonical URL for HTML;
            # and a feed's entry, which is not an import.
            for key, title, body in [
                ("title:8e192130e461fa7bfc7d099aa290150d", TITLE, "old"),
                ("https://Krfs.ucoz.net/news/2#x", "Page", "Its body."),
                ("feed:1:0123abcd", "Fed", "A feed's entry."),
            ]:
                await conn.execute(
                    text(
                        "INSERT INTO announcements (title, body, signature, source_key, "
                        "source_url, status, revision, views, created_by, created_at, "
                        "updated_at) VALUES (:t, :b, NULL, :k, NULL, 'published', 1, 0, "
                        "'import:redstartvkp', :now, :now)"
                    ),
                    {"t": title, "b": body, "k": key, "now": clock.now()},
                )
        await upgrade(engine)
        repo = Repository.for_engine(engine)
        stored = await rows(repo)
        keys = [r.source_key for r in stored]
        assert keys == [None, "url:krfs.ucoz.net/news/2", "feed:1:0123abcd"]
        assert [len(r.content_key or "") for r in stored] == [64, 64, 0]
        service = ImportService(repo.announcements, clock)
        page = save(tmp_path, "page.txt", "Page\n\nIts body.\n\nAdded by: redstartvkp\n")
        found = await service.import_file(page)
        assert (found.announcement_id, found.created) == (stored[1].id, False)
        # The old title-keyed row holds another body: the sample is another post now.
        sample = await service.import_file(save(tmp_path, "sample.txt", SAMPLE_TEXT))
        assert sample.created
    finally:
        await engine.dispose()


async def test_an_imported_posts_tags_are_held_to_the_cap_per_post(
    repo: Repository, clock: ManualClock, tmp_path: Path
) -> None:
    service = ImportService(repo.announcements, clock, tag_limits=TagLimits(per_post=2))
    tags = "Tags: RUSSIA, korea, Korea, …, Culture, Music"
    path = save(tmp_path, "post.txt", SAMPLE_TEXT.replace("Tags: RUSSIA", tags))
    outcome = await service.import_file(path)
    assert outcome.ok
    # The file's own tags follow; past the first two, each is reported as left out.
    assert outcome.left_out[:2] == ("Culture", "Music")
    assert outcome.announcement_id is not None
    stored = await repo.announcements.get(outcome.announcement_id)
    assert stored is not None
    assert stored.tags == ("RUSSIA", "korea")
