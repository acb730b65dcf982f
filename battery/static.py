"""Item 8: bandit on the code and pip-audit on the installed dependencies, 0 unwaived findings.
Waivers are `# nosec` comments with their reason beside them, and WAIVED_VULNERABILITIES below."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WAIVED_VULNERABILITIES: dict[str, str] = {}


def run() -> dict:
    bandit = subprocess.run([str(BIN / "bandit"), "-q", "-r", "app", "analysis", "survey_definitions",
                             "-f", "json", "--severity-level", "low"], cwd=ROOT, capture_output=True, text=True)
    findings = json.loads(bandit.stdout or "{}").get("results", [])
    audit = subprocess.run([str(BIN / "pip-audit"), "--format", "json", "--skip-editable", "--progress-spinner",
                            "off"], cwd=ROOT, capture_output=True, text=True)
    try:
        deps = json.loads(audit.stdout).get("dependencies", [])
        vulns = [f"{d['name']} {d['version']}: {v['id']}" for d in deps for v in d.get("vulns", [])
                 if v["id"] not in WAIVED_VULNERABILITIES]
        audit_ok = True
    except ValueError:
        vulns, audit_ok = [f"pip-audit could not run: {audit.stderr.strip()[-300:]}"], False
    return {"figure": "static", "bandit_findings": [f"{f['filename']}:{f['line_number']} {f['test_id']} "
                                                    f"{f['issue_text']}" for f in findings],
            "pip_audit_vulnerabilities": vulns, "ok": not findings and not vulns and audit_ok}
