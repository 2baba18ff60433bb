"""The join requests and invitations tables (migration 0005_join_requests).

The tables are created by the alembic migration (``ckan db upgrade -p
territoire``); they are described here on a metadata of their own, not
CKAN's, so that CKAN's ``clean_db``/``reset_db`` never create or drop them
behind the migration's back. Reads and writes go through CKAN's session:
they commit or roll back with the action that makes them.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

import ckan.model as model

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
STATES = (PENDING, APPROVED, REJECTED)

CREATE = "create"
JOIN = "join"

metadata = sa.MetaData()

join_request = sa.Table(
    "territoire_join_request",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("territory", sa.Text, nullable=False),
    sa.Column("intent", sa.Text, nullable=False),
    sa.Column("organization_id", sa.Text),
    sa.Column("email", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("message", sa.Text),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("decided", sa.DateTime(timezone=True)),
    sa.Column("decided_by", sa.Text),
    sa.Column("reason", sa.Text),
)

invitation = sa.Table(
    "territoire_invitation",
    metadata,
    sa.Column("user_id", sa.Text, primary_key=True),
    sa.Column("group_id", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("email", sa.Text, nullable=False),
    sa.Column("invited_by", sa.Text),
    sa.Column("key_hash", sa.Text, nullable=False),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("accepted", sa.DateTime(timezone=True)),
)


def now() -> datetime:
    return datetime.now(timezone.utc)


# -- join requests


def insert_request(**values: Any) -> dict[str, Any]:
    row = {"id": str(uuid.uuid4()), "state": PENDING, "created": now(), **values}
    model.Session.execute(join_request.insert().values(**row))
    return get_request(row["id"]) or row


def get_request(request_id: str, for_update: bool = False) -> dict[str, Any] | None:
    query = sa.select(join_request).where(join_request.c.id == request_id)
    if for_update:
        # two deciders at once: the second waits, then sees the decision
        query = query.with_for_update()
    found = model.Session.execute(query).mappings().first()
    return dict(found) if found else None


def pending_for(user_id: str, territory: str) -> dict[str, Any] | None:
    found = (
        model.Session.execute(
            sa.select(join_request).where(
                join_request.c.user_id == user_id,
                join_request.c.territory == territory,
                join_request.c.state == PENDING,
            )
        )
        .mappings()
        .first()
    )
    return dict(found) if found else None


def pending_creation(territory: str) -> dict[str, Any] | None:
    found = (
        model.Session.execute(
            sa.select(join_request).where(
                join_request.c.territory == territory,
                join_request.c.state == PENDING,
                join_request.c.intent == CREATE,
            )
        )
        .mappings()
        .first()
    )
    return dict(found) if found else None


def list_requests(
    state: str | None = None,
    user_id: str | None = None,
    organization_ids: list[str] | None = None,
    everything: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Requests, newest first: all of them (``everything``), else those of
    ``user_id`` and those to join one of ``organization_ids``."""
    query = sa.select(join_request)
    if state:
        query = query.where(join_request.c.state == state)
    if not everything:
        seen = []
        if user_id:
            seen.append(join_request.c.user_id == user_id)
        if organization_ids:
            seen.append(
                sa.and_(
                    join_request.c.intent == JOIN,
                    join_request.c.organization_id.in_(organization_ids),
                )
            )
        if not seen:
            return []
        query = query.where(sa.or_(*seen))
    query = query.order_by(join_request.c.created.desc()).limit(limit).offset(offset)
    return [dict(r) for r in model.Session.execute(query).mappings()]


def decide_request(
    request_id: str,
    state: str,
    decided_by: str,
    reason: str | None,
    organization_id: str | None,
) -> None:
    model.Session.execute(
        join_request.update()
        .where(join_request.c.id == request_id)
        .values(
            state=state,
            decided=now(),
            decided_by=decided_by,
            reason=reason,
            organization_id=organization_id,
        )
    )


# -- invitations


def key_hash(key: str) -> str:
    return hashlib.sha256(key.strip().encode("utf-8")).hexdigest()


def record_invitation(
    user_id: str, group_id: str, role: str, email: str, invited_by: str, key: str
) -> None:
    model.Session.execute(invitation.delete().where(invitation.c.user_id == user_id))
    model.Session.execute(
        invitation.insert().values(
            user_id=user_id,
            group_id=group_id,
            role=role,
            email=email,
            invited_by=invited_by,
            key_hash=key_hash(key),
            created=now(),
        )
    )


def get_invitation(user_id: str) -> dict[str, Any] | None:
    found = (
        model.Session.execute(
            sa.select(invitation).where(invitation.c.user_id == user_id)
        )
        .mappings()
        .first()
    )
    return dict(found) if found else None


def invitations_of(group_id: str) -> list[dict[str, Any]]:
    """The invitations to ``group_id`` whose invitee has not accepted yet."""
    query = (
        sa.select(invitation)
        .where(invitation.c.group_id == group_id, invitation.c.accepted.is_(None))
        .order_by(invitation.c.created.desc())
    )
    return [dict(r) for r in model.Session.execute(query).mappings()]


def accept_invitation(user_id: str) -> None:
    model.Session.execute(
        invitation.update()
        .where(invitation.c.user_id == user_id, invitation.c.accepted.is_(None))
        .values(accepted=now())
    )


def delete_invitation(user_id: str) -> None:
    model.Session.execute(invitation.delete().where(invitation.c.user_id == user_id))
