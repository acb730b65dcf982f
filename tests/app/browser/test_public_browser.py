"""A phone-sized Chromium answers the SIPAS 2017–2020 questionnaire through late → apology,
with JavaScript on and off; every citizen page passes an axe-core scan (0 serious/critical)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.collect import invitations, kiosks
from app.extensions import db
from app.models import Response
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHOICES = {"late": "1", "apology": "1"}  # the branch under test: late, and an apology letter


@pytest.fixture
def wave(app):
    item = factories.wave(agency_list=[factories.agency("A1")])
    db.session.commit()
    return item


def issue_link(live_server, wave) -> str:
    token = invitations.issue(wave, wave.agencies[0], 1)[0].token
    db.session.commit()
    return f"{live_server.url}/s/{token}"


def fill_visible(page) -> list[str]:
    """Answer every visible radio question: scales at their top point, choices at the first option."""
    codes = page.eval_on_selector_all(
        "form[data-survey] .question:not([hidden])", "els => els.map(e => e.id.slice(2))")
    for code in codes:
        values = page.eval_on_selector_all(f"input[type=radio][name='{code}']", "els => els.map(e => e.value)")
        if not values:
            continue
        value = CHOICES.get(code) or ("5" if "5" in values else values[0])
        page.check(f"input[name='{code}'][value='{value}']")
    return codes


def check_page(page, axe_violations, seen: list[str]):
    violations = axe_violations(page)
    assert violations == [], f"{page.url}: {violations}"
    assert len(page.content().encode()) < 50_000
    seen.append(page.url)


def answer_questionnaire(page, live_server, wave, axe_violations, screenshot, label: str, scan):
    seen = []
    page.goto(issue_link(live_server, wave))
    assert page.url == f"{live_server.url}/answer"  # the token is gone from the address
    # Nothing answered: errors next to the fields and summarised at the top.
    page.click("button[value=next]")
    assert page.locator(".error-summary").is_visible() and page.locator("#e-service_field").is_visible()
    screenshot(page, f"{label}-errors")
    if scan:
        check_page(page, axe_violations, seen)
    for _ in range(20):
        if "/answer/thanks" in page.url:
            break
        codes = fill_visible(page)
        if "late" in codes:
            apology = page.locator("#q-apology")
            if scan:  # JavaScript on: the apology question appears as soon as "late: yes" is chosen
                assert apology.is_visible()
                fill_visible(page)
            else:  # off: the server asks it on a second pass of the same page
                assert not apology.is_visible()
                page.click("button[value=next]")
                assert page.locator(".notice").is_visible() and apology.is_visible()
                fill_visible(page)
            screenshot(page, f"{label}-late-apology")
        if scan:
            check_page(page, axe_violations, seen)
        page.click("button[value=next]")
    assert "/answer/thanks" in page.url
    assert page.locator(".receipt strong").inner_text()
    screenshot(page, f"{label}-thanks")
    if scan:
        check_page(page, axe_violations, seen)
    return seen


def stored_late_apology():
    response = db.session.scalars(select(Response)).one()
    values = response.answers
    return response, values


def test_answering_on_a_phone_with_javascript(live_server, wave, mobile_page, axe_violations, screenshot):
    seen = answer_questionnaire(mobile_page, live_server, wave, axe_violations, screenshot, "js", scan=True)
    assert len(seen) >= 13
    response, values = stored_late_apology()
    assert values["late"] == 1 and values["apology"] == 1 and response.channel == "link"


def test_answering_on_a_phone_without_javascript(live_server, wave, mobile_page_no_js, axe_violations, screenshot):
    answer_questionnaire(mobile_page_no_js, live_server, wave, axe_violations, screenshot, "nojs", scan=False)
    response, values = stored_late_apology()
    assert values["late"] == 1 and values["apology"] == 1


def test_english_at_320_px_and_the_other_citizen_pages_pass_axe(live_server, wave, mobile_page, axe_violations,
                                                                 screenshot):
    page = mobile_page
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(issue_link(live_server, wave))
    page.click("a[hreflang=en]")
    assert page.locator("html").get_attribute("lang") == "en" and "Step 1 of 12" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320  # no sideways scrolling
    screenshot(page, "en-320-first-page")
    pages = [f"{live_server.url}/", f"{live_server.url}/link", f"{live_server.url}/s/unknown-token"]
    for url in pages:
        page.goto(url)
        assert axe_violations(page) == [], url
    setup_url = kiosks.issue(wave.agencies[0]).setup_url
    db.session.commit()
    page.goto(setup_url.replace("http://localhost", live_server.url))
    assert page.url == f"{live_server.url}/k/A1"
    assert axe_violations(page) == []
    screenshot(page, "kiosk-start")
    page.click("button[type=submit].big")
    assert page.url == f"{live_server.url}/answer" and page.locator(".kiosk-bar").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "kiosk-first-page")


def test_no_request_leaves_the_site(live_server, wave, mobile_page):
    hosts = set()
    mobile_page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
    mobile_page.goto(issue_link(live_server, wave))
    fill_visible(mobile_page)
    mobile_page.click("button[value=next]")
    assert hosts == {live_server.url.split("/")[2]}
