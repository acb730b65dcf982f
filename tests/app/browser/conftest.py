"""Fixtures for tests over real HTTP and in a real browser (reusable by every team).

- ``live_server``: the test app served by werkzeug in a thread on 127.0.0.1 and a free port
  (same database as the ``app`` fixture); ``.url`` is its base address.
- ``browser``: Debian's chromium driven by Playwright (never a downloaded browser);
  ``mobile_page`` / ``mobile_page_no_js``: a 360×740 touch viewport with JavaScript on / off.
- ``axe_violations(page)``: axe-core from the npm registry injected into the page; returns the
  serious and critical violations. ``screenshot(page, name)`` saves tests/artifacts/NAME.png.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE = ROOT / "tests" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"]


@dataclass
class LiveServer:
    url: str
    app: Flask


@pytest.fixture
def live_server(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no chromium at {CHROMIUM} (make browser-deps installs Debian's)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


def _page(browser, javascript: bool):
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, java_script_enabled=javascript,
                                  locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


@pytest.fixture
def mobile_page(browser):
    context, page = _page(browser, javascript=True)
    yield page
    context.close()


@pytest.fixture
def mobile_page_no_js(browser):
    context, page = _page(browser, javascript=False)
    yield page
    context.close()


@pytest.fixture
def screenshot():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def axe_violations():
    if not AXE.exists():
        pytest.skip("axe-core is missing: make browser-deps installs it from the npm registry")

    def run(page, impacts=("serious", "critical")) -> list[dict]:
        # Injected through the DevTools protocol: the site's CSP (rightly) refuses inline scripts,
        # and this works with the page's own JavaScript switched off too.
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
                for v in result["violations"] if v["impact"] in impacts]

    return run
