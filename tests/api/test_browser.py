"""The pages in a real headless Chromium, against a real uvicorn server.

Each test drives Debian's Chromium through Playwright and saves screenshots
of the pages it visits under ``tests/artifacts/`` (ignored by git), at a
desktop and a phone width, for a person to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.api.conftest import ORG_A, Keys

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed; run scripts/system-deps.sh")
    with sync_playwright() as driver:
        found = driver.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield found
        found.close()


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A fresh desktop page (no cookies) that fails on any browser error."""
    context = browser.new_context(viewport=DESKTOP, base_url=live_server)
    found = context.new_page()
    errors: list[str] = []
    found.on("pageerror", lambda error: errors.append(str(error)))
    found.on(
        "console",
        lambda message: (
            errors.append(message.text) if message.type == "error" else None
        ),
    )
    yield found
    context.close()
    assert not [e for e in errors if "status of 4" not in e], errors


def shoot(page: Page, name: str) -> None:
    """Save a full-page screenshot at desktop and at phone width."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=ARTIFACTS / f"{name}-desktop.png", full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=ARTIFACTS / f"{name}-phone.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_viewport_size(DESKTOP)


def suggested(page: Page) -> list[str]:
    """The names of the suggestions listed, in order."""
    return page.locator("ol.suggestions h3 a").all_inner_texts()


def test_search_and_open_an_organisation(page: Page) -> None:
    page.goto("/")
    shoot(page, "home")

    page.get_by_label("Search by name, aims or town").fill("Bath")
    page.get_by_role("button", name="Search").click()

    expect(
        page.get_by_role("heading", level=2, name=re.compile("found"))
    ).to_be_visible()
    shoot(page, "browse")
    page.get_by_role("link", name="University of Bath").click()

    expect(page).to_have_url(re.compile(f"/profile/{ORG_A}"))
    expect(page.get_by_role("heading", level=1)).to_have_text("University of Bath")
    assert len(suggested(page)) == 10
    expect(page.locator(".bar").first).to_be_visible()
    shoot(page, "profile")


def test_decline_a_suggestion_and_see_the_list_change(page: Page, keys: Keys) -> None:
    page.goto(f"/profile/{ORG_A}")
    before = suggested(page)

    page.get_by_label("API key").fill(keys.editor_a)
    page.get_by_role("button", name=f"Decline {before[0]}").click()

    status = page.get_by_role("status")
    expect(status).to_contain_text(f"You declined {before[0]}")
    after = suggested(page)
    assert before[0] not in after
    assert after[:9] == before[1:]
    shoot(page, "profile-declined")

    # The key is remembered: the next decline needs no key.
    expect(page.get_by_label("API key")).to_have_count(0)
    page.get_by_role("button", name=f"Decline {after[0]}").click()
    expect(page.get_by_role("status")).to_contain_text(after[0])
    assert after[0] not in suggested(page)


def test_decline_with_a_wrong_key_shows_the_error(page: Page) -> None:
    page.goto(f"/profile/{ORG_A}")
    first = suggested(page)[0]

    page.get_by_label("API key").fill("brk_wrong_key")
    page.get_by_role("button", name=f"Decline {first}").click()

    expect(page.locator("#key-error")).to_contain_text("do not recognise")
    expect(page.get_by_label("API key")).to_have_attribute("aria-invalid", "true")
    assert suggested(page)[0] == first


def test_what_if_shows_errors_next_to_fields_then_suggestions(
    page: Page,
) -> None:
    page.goto("/what-if")
    page.get_by_label("Name of your organisation").fill("Leeds Girls Code")
    page.get_by_label("Third-sector organisation").check()
    page.get_by_label("Town or city").fill("Atlantis")
    page.get_by_role("button", name="Show who we should talk to").click()

    expect(page.locator("#aims-error")).to_contain_text("Describe what you want")
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    shoot(page, "what-if-error")

    page.get_by_label("What do you want to achieve").fill(
        "Coding clubs that help girls from low-income homes choose computing degrees."
    )
    page.get_by_role("button", name="Show who we should talk to").click()

    expect(page.locator("#town-error")).to_contain_text("Atlantis")
    expect(page.get_by_label("Town or city")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Town or city").fill("Leeds")
    page.get_by_label("Girls and women").check()
    page.get_by_label("Show me").select_option("hei")
    page.get_by_role("button", name="Show who we should talk to").click()

    results = page.get_by_role("heading", name="Who you should talk to", exact=True)
    expect(results).to_be_visible()
    assert len(suggested(page)) >= 3
    shoot(page, "what-if-results")


def test_skip_link_and_keyboard_focus(page: Page) -> None:
    page.goto("/")

    page.keyboard.press("Tab")

    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("#main$"))


def test_broker_finder_and_hub_pages(page: Page) -> None:
    pytest.importorskip("broker.services.regions")
    page.goto("/find-brokers")
    page.get_by_label("Learners you want to reach").select_option("low-income")
    page.get_by_label("Near a town or city").fill("Bradford")
    page.get_by_role("button", name="Find brokers").click()

    expect(
        page.get_by_role("heading", name=re.compile("brokers? found"))
    ).to_be_visible()
    shoot(page, "brokers")

    page.goto("/hubs")
    page.get_by_role("link", name="London").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("London: hub plan")
    for picture in page.locator(".pictures img").all():
        picture.scroll_into_view_if_needed()
        expect(picture).to_have_js_property("complete", True)
        assert picture.evaluate("img => img.naturalWidth") > 0
    shoot(page, "hub")
