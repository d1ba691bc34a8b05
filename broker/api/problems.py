"""Errors as RFC 9457 problem details, from one place.

Every error the app returns has the same shape, whatever raised it::

    {"type": "/problems/invalid-input", "title": "Invalid input", "status": 422,
     "detail": "...", "errors": [{"field", "problem", "fix", "row"?}]}

served as ``application/problem+json``. :func:`install` registers the
handlers: one for :class:`~broker.errors.BrokerError` (the domain's
exception tree), and translators for FastAPI's request validation errors and
Starlette's HTTP errors (unknown path, wrong method) into the same shape. A
person's browser, which asks for HTML, gets the same problem as a page.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match

from broker.errors import BrokerError, ProblemDetail, Unauthenticated, ValidationFailed

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

# The kinds of problem, by status: the slug of the type URI and what it means.
KINDS: Mapping[int, tuple[str, str]] = {
    400: ("bad-request", "The request could not be read."),
    401: (
        "unauthenticated",
        "The request needs an API key (Authorization: Bearer ...), and none was "
        "given, or the key given is unknown or revoked.",
    ),
    403: (
        "forbidden",
        "The API key is valid but may not do this: editor keys change only "
        "their own organisation; imports, deletions and partnerships need an "
        "admin key.",
    ),
    404: ("not-found", "Nothing is stored under that id or path."),
    405: ("method-not-allowed", "The path exists but not with that HTTP method."),
    409: ("conflict", "The write contradicts what is stored."),
    413: ("content-too-large", "The request body is larger than the server accepts."),
    415: ("unsupported-media-type", "Send the body as JSON (application/json)."),
    422: (
        "invalid-input",
        "The request broke the profile format or a parameter's rules; each "
        "entry in errors names the field, the problem and the fix.",
    ),
    500: ("server-error", "Something went wrong on the server; it has been logged."),
    503: (
        "unavailable",
        "A part the request needs (usually the embedding model) cannot be loaded.",
    ),
}

# What to tell the user for each kind of pydantic error in a request.
_FIXES: Mapping[str, str] = {
    "missing": "add this field; it is required",
    "string_too_short": "give a non-empty value",
    "string_type": "give a text value",
    "int_parsing": "give a whole number",
    "int_type": "give a whole number",
    "int_from_float": "give a whole number",
    "float_parsing": "give a number",
    "float_type": "give a number",
    "finite_number": "give a finite number",
    "bool_parsing": "give true or false",
    "bool_type": "give true or false",
    "list_type": "give a list",
    "dict_type": "give a JSON object",
    "model_attributes_type": "give a JSON object",
    "model_type": "give a JSON object",
    "extra_forbidden": "remove the field or check its spelling",
    "json_invalid": "fix the JSON syntax",
    "datetime_parsing": "give a date and time like 2024-05-01T12:00:00Z",
}

# What a pattern stands for, by field name, for a mismatch's fix.
_PATTERNS: Mapping[str, str] = {
    "id": "use lower-case letters, digits and hyphens, starting with a letter or "
    "digit, up to 80 characters, e.g. 'university-of-bath'",
    "website": "give a full address starting http:// or https://",
    "contact_email": "give an e-mail address like name@example.org",
    "name": "give a non-blank text without control characters",
    "aims": "give a non-blank text without control characters",
}
_ID_FIELDS = frozenset({"a", "b", "organisation_id", "suggested_id", "organisation"})
_SECTIONS = frozenset({"organisations", "partnerships"})
_PARAMETER_PLACES = frozenset({"body", "query", "path", "header", "cookie"})


def type_uri(status: int) -> str:
    """The type URI of the problem with that status."""
    slug = KINDS.get(status, ("error", ""))[0]
    return f"/problems/{slug}"


def problem_body(
    status: int,
    title: str,
    detail: str,
    errors: Sequence[ProblemDetail] = (),
    instance: str | None = None,
) -> dict[str, Any]:
    """The JSON object of one problem."""
    body: dict[str, Any] = {
        "type": type_uri(status),
        "title": title,
        "status": status,
        "detail": detail,
        "errors": [problem.as_dict() for problem in errors],
    }
    if instance:
        body["instance"] = instance
    return body


def wants_html(request: Request) -> bool:
    """True for a browser asking for a page rather than a program asking for JSON."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "json" not in accept


def problem_response(
    request: Request,
    status: int,
    title: str,
    detail: str,
    errors: Sequence[ProblemDetail] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Answer with a problem: JSON for programs, a page for people."""
    if wants_html(request):
        from broker.api.pages import render_problem

        return render_problem(request, status, title, detail, errors, headers)
    return JSONResponse(
        problem_body(status, title, detail, errors, instance=request.url.path),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=dict(headers or {}),
    )


def _auth_headers(status: int) -> dict[str, str]:
    return {"WWW-Authenticate": 'Bearer realm="broker"'} if status == 401 else {}


def handle_broker_error(request: Request, error: Exception) -> Response:
    """The one handler for the domain's errors."""
    assert isinstance(error, BrokerError)
    errors = error.problems if isinstance(error, ValidationFailed) else []
    if error.status >= 500:
        log.error(
            "%s on %s %s: %s", error.title, request.method, request.url.path, error
        )
    elif isinstance(error, Unauthenticated | ValidationFailed):
        log.info("%s on %s %s", error.title, request.method, request.url.path)
    detail = str(error)
    if isinstance(error, ValidationFailed):
        count = len(error.problems)
        detail = f"{count} problem{'s' if count != 1 else ''} in the request; " + (
            "nothing was written. " + detail
        )
    return problem_response(
        request, error.status, error.title, detail, errors, _auth_headers(error.status)
    )


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _field_and_row(location: Sequence[Any]) -> tuple[str, int | None]:
    """The field a request error names, and its row within an import."""
    parts = list(location)
    if parts and parts[0] in _PARAMETER_PLACES:
        parts = parts[1:]
    row = None
    if len(parts) >= 2 and parts[0] in _SECTIONS and isinstance(parts[1], int):
        row = parts[1] + 1
        parts = [parts[0], *parts[2:]]
    field = ".".join(str(p) for p in parts) or str(location[0] if location else "body")
    return field, row


def _fix(kind: str, name: str, context: Mapping[str, Any]) -> str:
    """How to fix one kind of error on one field, in plain words."""
    if "fix" in context:
        return str(context["fix"])
    if kind == "string_too_long":
        return f"shorten it to at most {context.get('max_length')} characters"
    if kind == "too_long":
        return f"give at most {context.get('max_length')} items"
    if kind in {"greater_than_equal", "greater_than", "less_than_equal", "less_than"}:
        limit = next(iter(context.values()), None)
        words = {
            "greater_than_equal": "at least",
            "greater_than": "more than",
            "less_than_equal": "at most",
            "less_than": "less than",
        }
        return f"give a value {words[kind]} {limit}"
    if kind in {"literal_error", "enum"}:
        return f"use {context.get('expected', 'one of the allowed values')}"
    if kind == "string_pattern_mismatch":
        if name in _ID_FIELDS:
            return _PATTERNS["id"]
        return _PATTERNS.get(name, "remove control characters from the text")
    return _FIXES.get(kind, "correct the value; see /docs for the rules")


def translate_validation(error: RequestValidationError) -> list[ProblemDetail]:
    """FastAPI's request errors as problems that name the field and the fix."""
    problems: list[ProblemDetail] = []
    for item in error.errors():
        location = tuple(item.get("loc", ()))
        field, row = _field_and_row(location)
        name = field.rsplit(".", 1)[-1]
        if name.isdigit() and "." in field:
            name = field.split(".")[-2]
        kind = str(item.get("type", ""))
        context = item.get("ctx") or {}
        message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        if kind == "missing":
            problem = "missing"
        elif kind == "json_invalid":
            problem = f"the body is not valid JSON: {context.get('error', message)}"
        else:
            problem = f"{message} (got {_shown(item.get('input'))})"
        problems.append(ProblemDetail(field, problem, _fix(kind, name, context), row))
    return problems


def handle_validation_error(request: Request, error: Exception) -> Response:
    """FastAPI's request validation errors, in the problem shape."""
    assert isinstance(error, RequestValidationError)
    return handle_broker_error(request, ValidationFailed(translate_validation(error)))


def handle_http_error(request: Request, error: Exception) -> Response:
    """Starlette's HTTP errors (404 path, 405 method, ...), in the problem shape."""
    assert isinstance(error, HTTPException)
    status = error.status_code
    titles = {
        400: "Bad request",
        404: "Not found",
        405: "Method not allowed",
        413: "Content too large",
        415: "Unsupported media type",
    }
    title = titles.get(status, "Error")
    detail = str(error.detail)
    if status == 404 and detail == "Not Found":
        detail = f"no page or API path {request.url.path!r}; see /docs for the API"
    if status == 400 and "parsing the body" in detail:
        detail = "the body could not be read; send UTF-8 JSON (application/json)"
    headers = dict(error.headers or {})
    if status == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
        detail = (
            f"{request.method} is not allowed on {request.url.path!r}; "
            f"use {headers['Allow']}"
        )
    return problem_response(request, status, title, detail, headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route offers on the request's path.

    Starlette names only the first route that matches the path; the API has
    several routes on one path (GET and POST /organisations).
    """
    allowed: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            allowed.update(getattr(route, "methods", None) or ())
    return sorted(allowed)


def handle_unexpected(request: Request, error: Exception) -> Response:
    """Anything else: log it with its traceback, answer 500 without internals."""
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    detail = "an unexpected error occurred; it has been logged for the maintainers"
    return problem_response(request, 500, "Server error", detail)


def install(app: FastAPI) -> None:
    """Register the problem handlers on the app."""
    app.add_exception_handler(BrokerError, handle_broker_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(HTTPException, handle_http_error)
    app.add_exception_handler(Exception, handle_unexpected)
