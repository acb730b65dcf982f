"""An administrator's whole job in a real browser (Debian's chromium through Playwright).

Logs in, creates a draft, sees a validation error, fixes it, previews in both languages,
publishes, opens a wave, issues 10 invitations, has one answered, excludes it with a reason and
exports the wave; screenshots go to tests/artifacts/admin-*.png. A second test runs axe-core on
every admin page (0 serious or critical violations).
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from app.extensions import db
from app.models import Response
from tests import factories
from tests.app.admin_helpers import a_response, wave_with_responses

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE = ROOT / "tests" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "tests" / "artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-dev-shm-usage"]


@pytest.fixture
def server(app):
    from werkzeug.serving import make_server

    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page(browser):
    """A desktop page of the session's browser (one Playwright per session: a second
    sync_playwright beside the shared one fails inside its event loop)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    item = context.new_page()
    item.set_default_timeout(20_000)
    yield item
    context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"admin-{name}.png"), full_page=True)


def serious_violations(page) -> list[dict]:
    if not AXE.exists():
        pytest.skip("axe-core is missing: make browser-deps installs it from the npm registry")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:3]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def log_in(page, server, make_user) -> None:
    user, password = make_user("admin")
    page.goto(f"{server}/login?lang=en")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/admin/")  # the admin home (app.homes)
    page.goto(f"{server}/admin/waves?lang=en")  # the steps below read the English interface


def test_an_administrator_runs_a_wave_from_draft_to_export(app, server, page, make_user):
    factories.agency("A1"), factories.agency("A2")
    db.session.commit()
    log_in(page, server, make_user)

    # A new questionnaire: a blank draft, broken, fixed, previewed, published.
    page.click("text=Questionnaires")
    page.fill("#slug", "flow-test")
    page.click("text=Create draft")
    source = page.input_value("#source")
    page.fill("#source", source.replace("type: scale", "type: scal"))
    page.click("text=Save draft")
    problems = page.locator("#problems")
    assert "type" in problems.inner_text() and "line" in problems.inner_text()
    assert page.locator("ol.listing li.bad").count() == 1
    shot(page, "1-draft-error")
    page.fill("#source", source)
    page.click("text=Save draft")
    assert page.locator("#problems").count() == 0
    page.click("text=Preview in Vietnamese")
    assert "Ông/Bà hài lòng với sự phục vụ ở mức nào?" in page.content()
    shot(page, "2-preview-vi")
    page.click(".preview-bar a[lang=en]")
    assert "How satisfied are you with the service?" in page.content()
    shot(page, "3-preview-en")
    page.click(".preview-bar >> text=Back")
    page.click("text=Publish (then it can no longer change)")
    page.click("text=Yes, publish")  # the confirmation step
    page.wait_for_load_state()
    assert "is published" in page.locator("main").inner_text()

    # A wave on it, opened.
    page.click("nav.admin-nav >> text=Waves")
    page.click("text=New wave")
    page.fill("#slug", "flow-2026")
    page.fill("#name_vi", "Đợt thử 2026")
    page.fill("#period_start", "2026-01-01")
    page.fill("#period_end", "2026-12-31")
    page.select_option("#survey_version", label=page.locator("#survey_version option", has_text="flow-test v1").inner_text())
    page.check("input[name=agencies][value=A1]")
    page.check("input[name=agencies][value=A2]")
    shot(page, "4-new-wave")
    page.click("button:has-text('Save')")
    page.click("text=Open the wave")
    assert "The wave is open" in page.content()
    shot(page, "5-wave-open")

    # Ten invitations as a printable sheet of QR codes.
    page.click("text=Issue invitations")
    page.select_option("#agency", "A1")
    page.fill("#count", "10")
    page.click("button:has-text('Issue')")
    assert page.locator("li.slip img").count() == 10
    shot(page, "6-qr-sheet")
    token = page.locator(".slip-url").first.inner_text().rsplit("/", 1)[1]

    # One is answered (through the API, as a collection app would).
    answered = page.request.post(f"{server}/api/v1/responses", data=json.dumps(
        {"invitation": token, "answers": {"overall": 2}, "language": "vi"}), headers={"Content-Type": "application/json"})
    assert answered.status == 201, answered.text()

    # Data cleaning: exclude it with a reason.
    page.goto(f"{server}/admin/waves/flow-2026/responses")
    page.click("table.data a")
    page.fill("#reason", "Test answer by the administrator")
    page.click("button:has-text('Exclude')")
    assert "Response excluded" in page.content()
    shot(page, "7-excluded")
    db.session.expire_all()
    assert db.session.query(Response).one().exclusion_reason == "Test answer by the administrator"

    # Export the wave.
    page.goto(f"{server}/admin/waves/flow-2026/export")
    shot(page, "8-export")
    with page.expect_download() as download:
        page.click("text=SPSS (.sav) with value labels")
    assert Path(download.value.path()).read_bytes()[:4] == b"$FL2"
    with page.expect_download() as download:
        page.click("text=CSV")
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0].startswith("response_id,agency,block,channel,language,submitted_on,weight,overall")
    assert len(lines) == 1  # the only response is excluded


def test_every_admin_page_has_no_serious_accessibility_violation(app, server, page, make_user):
    from app.models import SurveyVersion
    from tests.app.test_admin_pages import admin_pages

    wave = wave_with_responses(2)
    version = db.session.query(SurveyVersion).filter_by(slug="sipas-2017").one()
    other = db.session.query(SurveyVersion).filter_by(slug="sipas-2022").one()
    log_in(page, server, make_user)
    found = {}
    for url in admin_pages(wave, version, other, a_response(wave, "A1").id):
        if any(url.split("?")[0].endswith(end) for end in (".csv", ".xlsx", ".yaml", "/sav", "/xlsx", "/csv")):
            continue
        page.goto(server + url)
        violations = serious_violations(page)
        if violations:
            found[url] = violations
    page.goto(f"{server}/admin/waves/{wave.slug}/invitations")
    page.fill("#count", "2")
    page.click("button:has-text('Issue')")
    found.update({"sheet": v} for v in [serious_violations(page)] if v)
    assert not found, found
