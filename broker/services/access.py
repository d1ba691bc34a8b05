"""Services over API keys: who may write what."""

from __future__ import annotations

from broker.errors import PermissionDenied, ProblemDetail, ValidationFailed
from broker.services.context import Broker
from broker.store.keys import ApiKey, create_key, list_keys, revoke_key, verify_key

ROLES = ("admin", "editor")


def create_api_key(broker: Broker, role: str, organisation_id: str | None) -> str:
    """Create a key; an editor key must name the organisation it edits."""
    if role not in ROLES:
        raise ValidationFailed(
            [ProblemDetail("role", f"unknown role {role!r}", "use admin or editor")]
        )
    if role == "editor" and not organisation_id:
        raise ValidationFailed(
            [
                ProblemDetail(
                    "org", "an editor key needs an organisation", "add --org ID"
                )
            ]
        )
    with broker.store.transaction() as session:
        return create_key(session, role, organisation_id if role == "editor" else None)


def api_keys(broker: Broker) -> list[ApiKey]:
    """Every key, without secrets."""
    with broker.store.reading() as session:
        return list_keys(session)


def revoke_api_key(broker: Broker, prefix: str) -> None:
    """Revoke a key by its prefix."""
    with broker.store.transaction() as session:
        revoke_key(session, prefix)


def authenticate(broker: Broker, key: str) -> ApiKey:
    """What a presented key may do (Unauthenticated when unknown or revoked)."""
    with broker.store.reading() as session:
        return verify_key(session, key)


def require_admin(key: ApiKey) -> None:
    """Refuse anything but an admin key."""
    if key.role != "admin":
        msg = "this needs an admin key; editor keys change their own organisation only"
        raise PermissionDenied(msg)


def require_editor_of(key: ApiKey, organisation_id: str) -> None:
    """Refuse unless the key is an admin's or the editor key of that organisation."""
    if key.role == "admin" or key.organisation_id == organisation_id:
        return
    msg = (
        f"this key edits {key.organisation_id!r}, not {organisation_id!r}; "
        "use that organisation's editor key or an admin key"
    )
    raise PermissionDenied(msg)
