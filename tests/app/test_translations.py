"""Every UI string has a Vietnamese translation; numbers are formatted the Vietnamese way."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}
METHODS = [("app/**.py", "python"), ("app/templates/**.html", "jinja2"), ("app/templates/**.txt", "jinja2")]


def source_messages() -> set[str]:
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(ROOT), METHODS, keywords=KEYWORDS):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_ui_string_is_translated_to_vietnamese_and_not_fuzzy():
    catalog = read_po((ROOT / "translations/vi/LC_MESSAGES/messages.po").open("rb"), locale="vi")
    translated = {}
    for message in catalog:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        text = message.string[0] if isinstance(message.string, tuple) else message.string
        translated[key] = (text, message.fuzzy)
    strings = source_messages()
    assert len(strings) > 30
    missing = sorted(s for s in strings if not translated.get(s, ("", False))[0])
    fuzzy = sorted(s for s in strings if translated.get(s, ("", False))[1])
    assert not missing, f"untranslated Vietnamese strings (run `make messages`): {missing[:10]}"
    assert not fuzzy, f"fuzzy Vietnamese strings: {fuzzy[:10]}"


def test_home_page_is_vietnamese_by_default_and_switches_to_english(client):
    assert "Các đợt khảo sát đang mở" in client.get("/").get_data(as_text=True)
    assert "Open surveys" in client.get("/?lang=en").get_data(as_text=True)
    assert "Open surveys" in client.get("/").get_data(as_text=True)  # the choice is remembered


def test_percentages_are_formatted_by_babel_per_language(app):
    from flask_babel import force_locale

    from app.i18n import percent

    with app.test_request_context():
        with force_locale("vi"):
            assert percent(0.954) == "95,4\u00a0%" or percent(0.954) == "95,4 %"
        with force_locale("en"):
            assert percent(0.954) == "95.4%"


def test_error_pages_exist_in_both_languages(client):
    vi = client.get("/no-such-page")
    assert vi.status_code == 404 and "Không tìm thấy trang" in vi.get_data(as_text=True)
    en = client.get("/no-such-page?lang=en")
    assert "Page not found" in en.get_data(as_text=True)


def test_the_english_catalog_holds_no_vietnamese():
    catalog = read_po((ROOT / "translations/en/LC_MESSAGES/messages.po").open("rb"), locale="en")
    vietnamese = set("ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ")
    leaked = [m.id for m in catalog if m.id and set(str(m.string).lower()) & vietnamese]
    assert not leaked, leaked[:5]


def test_wtforms_own_messages_are_in_the_vietnamese_catalog():
    """Forms read WTForms' built-in messages from this catalog (app/forms_i18n.py); messages built
    in services are checked on the pages themselves in test_messages_translated.py."""
    from wtforms.i18n import messages_path

    catalog = read_po((ROOT / "translations/vi/LC_MESSAGES/messages.po").open("rb"), locale="vi")
    translated = {(m.id if isinstance(m.id, str) else m.id[0]) for m in catalog
                  if m.id and (m.string if isinstance(m.string, str) else m.string[0])}
    wtforms = read_po(open(Path(messages_path()) / "wtforms.pot", "rb"))
    flask_wtf = {"File does not have an approved extension: {extensions}",
                 "File does not have an approved extension."}
    wanted = {(m.id if isinstance(m.id, str) else m.id[0]) for m in wtforms if m.id} | flask_wtf
    assert not sorted(wanted - translated)
