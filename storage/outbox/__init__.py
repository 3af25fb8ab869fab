"""The outbox: delivery rows written with the change they broadcast, claimed by workers.

`enqueue_*` run inside the publisher's transaction; `claim`, `record`, the chat changes and
the owners' `register`, `renew`, `take_over` and `release` are the delivery engine's;
`stats`, `dead_rows` and `retry_dead` serve /stats and the CLI.
"""

from storage.outbox.claim import Claimed, claim, count_claimable, load
from storage.outbox.contents import Content, ContentCache
from storage.outbox.enqueue import (
    cancel_pending_sends,
    enqueue_delete,
    enqueue_edit,
    enqueue_occurrence,
    enqueue_send,
)
from storage.outbox.identity import OwnerIdentity, provably_dead, this_process
from storage.outbox.owners import register, release, renew, take_over
from storage.outbox.progress import Counts, DeadRow, dead_rows, retry_dead, stats
from storage.outbox.results import (
    CHAT_GONE,
    CHAT_MOVED,
    DEAD,
    RETRY,
    SENT,
    SKIPPED,
    Outcome,
    deactivate_chat,
    move_chat,
    record,
)
from storage.outbox.tables import (
    ANNOUNCEMENT_TAGS,
    ANNOUNCEMENTS,
    CHATS,
    COPIES,
    DELIVERIES,
    OCCURRENCES,
    TAGS,
)

__all__ = [
    "ANNOUNCEMENTS",
    "ANNOUNCEMENT_TAGS",
    "CHATS",
    "CHAT_GONE",
    "CHAT_MOVED",
    "COPIES",
    "DEAD",
    "DELIVERIES",
    "OCCURRENCES",
    "RETRY",
    "SENT",
    "SKIPPED",
    "TAGS",
    "Claimed",
    "Content",
    "ContentCache",
    "Counts",
    "DeadRow",
    "Outcome",
    "OwnerIdentity",
    "cancel_pending_sends",
    "claim",
    "count_claimable",
    "deactivate_chat",
    "dead_rows",
    "enqueue_delete",
    "enqueue_edit",
    "enqueue_occurrence",
    "enqueue_send",
    "load",
    "move_chat",
    "provably_dead",
    "record",
    "register",
    "release",
    "renew",
    "retry_dead",
    "stats",
    "take_over",
    "this_process",
]
