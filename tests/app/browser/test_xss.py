"""XSS: payloads in every author-writable field, rendered on every page that shows them, in Chromium.

Two figures: payloads executed (a dialog, or the `window.__xss` marker set) and payloads found
unescaped in the HTML the server sent. Both must be 0. `make battery` prints them.
"""
from __future__ import annotations

import copy
import itertools

import pytest
import yaml

from app.accounts import users
from app.collect import invitations, store
from app.extensions import db
from app.models import Agency, CommentReview, Wave
from app.programme import questionnaires
from app.programme.questionnaires import questionnaire_of
from tests import factories

pytestmark = pytest.mark.browser

VECTORS = [
    "<script>window.__xss=1</script>", "<img src=x onerror=window.__xss=1>", "<svg onload=window.__xss=1>",
    "<iframe src=\"javascript:window.__xss=1\"></iframe>", "<a href=\"javascript:window.__xss=1\">x</a>",
    "<body onload=window.__xss=1>", "<details open ontoggle=window.__xss=1>", "<input autofocus onfocus=window.__xss=1>",
    "</script><script>window.__xss=1</script>", "<math><mtext><img src=x onerror=window.__xss=1>",
    "<object data=\"javascript:window.__xss=1\"></object>", "<b onmouseover=window.__xss=1>b</b>",
]
CONTEXTS = ["", "\">", "'>", "</title>", "</textarea>"]
PAYLOADS = [c + v for c, v in itertools.product(CONTEXTS, VECTORS)]  # 60


def _questionnaire_with(payloads: list[str]):
    base = factories.published()
    definition = copy.deepcopy(base.definition)
    definition["id"], definition["version"] = "xss-check", 1
    questions = [q for s in definition["sections"] for q in s["questions"]]
    for question, payload in zip(questions, itertools.cycle(payloads), strict=False):
        question["text"] = {"vi": payload, "en": payload}
    definition["title"] = {"vi": payloads[0], "en": payloads[1]}
    version, _ = questionnaires.publish_source(yaml.safe_dump(definition, allow_unicode=True), "xss-check.v1.yaml")
    return version


def _seed():
    agencies = [factories.agency(f"X{i:02d}", name=payload) for i, payload in enumerate(PAYLOADS)]
    wave = factories.wave("xss", agency_list=agencies)
    wave.name_vi = wave.name_en = PAYLOADS[3]
    answers = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    for agency, payload in zip(agencies[:6], PAYLOADS, strict=False):
        for _ in range(12):
            stored = store.store(wave, agency, dict(answers, comments=payload), channel="paper", language="vi")
            db.session.add(CommentReview(response_id=stored.id, question_code="comments", status="approved"))
    for i, payload in enumerate(PAYLOADS[:10]):
        users.create_user(f"xss{i}@example.org", "official", "Correct-horse-42", name=payload)
    version = _questionnaire_with(PAYLOADS)
    other = Wave(slug="xss-form", name_vi=PAYLOADS[5], name_en=PAYLOADS[6], survey_version=version,
                 period_start=wave.period_start, period_end=wave.period_end, status="open", channels=["link"],
                 settings={})
    other.agencies = agencies[:1]
    db.session.add(other)
    db.session.flush()
    token = invitations.issue(other, agencies[0], 1)[0].token
    db.session.commit()
    return wave, version, token


def test_no_payload_executes_or_appears_unescaped(app, live_server, browser, make_user):
    wave, version, token = _seed()
    admin, password = make_user("admin")
    context = browser.new_context()
    page = context.new_page()
    executed: list[str] = []
    page.on("dialog", lambda dialog: (executed.append(dialog.message), dialog.dismiss()))
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=email]", admin.email)
    page.fill("input[name=password]", password)
    page.click("form.login button[type=submit]")
    agency_codes = [a.code for a in db.session.query(Agency).order_by(Agency.code).limit(6)]
    pages = ["/admin/agencies", "/admin/accounts", "/admin/questionnaires", f"/admin/questionnaires/{version.id}",
             f"/admin/questionnaires/{version.id}/preview", f"/admin/questionnaires/{version.id}/preview?lang=en",
             "/admin/waves", "/admin/waves/xss", "/admin/waves/xss/comments?status=approved", "/dashboard/",
             "/dashboard/xss", "/dashboard/xss/methodology", "/dashboard/xss/print", "/dashboard/trends",
             *[f"/dashboard/xss/agencies/{code}" for code in agency_codes], "/"]
    unescaped: dict[str, int] = {}
    for path in pages:
        response = page.goto(live_server.url + path)
        assert response.status < 400, path
        html = response.text()
        found = sum(1 for p in PAYLOADS if p in html)
        if found:
            unescaped[path] = found
        page.wait_for_timeout(50)
        if page.evaluate("window.__xss === 1"):
            executed.append(path)
    # The citizen's form with payloads as question texts.
    citizen = browser.new_page()
    citizen.on("dialog", lambda dialog: (executed.append(dialog.message), dialog.dismiss()))
    response = citizen.goto(f"{live_server.url}/s/{token}")
    html = citizen.content()
    if citizen.evaluate("window.__xss === 1"):
        executed.append("/s/")
    unescaped_form = sum(1 for p in PAYLOADS if p in (response.text() if response else "") )
    print(f"XSS: payloads={len(PAYLOADS)} pages={len(pages) + 1} executed={len(executed)} "
          f"unescaped={sum(unescaped.values()) + unescaped_form}")
    assert "window.__xss" in html or "&lt;" in html  # the form really shows the payload texts, escaped
    assert executed == []
    assert unescaped == {} and unescaped_form == 0
    context.close()
