"""The audit log and the confirmation step in headless Chromium: page height, no JavaScript, axe."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Wave
from app.shared import audit
from tests import factories

pytestmark = pytest.mark.browser


def logged_in(page, live_server, make_user):
    user, password = make_user("admin")
    email = user.email
    db.session.remove()
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def realistic_events(count: int) -> None:
    """Updates carrying whole snapshots, as the services record them (most fields unchanged)."""
    agencies = [f"S{n:02d}" for n in range(40)]
    for number in range(count):
        before = {"slug": "sipas-2026", "name_vi": "Khảo sát mức độ hài lòng năm 2026", "name_en": "Survey 2026",
                  "period_start": "2026-01-01", "period_end": "2026-06-30", "agencies": agencies,
                  "channels": ["link", "kiosk", "paper"], "status": "draft",
                  "settings": {"purge_dossiers_on_close": True, "level": 0.95}}
        after = dict(before, name_vi=f"Khảo sát sự hài lòng của người dân về dịch vụ hành chính công, đợt {number}",
                     agencies=agencies + ["UBND huyện Điện Biên Đông"])
        audit.record("wave.update", "wave", "sipas-2026", actor="quản.trị@example.org", before=before, after=after)
    db.session.commit()


def test_the_audit_log_is_readable_and_short(live_server, browser, make_user, screenshot, axe_violations):
    realistic_events(33)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    logged_in(page, live_server, make_user)
    page.goto(f"{live_server.url}/admin/audit")
    text = page.locator("table.audit").inner_text()
    assert "Khảo sát sự hài lòng của người dân" in text and "\\u" not in text
    height = page.evaluate("document.documentElement.scrollHeight")
    widths = page.evaluate("[...document.querySelectorAll('table.audit tbody tr:first-child td')]"
                           ".map(td => td.getBoundingClientRect().width)")
    screenshot(page, "admin-audit-1280")
    print(f"\naudit log, 34 events at 1280 px: page height {height} px, column widths {widths}")
    assert height < 6000, height  # 107,702 px for these events with the raw before/after JSON columns
    assert widths[-1] > 400, widths  # the changes column is the wide one
    assert axe_violations(page) == []
    context.close()


@pytest.mark.parametrize("javascript", [False, True])
def test_closing_a_wave_goes_through_the_confirmation_page_with_or_without_javascript(
        live_server, browser, make_user, screenshot, axe_violations, javascript):
    factories.wave("sipas-2026")
    db.session.commit()
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=javascript)
    context.set_default_timeout(15_000)
    page = context.new_page()
    logged_in(page, live_server, make_user)
    page.goto(f"{live_server.url}/admin/waves/sipas-2026")
    page.click("button.danger")  # Close the wave
    page.wait_for_load_state()
    assert "Đồng ý, đóng đợt khảo sát" in page.content()
    screenshot(page, "admin-wave-close-confirm-360")
    if javascript:  # axe itself needs the page's JavaScript (its timers do not run without)
        assert axe_violations(page) == []
    db.session.remove()
    assert db.session.query(Wave).filter_by(slug="sipas-2026").one().status == "open"
    page.click("text=Đồng ý, đóng đợt khảo sát")
    page.wait_for_load_state()
    db.session.remove()
    assert db.session.query(Wave).filter_by(slug="sipas-2026").one().status == "closed"
    context.close()
