"""The outbox: delivery rows written with the change they broadcast, claimed by workers.

`enqueue_*` run inside the publisher's transaction; `claim`, `record` and the chat changes
are the delivery engine's; `stats`, `dead_rows` and `retry_dead` serve /stats and the CLI.
`SqlOutbox` offers them to the core as bot.ports.outbox.Outbox, whose types are re-exported.
"""

from bot.ports.outbox import Claimed, Content, Counts, DeadRow, Outcome, OutcomeKind
from storage.outbox.claim import claim, count_claimable, load
from storage.outbox.contents import ContentCache
from storage.outbox.enqueue import (
    cancel_pending_sends,
    enqueue_delete,
    enqueue_edit,
    enqueue_occurrence,
    enqueue_send,
)
from storage.outbox.progress import dead_rows, retry_dead, stats
from storage.outbox.results import (
    CHAT_GONE,
    CHAT_MOVED,
    DEAD,
    RETRY,
    SENT,
    SKIPPED,
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
from storage.outbox.units import SqlOutbox

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
    "OutcomeKind",
    "SqlOutbox",
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
