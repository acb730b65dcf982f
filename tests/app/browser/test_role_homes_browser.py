"""In a real browser with JavaScript off: desk staff land on paper entry; an administrator ticks
two comments and approves them with one button (the boxes belong to the bulk form through the
form attribute); the admin home and the comments page pass axe-core."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.collect import store
from app.extensions import db
from app.models import CommentReview
from app.programme.questionnaires import questionnaire_of
from tests import factories


def _log_in(page, server, make_user, role, agency=None) -> None:
    user, password = make_user(role, agency)
    page.goto(f"{server.url}/login?lang=en")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", password)
    page.click("form:has(input[name=password]) button[type=submit]")


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def test_desk_staff_land_on_paper_entry_without_javascript(live_server, mobile_page_no_js, make_user):
    wave = factories.wave(agency_list=[factories.agency("A1")])
    db.session.commit()
    _log_in(mobile_page_no_js, live_server, make_user, "entry", wave.agencies[0])
    mobile_page_no_js.wait_for_url(f"{live_server.url}/paper")
    assert mobile_page_no_js.locator("nav.role-nav a").all_inner_texts() == ["Paper entry"]
    assert mobile_page_no_js.locator(f"a[href='/paper/{wave.slug}']").count() == 1


def _comments(count: int):
    wave = factories.wave(agency_list=[factories.agency("A1")])
    answers = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    rows = [store.store(wave, wave.agencies[0], dict(answers, comments=f"Góp ý {i}"), channel="paper",
                            language="vi") for i in range(count)]
    db.session.commit()
    return wave, rows


def test_the_admin_home_the_comments_and_paper_pages_pass_axe(live_server, desktop, make_user, axe_violations):
    wave, _rows = _comments(2)
    _log_in(desktop, live_server, make_user, "admin")
    desktop.wait_for_url(f"{live_server.url}/admin/")
    for path in ("/admin/", f"/admin/waves/{wave.slug}/comments", "/paper?agency=A1"):
        desktop.goto(live_server.url + path)
        assert axe_violations(desktop) == [], path


def test_two_ticked_comments_are_approved_with_one_button_without_javascript(live_server, mobile_page_no_js,
                                                                             make_user):
    wave, rows = _comments(3)
    page = mobile_page_no_js
    _log_in(page, live_server, make_user, "admin")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/admin/waves/{wave.slug}/comments?lang=en")
    for row in rows[:2]:
        page.check(f"input[name=selected][value='{row.id}:comments']")
    page.click("#bulk button[value=approved]")
    page.wait_for_load_state()
    assert "2 comments approved." in page.content()
    db.session.expire_all()
    approved = set(db.session.scalars(select(CommentReview.response_id).where(CommentReview.status == "approved")))
    assert approved == {rows[0].id, rows[1].id}
