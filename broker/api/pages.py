"""Server-rendered pages for people: search, profiles, what-if, brokers, hubs.

The pages call the same services as the JSON API. Writes from a page (accept
or decline a suggestion) need the same API key as the API: the person types
it once, on the key page or in the feedback form, and it is kept in a cookie
on their device (HttpOnly, so scripts cannot read it; SameSite=Strict, so
another site cannot post a form with it). "Forget my key" removes it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from broker.api.deps import BrokerDep
from broker.errors import (
    BrokerError,
    PermissionDenied,
    ProblemDetail,
    Unauthenticated,
    ValidationFailed,
)
from broker.profiles import Organisation
from broker.services.access import authenticate, require_editor_of
from broker.services.feedback import give_feedback
from broker.services.profiles import (
    find_organisation,
    list_partnerships,
    search_organisations,
)
from broker.services.suggestions import match_profile, suggest
from broker.store.keys import ApiKey
from broker.vocabulary import (
    ACTIVITIES,
    KIND_LABELS,
    KINDS,
    REGIONS,
    STAGES,
    SUBJECTS,
    TARGET_GROUPS,
    VOCABULARIES,
)

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).with_name("templates")
KEY_COOKIE = "broker_key"
KEY_COOKIE_DAYS = 30
PAGE_SIZE = 20
DISTANCES = (10, 25, 50, 100, 250)

COMPONENT_LABELS: Mapping[str, str] = {
    "aims": "Similar aims",
    "complementarity": "One offers what the other needs",
    "target_groups": "Same learners",
    "subjects": "Same subjects",
    "stages": "Same age groups",
    "geography": "Close by",
    "network": "Shared partners",
}
VERDICT_WORDS: Mapping[str, str] = {
    "accepted": "You accepted {name}. We have noted that you are interested.",
    "declined": "You declined {name}. We will not suggest it to you again.",
    "contacted": "You noted that you have contacted {name}.",
}
PROBLEM_PAGES: Mapping[str, str] = {
    "bad-request": "400",
    "unauthenticated": "401",
    "forbidden": "403",
    "not-found": "404",
    "method-not-allowed": "405",
    "conflict": "409",
    "content-too-large": "413",
    "unsupported-media-type": "415",
    "invalid-input": "422",
    "server-error": "500",
    "unavailable": "503",
}


def _label(field: str, tag: str | None) -> str:
    if tag is None:
        return ""
    if field == "kind":
        return KIND_LABELS.get(tag, tag)
    return VOCABULARIES[field].get(tag, tag)


def _percent(value: float | None) -> int:
    if value is None:
        return 0
    return max(0, min(100, round(float(value) * 100)))


def _km(value: float | None) -> str:
    if value is None:
        return "distance unknown"
    if value < 1:
        return "under 1 km away"
    return f"{value:,.0f} km away"


def _sentence(text: str | None) -> str:
    """The text with a capital first letter, as a sentence starts."""
    return f"{text[:1].upper()}{text[1:]}" if text else ""


def _has_key(request: Request) -> bool:
    return bool(request.cookies.get(KEY_COOKIE))


templates = Jinja2Templates(directory=TEMPLATES)
templates.env.globals.update(
    KIND_LABELS=KIND_LABELS,
    KINDS=KINDS,
    REGIONS=REGIONS,
    TARGET_GROUPS=TARGET_GROUPS,
    SUBJECTS=SUBJECTS,
    STAGES=STAGES,
    ACTIVITIES=ACTIVITIES,
    COMPONENT_LABELS=COMPONENT_LABELS,
    DISTANCES=DISTANCES,
    label=_label,
    has_key=_has_key,
)
templates.env.filters.update(percent=_percent, km=_km, sentence=_sentence)

router = APIRouter(include_in_schema=False)


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render a page template."""
    return templates.TemplateResponse(
        request, name, context, status_code=status_code, headers=dict(headers or {})
    )


def render_problem(
    request: Request,
    status: int,
    title: str,
    detail: str,
    errors: Sequence[ProblemDetail] = (),
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """A problem detail as a page, for people."""
    context = {"status": status, "title": title, "detail": detail, "errors": errors}
    return render(request, "error.html", context, status, headers)


def field_errors(problems: Sequence[ProblemDetail]) -> dict[str, str]:
    """Problems by the form field they belong to (the first part of their name)."""
    found: dict[str, str] = {}
    for problem in problems:
        field = problem.field.split(".")[0]
        message = f"{problem.problem[:1].upper()}{problem.problem[1:]}: {problem.fix}."
        found.setdefault(field, message)
    return found


def _safe_next(target: str | None) -> str:
    """A local path to go back to; anything else goes home."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def _set_key(response: Response, request: Request, key: str) -> None:
    response.set_cookie(
        KEY_COOKIE,
        key,
        max_age=KEY_COOKIE_DAYS * 24 * 3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def _key_problem(error: Unauthenticated) -> str:
    """Why a key was refused, in words for people rather than programs."""
    if "revoked" in str(error):
        return (
            "This key has been revoked. Ask the person who runs broker for your "
            "organisation for a new one."
        )
    return (
        "We do not recognise this key. Check that you copied all of it, or ask "
        "the person who runs broker for your organisation for a new one."
    )


def _not_yours(broker: BrokerDep, holder: ApiKey, organisation_id: str) -> str:
    """Why a valid key may not give feedback on this page."""
    try:
        owner = find_organisation(broker, str(holder.organisation_id)).name
    except BrokerError:
        owner = str(holder.organisation_id)
    return (
        f"This key is for {owner}. It can only accept or decline suggestions "
        f"on {owner}'s own page."
    )


def _blank(value: str | None) -> str | None:
    return value.strip() or None if value else None


# Home, search and browse.


@router.get("/", response_class=HTMLResponse)
def home(request: Request, broker: BrokerDep) -> HTMLResponse:
    """The home page: what broker does, and a search."""
    _, total = search_organisations(broker, limit=1)
    return render(request, "home.html", {"total": total, "filters": {}, "errors": {}})


@router.get("/browse", response_class=HTMLResponse)
def browse(
    request: Request,
    broker: BrokerDep,
    q: str | None = None,
    kind: str | None = None,
    region: str | None = None,
    target_group: str | None = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    """Organisations that match the filters, a page at a time."""
    filters = {
        "q": _blank(q),
        "kind": _blank(kind),
        "region": _blank(region),
        "target_group": _blank(target_group),
    }
    try:
        found, total = search_organisations(
            broker,
            kind=filters["kind"],
            region=filters["region"],
            target_group=filters["target_group"],
            text=filters["q"],
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
    except ValidationFailed as error:
        errors = field_errors(error.problems)
        if "target_groups" in errors:
            errors["target_group"] = errors.pop("target_groups")
        context = {"filters": filters, "errors": errors}
        return render(request, "browse.html", {**context, "found": [], "total": 0}, 422)
    shown = {k: v for k, v in filters.items() if v}
    pages = max(1, -(-total // PAGE_SIZE))
    context = {
        "filters": filters,
        "errors": {},
        "found": found,
        "total": total,
        "page": page,
        "pages": pages,
        "previous_url": f"/browse?{urlencode({**shown, 'page': page - 1})}"
        if page > 1
        else None,
        "next_url": f"/browse?{urlencode({**shown, 'page': page + 1})}"
        if page < pages
        else None,
    }
    return render(request, "browse.html", context)


# An organisation, its suggestions and feedback on them.


def _profile_context(
    broker: BrokerDep,
    organisation_id: str,
    kind: str | None,
    within: int | None,
) -> dict[str, Any]:
    organisation = find_organisation(broker, organisation_id)
    found = suggest(broker, organisation_id, kind=kind, max_km=within, limit=10)
    suggestions = []
    for item in found["suggestions"]:
        other = find_organisation(broker, item["id"])
        shared = {
            field: [
                t for t in getattr(organisation, field) if t in getattr(other, field)
            ]
            for field in ("target_groups", "subjects", "stages")
        }
        suggestions.append({**item, "other": other, "shared": shared})
    partners = []
    for partnership in list_partnerships(broker, organisation_id):
        other_id = partnership.b if partnership.a == organisation_id else partnership.a
        partners.append(
            {"partnership": partnership, "other": find_organisation(broker, other_id)}
        )
    return {
        "organisation": organisation,
        "suggestions": suggestions,
        "partners": partners,
        "kind": kind,
        "within": within,
    }


def _choice(value: str) -> tuple[str, str] | None:
    verdict, _, other = value.partition(":")
    if verdict in VERDICT_WORDS and other:
        return verdict, other
    return None


@router.get("/profile/{organisation_id}", response_class=HTMLResponse)
def profile(
    request: Request,
    broker: BrokerDep,
    organisation_id: str,
    kind: str | None = None,
    within: str | None = None,
    done: str | None = None,
) -> HTMLResponse:
    """An organisation's profile and its suggested partners, with why."""
    distance = int(within) if within and within.isdigit() and int(within) > 0 else None
    context = _profile_context(broker, organisation_id, _blank(kind), distance)
    context.update(errors={}, message=None)
    chosen = _choice(done or "")
    if chosen:
        verdict, other_id = chosen
        try:
            name = find_organisation(broker, other_id).name
        except BrokerError:
            name = other_id
        context["message"] = VERDICT_WORDS[verdict].format(name=name)
    elif done == "key-saved":
        context["message"] = "Your key is saved on this device."
    return render(request, "profile.html", context)


@router.post("/profile/{organisation_id}/feedback", response_class=HTMLResponse)
def profile_feedback(
    request: Request,
    broker: BrokerDep,
    organisation_id: str,
    choice: Annotated[str, Form()] = "",
    key: Annotated[str, Form()] = "",
) -> Response:
    """Accept or decline a suggestion from the profile page, then show the list."""
    typed = key.strip()
    presented = typed or request.cookies.get(KEY_COOKIE, "")
    errors: dict[str, str] = {}
    status = 200
    if not presented:
        errors["key"] = "Enter your API key to accept or decline suggestions."
        status = 401
    else:
        try:
            api_key = authenticate(broker, presented)
            if choice == "save-key":
                response = RedirectResponse(
                    f"/profile/{organisation_id}?done=key-saved#suggestions", 303
                )
                _set_key(response, request, presented)
                return response
            require_editor_of(api_key, organisation_id)
            chosen = _choice(choice)
            if chosen is None:
                errors["choice"] = "Choose Accept or Decline on one of the suggestions."
                status = 422
            else:
                verdict, other_id = chosen
                give_feedback(broker, organisation_id, other_id, verdict)
                log.info(
                    "page feedback: %s %s %s with key %s",
                    organisation_id,
                    verdict,
                    other_id,
                    api_key.prefix,
                )
                done = urlencode({"done": f"{verdict}:{other_id}"})
                response = RedirectResponse(
                    f"/profile/{organisation_id}?{done}#suggestions", 303
                )
                if typed:
                    _set_key(response, request, typed)
                return response
        except Unauthenticated as error:
            errors["key"] = _key_problem(error)
            status = 401
        except PermissionDenied:
            errors["key"] = _not_yours(broker, api_key, organisation_id)
            status = 403
        except ValidationFailed as error:
            errors.update(field_errors(error.problems))
            status = 422
    context = _profile_context(broker, organisation_id, None, None)
    context.update(errors=errors, message=None)
    return render(request, "profile.html", context, status)


# The API key, kept in a cookie.


@router.get("/key", response_class=HTMLResponse)
def key_page(
    request: Request, broker: BrokerDep, next: str | None = None
) -> HTMLResponse:
    """Enter, check or forget the API key this device uses for feedback."""
    return render(request, "key.html", _key_context(request, broker, next, {}))


def _key_context(
    request: Request, broker: BrokerDep, target: str | None, errors: dict[str, str]
) -> dict[str, Any]:
    saved = request.cookies.get(KEY_COOKIE)
    holder = None
    problem = None
    if saved:
        try:
            holder = authenticate(broker, saved)
        except Unauthenticated as error:
            problem = _key_problem(error)
    organisation = None
    if holder is not None and holder.organisation_id:
        try:
            organisation = find_organisation(broker, holder.organisation_id)
        except BrokerError:
            organisation = None
    return {
        "saved": bool(saved),
        "holder": holder,
        "holder_organisation": organisation,
        "saved_problem": problem,
        "next": _safe_next(target) if target else "",
        "errors": errors,
    }


@router.post("/key", response_class=HTMLResponse)
def save_key(
    request: Request,
    broker: BrokerDep,
    key: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check a key and keep it in a cookie on this device."""
    typed = key.strip()
    if not typed:
        errors = {"key": "Enter your API key. An administrator can give you one."}
        return render(
            request, "key.html", _key_context(request, broker, next, errors), 422
        )
    try:
        authenticate(broker, typed)
    except Unauthenticated as error:
        errors = {"key": _key_problem(error)}
        return render(
            request, "key.html", _key_context(request, broker, next, errors), 401
        )
    target = _safe_next(next) if next else "/key?saved=1"
    response = RedirectResponse(target, 303)
    _set_key(response, request, typed)
    return response


@router.post("/key/forget")
def forget_key() -> Response:
    """Remove the key from this device."""
    response = RedirectResponse("/key", 303)
    response.delete_cookie(KEY_COOKIE, httponly=True, samesite="strict")
    return response


# What if: an unsaved profile.


@router.get("/what-if", response_class=HTMLResponse)
def what_if(request: Request) -> HTMLResponse:
    """Describe an organisation and see who it should talk to."""
    return render(request, "what_if.html", {"form": {}, "errors": {}, "found": None})


@router.post("/what-if", response_class=HTMLResponse)
def what_if_results(
    request: Request,
    broker: BrokerDep,
    name: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    aims: Annotated[str, Form()] = "",
    offers: Annotated[str, Form()] = "",
    needs: Annotated[str, Form()] = "",
    town: Annotated[str, Form()] = "",
    target_groups: Annotated[list[str] | None, Form()] = None,
    subjects: Annotated[list[str] | None, Form()] = None,
    stages: Annotated[list[str] | None, Form()] = None,
    activities: Annotated[list[str] | None, Form()] = None,
    looking_for: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """The suggestions for the profile described, or what to fix in it."""
    form: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "aims": aims,
        "offers": offers,
        "needs": needs,
        "town": town,
        "target_groups": target_groups or [],
        "subjects": subjects or [],
        "stages": stages or [],
        "activities": activities or [],
        "looking_for": looking_for,
    }
    errors: dict[str, str] = {}
    if not kind:
        errors["kind"] = "Choose what kind of organisation you are."
    if not aims.strip():
        errors["aims"] = "Describe what you want to achieve, and for whom."
    if errors:
        return render(
            request,
            "what_if.html",
            {"form": form, "errors": errors, "found": None},
            422,
        )
    profile = {
        "id": "what-if",
        "name": name.strip() or "Your organisation",
        "kind": kind,
        "aims": aims,
        "offers": offers,
        "needs": needs,
        "town": town.strip() or None,
        "target_groups": form["target_groups"],
        "subjects": form["subjects"],
        "stages": form["stages"],
        "activities": form["activities"],
    }
    try:
        found = match_profile(broker, profile, kind=_blank(looking_for), limit=10)
    except ValidationFailed as error:
        errors = field_errors(error.problems)
        return render(
            request,
            "what_if.html",
            {"form": form, "errors": errors, "found": None},
            422,
        )
    suggestions = []
    for item in found["suggestions"]:
        other = find_organisation(broker, item["id"])
        shared = {
            field: [t for t in form[field] if t in getattr(other, field)]
            for field in ("target_groups", "subjects", "stages")
        }
        suggestions.append({**item, "other": other, "shared": shared})
    context = {"form": form, "errors": {}, "found": suggestions}
    return render(request, "what_if.html", context)


# Community brokers and regional hubs.


@router.get("/find-brokers", response_class=HTMLResponse)
def find_brokers(
    request: Request,
    broker: BrokerDep,
    target_group: str | None = None,
    region: str | None = None,
    near: str | None = None,
) -> HTMLResponse:
    """Third-sector organisations that reach a group of learners, near a place."""
    from broker.services.regions import rank_brokers

    form = {
        "target_group": _blank(target_group),
        "region": _blank(region),
        "near": _blank(near),
    }
    searched = any(form.values())
    errors: dict[str, str] = {}
    found: list[dict[str, Any]] = []
    status = 200
    if searched:
        try:
            ranked: dict[str, Any] = rank_brokers(
                broker,
                target_group=form["target_group"],
                region=form["region"],
                near=form["near"],
                limit=20,
            )
            found = list(ranked.get("brokers", []))
        except ValidationFailed as error:
            errors = field_errors(error.problems)
            if "town" in errors:
                errors["near"] = errors.pop("town")
            status = 422
    context = {"form": form, "errors": errors, "found": found, "searched": searched}
    return render(request, "brokers.html", context, status)


@router.get("/hubs", response_class=HTMLResponse)
def hubs(request: Request, broker: BrokerDep) -> HTMLResponse:
    """The regions, with how many organisations each has."""
    counts = {
        region: search_organisations(broker, region=region, limit=1)[1]
        for region in REGIONS
    }
    return render(request, "hubs.html", {"counts": counts})


@router.get("/hubs/{region}", response_class=HTMLResponse)
def hub(request: Request, broker: BrokerDep, region: str) -> HTMLResponse:
    """A region's hub plan, its network and its map of gaps."""
    from broker.services.regions import regional_plan

    if region not in REGIONS:
        return render_problem(
            request,
            404,
            "Not found",
            f"there is no region {region!r}; choose one from the list of regions",
        )
    plan: dict[str, Any] = regional_plan(broker, region)
    names = _names(broker, region, plan)
    return render(
        request,
        "hub.html",
        {
            "region": region,
            "region_name": REGIONS[region],
            "plan": plan,
            "names": names,
        },
    )


def _names(broker: BrokerDep, region: str, plan: Mapping[str, Any]) -> dict[str, str]:
    """The names of the organisations a plan mentions by id."""
    ids: set[str] = set()
    for key in ("lead_candidates", "brokers", "gaps"):
        ids.update(str(item["id"]) for item in plan.get(key, []) if item.get("id"))
    for link in plan.get("proposed_links", []):
        ids.update((str(link["a"]), str(link["b"])))
    for community in plan.get("communities", []):
        ids.update(str(member) for member in community.get("members", []))

    found, _ = search_organisations(broker, region=region, limit=10_000)
    names = {o.id: o.name for o in found if o.id in ids}
    for organisation_id in sorted(ids - set(names)):
        try:
            names[organisation_id] = find_organisation(broker, organisation_id).name
        except BrokerError:
            names[organisation_id] = organisation_id
    return names


# Reference pages: the API and the kinds of problem.


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    """The API reference, drawn from the OpenAPI document, with examples."""
    schema = request.app.openapi()
    operations = []
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            operations.append(
                {
                    "path": path,
                    "method": method.upper(),
                    "operation": operation,
                    "example": _example(schema, operation),
                }
            )
    return render(request, "docs.html", {"schema": schema, "operations": operations})


def _example(schema: Mapping[str, Any], operation: Mapping[str, Any]) -> Any:
    """The request body example of an operation, if it has one."""
    content = operation.get("requestBody", {}).get("content", {})
    body = content.get("application/json", {}).get("schema", {})
    reference = str(body.get("$ref", ""))
    if not reference:
        return None
    name = reference.rsplit("/", 1)[-1]
    examples = (
        schema.get("components", {}).get("schemas", {}).get(name, {}).get("examples")
    )
    return examples[0] if examples else None


@router.get("/problems/{slug}", response_class=HTMLResponse)
def problem_type(request: Request, slug: str) -> HTMLResponse:
    """What one kind of problem means, for the type URIs of problem details."""
    from broker.api.problems import KINDS

    if slug not in PROBLEM_PAGES:
        return render_problem(request, 404, "Not found", f"no problem type {slug!r}")
    status = int(PROBLEM_PAGES[slug])
    return render(
        request,
        "problem_type.html",
        {"slug": slug, "status": status, "meaning": KINDS[status][1]},
    )


def organisation_url(organisation: Organisation) -> str:
    """The page of an organisation."""
    return f"/profile/{organisation.id}"


templates.env.globals.update(organisation_url=organisation_url)
