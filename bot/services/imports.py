"""Importing saved society posts: each file on its own, found again by address or content."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from bot.importers import ImportFormatError, parse_post, read_post_file
from bot.limits import Unstorable, storable_problem
from bot.ports import Clock
from bot.ports.stores import AnnouncementStore
from bot.tags import DEFAULT_TAG_LIMITS, TagLimits, capped_tags


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """What became of one file: stored as announcement `announcement_id`, or refused."""

    name: str
    announcement_id: int | None = None
    created: bool = False
    problem: str | None = None
    # Tags the file carried past the tags-per-post cap (or unusable as tags): not stored.
    left_out: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the file was stored."""
        return self.problem is None


class ImportService:
    """Stores saved posts; a file that cannot be stored is refused with the reason, alone."""

    def __init__(
        self,
        store: AnnouncementStore,
        clock: Clock,
        on_change: Callable[[], None] = lambda: None,
        *,
        tag_limits: TagLimits = DEFAULT_TAG_LIMITS,
    ) -> None:
        self._store = store
        self._tag_limits = tag_limits
        self._clock = clock
        self._on_change = on_change

    async def import_file(self, path: Path) -> ImportOutcome:
        """Read, parse, check and store one file."""
        name = str(path)
        try:
            content = read_post_file(path)
        except IsADirectoryError:
            return ImportOutcome(name, problem="it is a directory, not a file")
        except OSError as exc:
            return ImportOutcome(name, problem=f"cannot read it: {exc.strerror or exc}")
        except ImportFormatError as exc:
            return ImportOutcome(name, problem=str(exc))
        return await self.import_text(name, content)

    async def import_text(self, name: str, content: str) -> ImportOutcome:
        """Parse, check and store one saved post already read as text."""
        try:
            new = parse_post(content, source=name)
        except ImportFormatError as exc:
            return ImportOutcome(name, problem=str(exc))
        problem = storable_problem(new)
        if problem is not None:
            return ImportOutcome(name, problem=problem)
        # Tags are held to the rules of a post from chat: one without a letter is left out,
        # and past the cap per post the first ones are kept (the rest are reported).
        kept, left_out = capped_tags(new.tags, self._tag_limits)
        new = replace(new, tags=tuple(kept))
        try:
            announcement_id, created = await self._store.upsert_imported(
                new, now=self._clock.now()
            )
        except Unstorable as exc:
            return ImportOutcome(name, problem=str(exc))
        self._on_change()
        return ImportOutcome(name, announcement_id, created, left_out=tuple(left_out))
