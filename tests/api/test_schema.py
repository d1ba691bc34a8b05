"""The API against its own OpenAPI document, with schemathesis.

Every operation is called with generated requests (an admin key sent, so
writes go through) and every response must not be a server error, must use
a documented status and content type, and must match its schema. Positive
requests must be accepted.

The document cannot state a few rules that span fields or need the stored
data: a town must be one the offline gazetteer knows, lat and lon come in
pairs, a partnership joins two different organisations that exist, an
import names each organisation once, nobody rates or is explained against
itself, and a kind filter must be a kind the organisation is ever suggested.
The ``map_case`` hook below repairs generated positive requests to follow
those rules, so that the positive-data check holds; negative requests are
left as generated. Nothing is excluded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.openapi import from_asgi
from starlette.types import ASGIApp, Receive, Scope, Send

from broker.api.app import create_app
from broker.matching.scoring import KIND_RULES
from broker.settings import Settings
from tests.api.conftest import ORG_A, ORG_B, REPORT, Keys, bearer

TOWNS = ("Bath", "Leeds", "Bradford", "London", "Bristol")
KINDS = {o["id"]: o["kind"] for o in json.loads(REPORT.read_text())["organisations"]}


def _place(profile: dict[str, Any]) -> None:
    """Give a generated profile a place the gazetteer knows."""
    if profile.get("town"):
        profile["town"] = TOWNS[len(str(profile["town"])) % len(TOWNS)]
    if profile.get("postcode"):
        profile.pop("postcode")
    if (profile.get("lat") is None) != (profile.get("lon") is None):
        profile.pop("lat", None)
        profile.pop("lon", None)


def _pair(partnership: dict[str, Any]) -> None:
    """Make a generated partnership join two organisations that exist."""
    partnership["a"], partnership["b"] = ORG_A, ORG_B
    since, until = partnership.get("since"), partnership.get("until")
    if (
        isinstance(since, int | float)
        and isinstance(until, int | float)
        and until < since
    ):
        partnership["until"] = since


def _repair_body(body: dict[str, Any]) -> None:
    if "kind" in body and "aims" in body:
        _place(body)
    if "a" in body and "b" in body:
        _pair(body)
    if "suggested_id" in body and body["suggested_id"] == body.get("organisation_id"):
        body["suggested_id"] = ORG_B if body.get("organisation_id") != ORG_B else ORG_A
    organisations = body.get("organisations")
    if isinstance(organisations, list):
        seen: set[str] = set()
        unique = []
        for organisation in organisations:
            if isinstance(organisation, dict) and organisation.get("id") not in seen:
                seen.add(str(organisation.get("id")))
                _place(organisation)
                unique.append(organisation)
        body["organisations"] = unique
    partnerships = body.get("partnerships")
    if isinstance(partnerships, list):
        for partnership in partnerships[:1]:
            if isinstance(partnership, dict):
                _pair(partnership)
        body["partnerships"] = partnerships[:1]


def _allowed_kind(case: Case) -> None:
    """A kind filter must be a kind the organisation is ever suggested."""
    query = case.query if isinstance(case.query, dict) else {}
    own = None
    if isinstance(case.body, dict):
        own = case.body.get("kind")
    elif case.path_parameters:
        own = KINDS.get(str(case.path_parameters.get("organisation_id")))
    if query.get("kind") and own in KIND_RULES and query["kind"] not in KIND_RULES[own]:
        query["kind"] = KIND_RULES[own][0]


def repair(context: Any, case: Case) -> Case:
    """Repair the cross-field rules the OpenAPI document cannot state.

    Only positive cases are repaired: a negative case must stay invalid.
    """
    if case.meta is not None and not case.meta.generation.mode.is_positive:
        return case
    if isinstance(case.body, dict):
        _repair_body(case.body)
    if isinstance(case.query, dict) and case.query.get("near"):
        case.query["near"] = TOWNS[len(str(case.query["near"])) % len(TOWNS)]
    _allowed_kind(case)
    path = case.path_parameters or {}
    if "other_id" in path and path["other_id"] == path.get("organisation_id"):
        path["other_id"] = ORG_B if path["other_id"] != ORG_B else ORG_A
    return case


class CurrentApp:
    """An ASGI app that forwards every request to the running test's app.

    The schema is loaded when this module is imported, before any test has
    a database; each test then points this at its own app.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


# Serving the OpenAPI document needs no data: an in-memory store will do.
_document_only = create_app(Settings(database_url="sqlite://", embedder="tfidf"))
CURRENT = CurrentApp(_document_only)
schema = from_asgi("/openapi.json", CURRENT)
schema.hook("map_case")(repair)


@schema.hook
def before_add_examples(context: Any, examples: list[Case]) -> None:
    """Repair the schema's own examples too (map_case runs on generated cases)."""
    for case in examples:
        repair(context, case)


@pytest.fixture(autouse=True)
def _send_to_this_tests_app(app: FastAPI) -> Iterator[None]:
    CURRENT.app = app
    yield
    CURRENT.app = _document_only


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_api_matches_its_openapi_document(case: Case, keys: Keys) -> None:
    case.call_and_validate(headers=bearer(keys.admin))
