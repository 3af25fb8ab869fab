"""The audit log of admin actions, written in the same transaction as the action."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditRow


async def record(
    session: AsyncSession,
    actor: str,
    action: str,
    subject: int | str | None,
    now: datetime,
    detail: str | None = None,
) -> None:
    """Add one audit entry to the session's transaction."""
    session.add(
        AuditRow(
            actor=actor,
            action=action,
            subject=None if subject is None else str(subject),
            detail=detail,
            created_at=now,
        )
    )
