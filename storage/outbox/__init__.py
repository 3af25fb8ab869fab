"""The outbox: delivery rows written with the change they broadcast, claimed by workers.

`enqueue_*` run inside the publisher's transaction; `claim`, `record` and the chat changes
are the delivery engine's; `stats`, `dead_rows` and `retry_dead` serve /stats and the CLI.
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
    "record",
    "retry_dead",
    "stats",
]
