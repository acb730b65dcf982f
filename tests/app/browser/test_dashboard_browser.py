"""The dashboard in headless Chromium: charts drawn under the CSP, screenshots, axe scan."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app.extensions import db
from tests import factories

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[3]
AXE = ROOT / "tests" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "tests" / "artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]


@pytest.fixture
def server(app):
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("needs Debian's chromium (make browser-deps)")
    factories.demo_wave(responses=900)
    db.session.remove()
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()


@pytest.fixture
def page(server, make_user, browser):
    user, password = make_user("official")
    email = user.email
    db.session.remove()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.errors, page.console_problems = [], []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.on("console", lambda m: page.console_problems.append(m.text) if m.type in ("error", "warning") else None)
        page.goto(f"{server}/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        yield page
    finally:
        context.close()


def serious_violations(page) -> list:
    # Evaluated through the DevTools protocol: the page's CSP (rightly) refuses an injected <script>.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document)")
    return [(v["id"], v["help"], len(v["nodes"])) for v in result["violations"]
            if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("width", [1280, 360])
def test_dashboard_and_agency_page_draw_their_charts_and_pass_axe(server, page, width):
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})
    for name, path in (("dashboard", "/dashboard/demo"), ("agency", "/dashboard/demo/agencies/SNV")):
        page.goto(server + path)
        page.wait_for_selector(".chart .main-svg", timeout=20_000)
        charts = page.locator(".chart").count()
        drawn = page.locator(".chart .main-svg").count()
        assert charts >= 2 and drawn >= charts, (name, charts, drawn)
        assert page.locator("table.data").count() >= charts
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
        if AXE.exists():
            assert serious_violations(page) == [], name
    assert page.errors == []
    # Nothing refused by the Content-Security-Policy (plotly.js is vendored, its styles included).
    assert [m for m in page.console_problems if "Content Security Policy" in m or "Refused" in m] == []
