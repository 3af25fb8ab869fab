"""Row → domain object conversion."""

from __future__ import annotations

from bot.domain import Anniversary, Announcement, Chat, ChatKind, Status
from bot.formatting import styles_from_json
from storage.models import AnniversaryRow, AnnouncementRow, ChatRow


def announcement(
    row: AnnouncementRow, tags: tuple[str, ...], *, has_photo: bool = False
) -> Announcement:
    """The domain announcement for a row, its tag names, and whether it has a photo."""
    return Announcement(
        id=row.id,
        title=row.title,
        body=row.body,
        status=Status(row.status),
        revision=row.revision,
        created_at=row.created_at,
        updated_at=row.updated_at,
        tags=tags,
        category=row.category,
        language=row.language,
        signature=row.signature,
        source_url=row.source_url,
        source_key=row.source_key,
        publish_at=row.publish_at,
        published_at=row.published_at,
        views=row.views,
        created_by=row.created_by,
        body_styles=styles_from_json(row.body_styles),
        has_photo=has_photo,
    )


def chat(row: ChatRow) -> Chat:
    """The domain chat for a row."""
    return Chat(
        id=row.id,
        platform=row.platform,
        external_id=row.external_id,
        kind=ChatKind(row.kind),
        title=row.title,
        language=row.language,
        active=row.active,
        inactive_reason=row.inactive_reason,
    )


def split_list(text: str | None) -> tuple[str, ...]:
    """`a, b` stored text → ('a', 'b')."""
    if not text:
        return ()
    return tuple(part.strip() for part in text.split("\n") if part.strip())


def anniversary(row: AnniversaryRow) -> Anniversary:
    """The domain anniversary for a row."""
    days = split_list(row.reminder_days.replace(",", "\n") if row.reminder_days else None)
    return Anniversary(
        id=row.id,
        title=row.title,
        month=row.month,
        day=row.day,
        year=row.year,
        time_of_day=row.time_of_day,
        timezone=row.timezone,
        text=row.text,
        announcement_id=row.announcement_id,
        tags=split_list(row.tags),
        reminder_days=tuple(int(d) for d in days) if row.reminder_days is not None else None,
        created_by=row.created_by,
    )
