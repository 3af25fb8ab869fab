"""The outbox: delivery rows written with the change they broadcast, claimed by workers.

`enqueue_*` run inside the publisher's transaction; `claim`, `record`, the chat changes and
the owners' `register`, `renew`, `take_over` and `release` are the delivery engine's;
`stats`, `dead_rows` and `retry_dead` serve /stats and the CLI. `SqlOutbox` offers them to
the core as bot.ports.outbox.Outbox; the core's types they use are re-exported here.
"""

from bot.delivery.identity import OwnerIdentity, provably_dead, this_process
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
from storage.outbox.owners import register, release, renew, take_over
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
    "OwnerIdentity",
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
