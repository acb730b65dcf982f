"""Messages built in forms and services reach the Vietnamese interface in Vietnamese.

Two guards: administrator pages driven with bad input in Vietnamese must show no English
message of the catalog, and a scan of app/ finds no user-facing message (flash, ValidationError,
a service's error) that is a bare literal instead of going through gettext.
"""
from __future__ import annotations

import ast
import io
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app.extensions import db
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
WRAPPERS = {"_", "_l", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext"}
# Error classes whose text reaches a page (their first argument is the field when there are two).
SHOWN_ERRORS = {"Refusal", "RowError", "ValidationError", "StopValidation"}
# Variables that hold a message on its way to one of them.
MESSAGE_NAMES = {"message", "error", "problem", "reason"}
# Folders whose messages are shown to people; CLI-only and start-up errors stay English.
SCANNED = ("app/shared", "app/accounts", "app/programme", "app/collect", "app/results", "app/review",
           "app/reports", "app/homes.py")
# The JSON API answers in English (its contract, ../shared/DESIGN.md); these build only its messages.
API_ONLY = ("app/collect/api_intake.py", "app/accounts/tokens.py")
API_LINE = "# the API's message"  # a line of a shared module whose text only the API shows


def _name(func) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _bare_text(node) -> bool:
    """A literal sentence (or an f-string / concatenation with one) not passed through gettext."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return " " in node.value.strip()
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.Constant) and " " in v.value for v in node.values)
    if isinstance(node, ast.BinOp):
        return _bare_text(node.left) or _bare_text(node.right)
    if isinstance(node, ast.IfExp):
        return _bare_text(node.body) or _bare_text(node.orelse)
    return False


def untranslated_messages(folders=SCANNED) -> list[str]:
    found = []
    for folder in folders:
        paths = [ROOT / folder] if folder.endswith(".py") else sorted((ROOT / folder).rglob("*.py"))
        for path in paths:
            if str(path.relative_to(ROOT)) in API_ONLY:
                continue
            source = path.read_text()
            lines = source.splitlines()
            for node in ast.walk(ast.parse(source)):
                if not isinstance(node, (ast.Call, ast.Assign)) or API_LINE in "".join(lines[node.lineno - 1:node.end_lineno]):
                    continue
                name = _name(node.func) if isinstance(node, ast.Call) else None
                if isinstance(node, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id in MESSAGE_NAMES for t in node.targets):
                    if _bare_text(node.value):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node.value)[:80]}")
                    continue
                if name == "flash" and node.args:
                    shown = [node.args[0]]
                elif name == "Refusal":  # Refusal(field, message, status)
                    shown = node.args[1:2] + [k.value for k in node.keywords if k.arg == "message"]
                elif name in SHOWN_ERRORS:
                    shown = node.args[-1:] + [k.value for k in node.keywords if k.arg == "message"]
                else:
                    continue
                found += [f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(a)[:80]}"
                          for a in shown if _bare_text(a)]
    return found


def test_every_message_flashed_or_raised_for_a_page_goes_through_gettext():
    found = untranslated_messages()
    assert not found, "wrap these in _() or _l():\n" + "\n".join(found)


def english_catalog_sentences() -> set[str]:
    """The msgids of the Vietnamese catalog that are whole English sentences, with the
    placeholders cut out: none of them may appear on a Vietnamese page."""
    catalog = read_po((ROOT / "translations/vi/LC_MESSAGES/messages.po").open("rb"), locale="vi")
    pieces = set()
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for text in ids:
            for piece in re.split(r"%\(\w+\)\w|\{\w+\}", text or ""):
                if len(piece.split()) >= 4:
                    pieces.add(piece.strip())
    return pieces


def assert_vietnamese(html: str) -> None:
    leaked = sorted(p for p in english_catalog_sentences() if p in html)
    assert not leaked, f"English messages on a Vietnamese page: {leaked[:5]}"


@pytest.fixture
def wave(app):
    item = factories.wave()
    db.session.commit()
    return item


def test_wtforms_messages_are_vietnamese(client, login_as):
    login_as("admin")
    bad = {"code": "", "name_vi": "Sở Y tế", "block": "departments", "level": "12", "valid_from": "32/13/2025"}
    page = client.post("/admin/agencies/new", data=bad)
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert "Lựa chọn không hợp lệ." in html and "Trường này là bắt buộc." in html
    assert "Ngày không hợp lệ." in html
    assert_vietnamese(html)
    english = client.post("/admin/agencies/new?lang=en", data=bad).get_data(as_text=True)
    assert "Not a valid choice." in english and "This field is required." in english


def test_frame_count_and_margin_errors_are_vietnamese(client, login_as):
    login_as("admin")
    wave = factories.wave(agency_list=[factories.agency("A1"), factories.agency("A2")])
    db.session.commit()
    bad = "agency,stratum,transactions\nA1,land,100\nZZ,land,5\nA1,land,7\nA2,,abc\nA2,x,-3\n"
    page = client.post(f"/admin/waves/{wave.slug}/frame", data={"file": (io.BytesIO(bad.encode()), "f.csv")},
                       content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    for text in ("không phải là cơ quan của đợt", "cơ quan và tầng này xuất hiện hai lần",
                 "cần số hồ sơ là số nguyên (từ 0 trở lên), ví dụ 3.500", "số hồ sơ không được âm"):
        assert text in html
    assert_vietnamese(html)
    margins = "variable,category,total\nagency,A1,600\nagency,A2,400\ngender,1,500\ngender,9,400\n"
    html = client.post(f"/admin/waves/{wave.slug}/margins", data={"margins": margins}).get_data(as_text=True)
    assert "không phải là một nhóm của gender" in html
    assert_vietnamese(html)


def test_invitation_service_errors_are_vietnamese(client, login_as):
    login_as("admin")
    wave = factories.wave(agency_list=[factories.agency("A1")])
    wave.channels = ["kiosk"]
    db.session.commit()
    page = client.post(f"/admin/waves/{wave.slug}/invitations", data={"agency": "A1", "count": "3", "output": "csv"})
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and f"đợt {wave.slug} không thu phiếu qua đường liên kết" in html
    assert_vietnamese(html)


def test_account_errors_are_vietnamese(client, login_as):
    login_as("admin")
    short = client.post("/admin/accounts/new", data={"email": "a@example.org", "role": "official",
                                                     "password": "short"})
    html = short.get_data(as_text=True)
    assert short.status_code == 400 and "Mật khẩu" in html
    assert_vietnamese(html)
    orphan = client.post("/admin/accounts/new", data={"email": "b@example.org", "role": "agency",
                                                      "password": "Long-enough-1-horse"})
    html = orphan.get_data(as_text=True)
    assert orphan.status_code == 400 and "cần chọn cơ quan" in html
    assert_vietnamese(html)


def test_the_command_line_keeps_english_diagnostics(app):
    from app.collect import invitations
    from app.shared.refusal import Refusal

    wave = factories.wave(agency_list=[factories.agency("A1")])
    wave.channels = ["kiosk"]
    db.session.commit()
    with pytest.raises(Refusal, match="does not collect answers by link"):
        invitations.issue(wave, wave.agencies[0], 1)


def test_xlsform_import_problems_are_vietnamese(client, login_as):
    from openpyxl import Workbook

    login_as("admin")
    book = Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(["type", "name", "label::Vietnamese (vi)", "label::English (en)", "relevant"])
    survey.append(["geopoint", "where", "Ở đâu", "Where", ""])
    survey.append(["integer", "n", "Số", "Number", "${n} > 3"])
    survey.append(["select_one nolist", "q", "Câu hỏi", "Question", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    page = client.post("/admin/questionnaires/import", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(buffer.getvalue()), "f.xlsx"), "slug": ""})
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    for text in ("không hỗ trợ loại câu hỏi", "không đọc được biểu thức gần", "không có danh sách",
                 "thiếu form_id"):
        assert text in html
    assert_vietnamese(html)


def test_every_xlsform_sentence_of_survey_definitions_has_a_pattern():
    """A new English diagnostic in the XLSForm reader must be added to app/programme/xls_messages.py."""
    from app.programme.xls_messages import PATTERNS

    sources = [ROOT / "survey_definitions" / name for name in ("xlsform.py", "xlsform_relevant.py")]
    calls = 0
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and _name(node.func) in ("problem", "RelevantError", "XlsProblem"):
                message = node.args[-1] if _name(node.func) != "problem" else node.args[3]
                if isinstance(message, (ast.Constant, ast.JoinedStr)):
                    calls += 1
                    sample = _sample(message)
                    assert any(p.fullmatch(sample) for p, _ in PATTERNS), f"{path.name}:{node.lineno}: {sample}"
    assert calls >= 15


def _sample(node) -> str:
    """The sentence with every placeholder filled by a plausible value."""
    if isinstance(node, ast.Constant):
        return node.value
    return "".join(v.value if isinstance(v, ast.Constant) else "x" for v in node.values)
