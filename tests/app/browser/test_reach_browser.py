"""Issue 18 in a real browser: the opt-out page on a 360 px phone (Vietnamese, axe-clean, large
choices), and the administrators' "send by e-mail / SMS / Zalo" upload with its per-line errors."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import OptOut, OutboxMessage
from app.outbox.queue import content_of
from app.reach import contacts, sending
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def wave(app):
    item = factories.wave()
    db.session.commit()
    return item


def check(page, axe_violations, width: int) -> None:
    assert axe_violations(page) == [], page.url
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def test_a_citizen_stops_the_messages_on_a_phone(live_server, wave, mobile_page, axe_violations, screenshot):
    sending.send(wave, wave.agencies[0], contacts.parse(wave, "email", "address\nan@example.vn\n"), actor_name="t")
    db.session.commit()
    link = re.search(r"http://localhost(/o/[A-Za-z0-9_-]+\?lang=vi)",
                     content_of(db.session.scalar(select(OutboxMessage))).text).group(1)
    page = mobile_page
    page.goto(live_server.url + link)
    assert page.locator("h1").inner_text() in ("Ngừng nhận tin khảo sát", "Stop survey messages")
    for choice in ("#scope-wave", "#scope-always"):
        box = page.locator(choice).locator("xpath=..").bounding_box()
        assert box["height"] >= 44 and box["width"] >= 280  # the whole label is the touch target
    button = page.locator("button[type=submit].primary").bounding_box()
    assert button["height"] >= 44
    check(page, axe_violations, 360)
    screenshot(page, "reach-optout")
    page.click("button[type=submit].primary")  # no choice: the error says so, next to the choices
    assert page.locator("#e-scope").is_visible() and page.locator(".error-summary").is_visible()
    check(page, axe_violations, 360)
    page.check("#scope-always")
    page.click("button[type=submit].primary")
    assert page.locator("#optout-state").is_visible()
    check(page, axe_violations, 360)
    screenshot(page, "reach-optout-done")
    db.session.expire_all()
    assert [r.wave_id for r in db.session.scalars(select(OptOut))] == [None]
    assert db.session.scalar(select(OutboxMessage.status)) == "cancelled"


def test_an_administrator_uploads_contacts_and_sees_each_bad_line(live_server, wave, browser, make_user,
                                                                  axe_violations, screenshot, tmp_path):
    context = browser.new_context(viewport={"width": 1024, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    user, password = make_user("admin")
    page.goto(f"{live_server.url}/login?lang=en")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/admin/waves/{wave.slug}/invitations?lang=vi")
    assert page.locator("#send-heading").is_visible()
    check(page, axe_violations, 1024)
    screenshot(page, "reach-admin-send")
    bad = tmp_path / "contacts.csv"
    bad.write_text("address,language\nan@example.vn,en\nkhong-phai-dia-chi,\nan@example.vn,fr\n", encoding="utf-8")
    page.select_option("#send-channel", "email")
    page.set_input_files("#send-contacts", str(bad))
    page.click("#send button[type=submit]")
    rows = page.locator("#send .errors tbody tr")
    assert rows.count() == 3
    assert [rows.nth(i).locator("td").first.inner_text() for i in range(3)] == ["3", "4", "4"]
    check(page, axe_violations, 1024)
    screenshot(page, "reach-admin-send-errors")
    good = tmp_path / "good.csv"
    good.write_text("address,language\nan@example.vn,en\nbinh@example.vn,\n", encoding="utf-8")
    page.set_input_files("#send-contacts", str(good))
    page.click("#send button[type=submit]")
    assert page.locator(".flash-success").is_visible()
    db.session.expire_all()
    assert db.session.query(OutboxMessage).count() == 2
    context.close()
