"""Profile validation: every kind of bad input names the field and the fix."""

from __future__ import annotations

from typing import Any

import pytest

from broker.errors import ValidationFailed
from broker.profiles import parse_organisation, parse_partnership

GOOD: dict[str, Any] = {
    "id": "space-connections",
    "name": "Space Connections",
    "kind": "tso",
    "aims": "Hands-on space science with young people in Bradford.",
    "target_groups": ["low-income"],
    "subjects": ["physics"],
    "town": "Bradford",
}


def with_(**changes: Any) -> dict[str, Any]:
    record = dict(GOOD)
    record.update(changes)
    return {k: v for k, v in record.items() if v is not ...}


def test_a_good_profile_is_accepted_and_tags_are_normalised() -> None:
    organisation = parse_organisation(with_(subjects=["Physics", " physics"]))
    assert organisation.subjects == ("physics",)
    assert organisation.reach == "local"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"kind": "charity"}, "kind", "hei, tso, school, learner_group"),
        ({"id": "Space Connections"}, "id", "an id matching"),
        ({"id": "../etc/passwd"}, "id", "an id matching"),
        ({"aims": ...}, "aims", "add this field"),
        ({"aims": ""}, "aims", "non-empty"),
        ({"aims": "x" * 4001}, "aims", "shorten"),
        ({"offers": "x" * 2001}, "offers", "shorten"),
        ({"lat": 91.0, "lon": 0.0}, "lat", "inside the range"),
        ({"lat": 51.0}, "profile", "both lat and lon"),
        ({"target_groups": ["pupils"]}, "target_groups", "low-income, "),
        ({"region": "midlands"}, "region", "east-midlands"),
        ({"aim": "typo"}, "aim", "check its spelling"),
        ({"name": "bad\x00name"}, "name", "control character U+0000"),
        ({"target_groups": ["low-income"] * 65}, "target_groups", "at most 64"),
        ({"website": "javascript:alert(1)"}, "website", "http(s)"),
    ],
)
def test_bad_input_names_the_field_and_the_fix(
    changes: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_organisation(with_(**changes), row=7)
    problems = caught.value.problems
    assert any(p.field == field for p in problems), problems
    assert message in str(caught.value)
    assert all(p.row == 7 for p in problems)


def test_unknown_tag_lists_the_valid_tags() -> None:
    with pytest.raises(ValidationFailed, match="unknown tag 'astronomy'.*physics"):
        parse_organisation(with_(subjects=["astronomy"]))


def test_partnership_pair_is_unordered_and_checked() -> None:
    forward = parse_partnership({"a": "b-org", "b": "a-org", "status": "past"})
    assert forward.key == ("a-org", "b-org")
    with pytest.raises(ValidationFailed, match="two organisations"):
        parse_partnership({"a": "same", "b": "same"})
    with pytest.raises(ValidationFailed, match="before since"):
        parse_partnership({"a": "x", "b": "y", "since": 2012, "until": 2010})
    with pytest.raises(ValidationFailed, match="active, past, proposed"):
        parse_partnership({"a": "x", "b": "y", "status": "maybe"})


def test_public_fields_never_include_contact_details() -> None:
    organisation = parse_organisation(with_(contact_email="lead@example.org"))
    assert organisation.contact_email == "lead@example.org"
    assert "contact_email" not in organisation.public()
