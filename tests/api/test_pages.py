"""The server-rendered pages, through the in-process client."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from broker.api.pages import KEY_COOKIE
from tests.api.conftest import ORG_A, Keys


def _suggested_ids(html: str) -> list[str]:
    return re.findall(r'value="declined:([a-z0-9-]+)"', html)


@pytest.mark.parametrize(
    "path",
    ["/", "/browse", f"/profile/{ORG_A}", "/what-if", "/key", "/hubs", "/docs"],
)
def test_pages_are_accessible_html(client: TestClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<html lang="en-GB">' in html
    assert 'name="viewport"' in html
    assert 'href="#main"' in html and 'id="main"' in html
    assert "/static/style.css" in html
    assert "http://" not in html.replace("http://www", "")  # no external files
    # Every input, select and text area has a label that points at it.
    ids = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html)
    for found in ids:
        assert f'for="{found}"' in html, found


def test_stylesheet_is_served(client: TestClient) -> None:
    response = client.get("/static/style.css")

    assert response.status_code == 200
    assert "text/css" in response.headers["content-type"]


def test_browse_filters_and_pages(client: TestClient) -> None:
    html = client.get("/browse", params={"kind": "hei"}).text
    everything = client.get("/browse").text

    assert "20 organisations found" in html
    assert "University of Bath" in html
    assert "Page 1 of 4" in everything
    assert 'rel="next"' in everything


def test_browse_with_an_unknown_tag_shows_the_error(client: TestClient) -> None:
    response = client.get("/browse", params={"target_group": "pirates"})

    assert response.status_code == 422
    assert "pirates" in response.text


def test_profile_shows_suggestions_with_bars_and_reasons(client: TestClient) -> None:
    html = client.get(f"/profile/{ORG_A}").text

    assert "University of Bath" in html
    assert len(_suggested_ids(html)) == 10
    assert 'class="bar-fill" style="width:' in html
    assert "Similar aims" in html
    assert "km away" in html
    assert 'class="reasons"' in html


def test_unknown_profile_is_a_404_page(client: TestClient) -> None:
    response = client.get("/profile/nobody", headers={"Accept": "text/html"})

    assert response.status_code == 404
    assert "nobody" in response.text


def test_feedback_without_a_key_asks_for_it(client: TestClient) -> None:
    first = _suggested_ids(client.get(f"/profile/{ORG_A}").text)[0]

    response = client.post(
        f"/profile/{ORG_A}/feedback", data={"choice": f"declined:{first}"}
    )

    assert response.status_code == 401
    assert "Enter your API key" in response.text
    assert _suggested_ids(client.get(f"/profile/{ORG_A}").text)[0] == first


def test_decline_with_a_typed_key_saves_it_and_changes_the_list(
    client: TestClient, keys: Keys
) -> None:
    before = _suggested_ids(client.get(f"/profile/{ORG_A}").text)

    response = client.post(
        f"/profile/{ORG_A}/feedback",
        data={"choice": f"declined:{before[0]}", "key": keys.editor_a},
        follow_redirects=False,
    )

    assert response.status_code == 303
    assert client.cookies.get(KEY_COOKIE) == keys.editor_a
    assert "httponly" in response.headers["set-cookie"].lower()
    assert "samesite=strict" in response.headers["set-cookie"].lower()
    page = client.get(response.headers["location"]).text
    after = _suggested_ids(page)
    assert before[0] not in after
    assert "We will not suggest it to you again" in page


def test_editor_of_another_organisation_is_refused(
    client: TestClient, keys: Keys
) -> None:
    first = _suggested_ids(client.get(f"/profile/{ORG_A}").text)[0]

    response = client.post(
        f"/profile/{ORG_A}/feedback",
        data={"choice": f"declined:{first}", "key": keys.editor_b},
    )

    assert response.status_code == 403
    assert "This key is for IntoUniversity" in response.text
    assert _suggested_ids(client.get(f"/profile/{ORG_A}").text)[0] == first


def test_revoked_key_is_refused(client: TestClient, keys: Keys) -> None:
    client.cookies.set(KEY_COOKIE, keys.revoked)
    first = _suggested_ids(client.get(f"/profile/{ORG_A}").text)[0]

    response = client.post(
        f"/profile/{ORG_A}/feedback", data={"choice": f"accepted:{first}"}
    )

    assert response.status_code == 401
    assert "revoked" in response.text


def test_key_page_saves_checks_and_forgets(client: TestClient, keys: Keys) -> None:
    wrong = client.post("/key", data={"key": "brk_nope_nope"})
    saved = client.post(
        "/key", data={"key": keys.editor_a, "next": f"/profile/{ORG_A}"}
    )
    shown = client.get("/key").text
    client.post("/key/forget")

    assert wrong.status_code == 401
    assert "We do not recognise this key" in wrong.text
    assert saved.url.path == f"/profile/{ORG_A}"
    assert "University of Bath" in shown
    assert KEY_COOKIE not in client.cookies


def test_key_page_never_redirects_off_site(client: TestClient, keys: Keys) -> None:
    response = client.post(
        "/key",
        data={"key": keys.admin, "next": "//evil.example/"},
        follow_redirects=False,
    )

    assert response.headers["location"] == "/"


def test_what_if_shows_suggestions(client: TestClient) -> None:
    response = client.post(
        "/what-if",
        data={
            "name": "Leeds Girls Code",
            "kind": "tso",
            "aims": "Coding clubs for girls from low-income homes in Leeds.",
            "town": "Leeds",
            "target_groups": ["girls-women", "low-income"],
            "looking_for": "hei",
        },
    )

    assert response.status_code == 200
    assert "Who you should talk to" in response.text
    assert response.text.count('class="card suggestion"') >= 3


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "tso", "aims": ""}, "aims", "Describe what you want to achieve"),
        ({"aims": "Science clubs."}, "kind", "Choose what kind"),
        ({"kind": "tso", "aims": "Clubs.", "town": "Atlantis"}, "town", "Atlantis"),
    ],
)
def test_what_if_shows_errors_next_to_the_field(
    client: TestClient, data: dict[str, str], field: str, message: str
) -> None:
    response = client.post("/what-if", data=data)

    assert response.status_code == 422
    html = response.text
    assert f'id="{field}-error"' in html
    error = html.split(f'id="{field}-error"')[1].split("</p>")[0]
    assert message in error
    assert 'aria-invalid="true"' in html or field == "kind"
    assert "There is a problem" in html
