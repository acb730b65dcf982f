"""Item 4: XSS payloads in every author-writable field, rendered in headless Chromium
(tests/app/browser/test_xss.py) → 0 executed and 0 unescaped."""
from __future__ import annotations

import re
import subprocess
import sys

from battery.harness import ROOT


def run() -> dict:
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
                           "tests/app/browser/test_xss.py"], cwd=ROOT, capture_output=True, text=True)
    match = re.search(r"XSS: payloads=(\d+) pages=(\d+) executed=(\d+) unescaped=(\d+)", done.stdout)
    if not match:
        return {"figure": "xss", "ok": False, "error": done.stdout[-500:]}
    payloads, pages, executed, unescaped = map(int, match.groups())
    return {"figure": "xss", "payloads": payloads, "pages": pages, "executed": executed, "unescaped": unescaped,
            "ok": done.returncode == 0 and executed == 0 and unescaped == 0}
