"""Issue 17 end to end on a 360 px phone: a citizen answers the questionnaire and asks for an
answer (the optional last step), keeps the status link, the unit answers (service.answer), and the
citizen reads the answer at the link and says whether it satisfied them. Every page passes axe."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.cases import service
from app.extensions import db
from app.models.case import CaseContact, FeedbackCase
from tests.app.browser.test_public_browser import fill_visible, issue_link
from tests.app.browser.test_public_browser import wave as wave  # noqa: F401 - the same one-agency wave

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ADDRESS = "0987 654 321"
REQUEST = "Tôi nộp hồ sơ đã ba tuần mà chưa có kết quả. Xin cho biết khi nào?"
ANSWER = "Hồ sơ của Ông/Bà đã có kết quả, mời nhận tại bộ phận một cửa từ ngày 5/12."


def check(page, axe_violations, width: int = 360):
    assert axe_violations(page) == [], page.url
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url  # no sideways scrolling


def test_a_citizen_on_a_phone_asks_reads_the_answer_and_rates_it(live_server, wave, mobile_page, axe_violations,
                                                                screenshot, make_user):
    page = mobile_page
    page.goto(issue_link(live_server, wave))
    for _ in range(20):
        if page.locator("#fu-want").count():
            break
        fill_visible(page)
        fill_visible(page)  # (a question revealed by an answer on the same page)
        page.click("button[value=next]")
    assert page.locator("h1").inner_text() == "Ông/Bà có muốn được trả lời không?"
    assert "Tôi muốn được trả lời về việc này" in page.content()
    check(page, axe_violations)
    screenshot(page, "case-ask")

    # Ticked but nothing else: each error next to its field, summarised with links at the top.
    page.check("#fu-want")
    page.click("button[value=next]")
    assert page.locator(".error-summary").is_visible()
    for field in ("text", "channel", "address", "consent"):
        assert page.locator(f"#e-fu-{field}").is_visible(), field
    page.click(".error-summary a[href='#fu-text']")
    check(page, axe_violations)
    screenshot(page, "case-ask-errors")

    page.fill("#fu-text", REQUEST)
    page.check("#fu-channel-zalo")
    page.fill("#fu-address", ADDRESS)
    page.check("#fu-consent")
    page.click("button[value=next]")
    assert "/answer/thanks" in page.url
    link = page.locator(".status-link a").get_attribute("href")
    assert re.fullmatch(r"http://localhost/c/[A-Za-z0-9_-]{30,}", link)
    check(page, axe_violations)
    screenshot(page, "case-thanks")

    case = db.session.scalars(select(FeedbackCase)).one()
    assert case.text == REQUEST and db.session.get(CaseContact, case.id).channel == "zalo"
    status = link.replace("http://localhost", live_server.url)
    page.goto(status)
    assert page.locator("#case-state").inner_text() == "Đã tiếp nhận: đang chờ đơn vị xử lý"
    assert "Hạn trả lời" in page.content() and ADDRESS not in page.content() and "0987654321" not in page.content()
    check(page, axe_violations)

    # The unit answers (as its staff would in the browser: the same service call).
    unit = make_user("agency", wave.agencies[0])[0]
    service.answer(db.session.get(FeedbackCase, case.id), ANSWER, unit)
    db.session.commit()

    page.goto(status)
    assert page.locator("#case-answer").inner_text() == ANSWER
    assert page.locator("#case-state").inner_text() == "Đơn vị đã trả lời"
    check(page, axe_violations)
    screenshot(page, "case-answered")
    page.check("#f-satisfied")  # "Có": the handling satisfied me
    page.click("form[action$='/rate'] button[type=submit]")
    assert page.locator("#rated").inner_text() == "Cảm ơn Ông/Bà: Ông/Bà cho biết hài lòng với việc xử lý."
    assert page.locator("input[name=satisfied]").count() == 0  # once
    check(page, axe_violations)
    screenshot(page, "case-rated")
    db.session.expire_all()
    assert db.session.get(FeedbackCase, case.id).satisfied is True

    page.goto(f"{live_server.url}/c/not-a-token")
    assert page.locator("h1").inner_text() == "Không thể sử dụng đường dẫn này"
    check(page, axe_violations)
