"""Dependencies of the routes, one alias per concern.

- :data:`BrokerDep`: the app's :class:`~broker.services.context.Broker`.
- :data:`AnyKey`: a valid API key of any role (401 without one).
- :data:`AdminKey`: an admin key (403 for an editor key).

Editor keys are checked against the organisation a route acts on, with
:func:`broker.services.access.require_editor_of`, inside the route, since
only the route knows which organisation that is.
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from broker.errors import Unauthenticated
from broker.services.access import authenticate, require_admin
from broker.services.context import Broker

# The type of what a key may do; the value only ever comes from the services.
from broker.store.keys import ApiKey

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description=(
        "An API key, sent as 'Authorization: Bearer brk_...'. Create one with "
        "'broker keys create --role admin' or '--role editor --org ID'."
    ),
)


def get_broker(request: Request) -> Broker:
    """The broker the app was created with."""
    return cast(Broker, request.app.state.broker)


BrokerDep = Annotated[Broker, Depends(get_broker)]


def get_key(
    broker: BrokerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiKey:
    """The presented API key, checked (401 when missing, unknown or revoked)."""
    if credentials is None:
        msg = (
            "this needs an API key: send the header 'Authorization: Bearer <key>'; "
            "an admin creates keys with 'broker keys create'"
        )
        raise Unauthenticated(msg)
    return authenticate(broker, credentials.credentials)


AnyKey = Annotated[ApiKey, Depends(get_key)]


def get_admin_key(key: AnyKey) -> ApiKey:
    """An admin key (403 for an editor key)."""
    require_admin(key)
    return key


AdminKey = Annotated[ApiKey, Depends(get_admin_key)]
