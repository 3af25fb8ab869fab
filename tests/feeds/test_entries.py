"""The contract helpers: an entry's identity and its content hash."""

from __future__ import annotations

from bot.feeds.entries import content_hash, entry_key


def test_key_is_guid_then_link_then_hash() -> None:
    digest = content_hash("Title", "Body", None)
    assert entry_key("urn:1", "https://x/1", digest) == "urn:1"
    assert entry_key("  ", "https://x/1", digest) == "https://x/1"
    assert entry_key(None, None, digest) == "sha256:" + digest


def test_hash_ignores_whitespace_but_not_words_or_image() -> None:
    base = content_hash("Title", "Body text", None)
    assert content_hash(" Title ", "Body\n  text", "") == base
    assert content_hash("Title", "Body text!", None) != base
    assert content_hash("Title", "Body text", "https://x/a.jpg") != base
    assert len(base) == 64
