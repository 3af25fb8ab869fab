"""Page numbers: one rule for every paged list (chat, command line, website)."""

from __future__ import annotations

import re

# Deep pages cost deep OFFSETs: 1,000 pages of at most 20 is 20,000 rows to skip at worst.
MAX_PAGE = 1000
_NUMBER = re.compile(r"[0-9]{1,7}")


class PageError(ValueError):
    """Not a page number from 1 to MAX_PAGE; `value` is the text as given."""

    def __init__(self, value: str) -> None:
        super().__init__(f"not a page number: {value[:20]!r}")
        self.value = value


def check_page(page: int) -> int:
    """`page` itself when it is between 1 and MAX_PAGE; PageError otherwise."""
    if not 1 <= page <= MAX_PAGE:
        raise PageError(str(page))
    return page


def parse_page(text: str, default: int = 1) -> int:
    """A page number in ASCII digits, 1 to MAX_PAGE (`default` for nothing); PageError otherwise."""
    text = text.strip()
    if not text:
        return default
    if not _NUMBER.fullmatch(text):
        raise PageError(text)
    return check_page(int(text))


def past_the_end(page: int, pages: int) -> bool:
    """Whether `page` lies after the last of `pages` (a list always has at least page 1)."""
    return page > max(1, pages)
