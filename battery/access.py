"""Item 5: the role × route × object matrices of the test suite (admin, dashboard, API, citizens)
run as one figure: every (role, route, object) combination answers as its rule says."""
from __future__ import annotations

import re
import subprocess
import sys

from battery.harness import ROOT

MATRIX_TESTS = ["role_route_matrix", "another_agencys_data", "cannot_use_any_admin_page",
                "cannot_use_admin_only_pages", "sees_no_other_agency", "sees_no_wave_outside",
                "key_for_one_agency", "cannot_moderate", "wrong_roles_get_403", "staff_cannot_key_in",
                # issue 12 (items 3, 4, 18): separation of duties and what an agency account may read
                "cannot_create_a_response_a_key", "sees_no_individual_response", "cannot_key_in_paper",
                "own_agencys_rows", "outside_its_scope", "draft_questionnaire", "non_draft_waves",
                "only_administrators_create"]


def run() -> dict:
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/app",
                           "-k", " or ".join(MATRIX_TESTS)], cwd=ROOT, capture_output=True, text=True)
    passed = int((re.search(r"(\d+) passed", done.stdout) or [0, 0])[1])
    failed = int((re.search(r"(\d+) failed", done.stdout) or [0, 0])[1])
    return {"figure": "access", "matrix_tests": passed + failed, "mismatches": failed,
            "ok": done.returncode == 0 and failed == 0 and passed > 0}
