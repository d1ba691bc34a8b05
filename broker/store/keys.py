"""API keys: created once, stored as a SHA-256 hash, checked on each write.

A key reads ``brk_<prefix>_<secret>``. The prefix finds the row; the hash of
the whole key must match. Keys are random (256 bits), so a fast hash is
enough: there is nothing to brute-force as there would be with a password.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.errors import NotFound, Unauthenticated
from broker.store.organisations import get_organisation
from broker.store.tables import ApiKeyRow

Role = Literal["admin", "editor"]


@dataclass(frozen=True)
class ApiKey:
    """What a key may do; never holds the secret."""

    prefix: str
    role: str
    organisation_id: str | None
    created_at: datetime | None
    revoked: bool


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session: Session, role: str, organisation_id: str | None) -> str:
    """Create a key and return it; this is the only time it is shown."""
    if organisation_id is not None:
        get_organisation(session, organisation_id)
    prefix = secrets.token_hex(4)
    key = f"brk_{prefix}_{secrets.token_urlsafe(32)}"
    session.add(
        ApiKeyRow(
            prefix=prefix,
            secret_hash=_hash(key),
            role=role,
            organisation_id=organisation_id,
        )
    )
    session.flush()
    return key


def verify_key(session: Session, key: str) -> ApiKey:
    """Return what a presented key may do, or raise Unauthenticated."""
    parts = key.split("_")
    row = None
    if len(parts) >= 3 and parts[0] == "brk":
        row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.prefix == parts[1]))
    if row is None or not hmac.compare_digest(row.secret_hash, _hash(key)):
        msg = "unknown API key; create one with 'broker keys create'"
        raise Unauthenticated(msg)
    if row.revoked_at is not None:
        msg = f"API key {row.prefix} was revoked; ask an admin for a new one"
        raise Unauthenticated(msg)
    return _public(row)


def _public(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        row.prefix,
        row.role,
        row.organisation_id,
        row.created_at,
        row.revoked_at is not None,
    )


def list_keys(session: Session) -> list[ApiKey]:
    """Every key, without secrets."""
    return [
        _public(r) for r in session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id))
    ]


def revoke_key(session: Session, prefix: str) -> None:
    """Revoke the key with that prefix."""
    row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.prefix == prefix))
    if row is None:
        msg = f"no API key with prefix {prefix!r}; see 'broker keys list'"
        raise NotFound(msg)
    row.revoked_at = datetime.now(UTC)
