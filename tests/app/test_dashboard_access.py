"""Who may open which dashboard page: the role × route matrix, bad input, publishing."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Agency, CommentReview, Response
from tests import factories

ROUTES = ["/dashboard/", "/dashboard/demo", "/dashboard/demo/agencies/SNV", "/dashboard/demo/agencies/STP",
          "/dashboard/trends", "/dashboard/demo/methodology", "/dashboard/demo/report.xlsx",
          "/dashboard/demo/estimates.csv", "/dashboard/demo/print"]
# role → expected status per route (SNV is the agency head's own agency).
EXPECTED = {
    None: [302] * 9,
    "admin": [200] * 9,
    "official": [200] * 9,
    "agency": [200, 302, 200, 403, 403, 200, 403, 403, 403],
}


@pytest.fixture
def demo(app):
    return factories.demo_wave(responses=500)


@pytest.mark.parametrize("role", [None, "admin", "official", "agency"])
def test_role_route_matrix(demo, client, login_as, role):
    if role:
        login_as(role, db.session.query(Agency).filter_by(code="SNV").one() if role == "agency" else None)
    got = [client.get(url).status_code for url in ROUTES]
    assert got == EXPECTED[role]


def test_agency_head_is_sent_to_their_own_page_and_sees_no_other_agency(demo, client, login_as):
    login_as("agency", db.session.query(Agency).filter_by(code="SNV").one())
    response = client.get("/dashboard/demo")
    assert response.headers["Location"].endswith("/dashboard/demo/agencies/SNV")
    html = client.get("/dashboard/demo/agencies/SNV").get_data(as_text=True)
    assert "Sở Nội vụ" in html and "Sở Tư pháp" not in html


def test_bad_filters_and_unknown_things_are_4xx(demo, client, login_as):
    login_as("official")
    assert client.get("/dashboard/demo?channel=fax").status_code == 400
    assert client.get("/dashboard/demo?block=nowhere").status_code == 400
    assert client.get("/dashboard/demo?service_field=abc").status_code == 400
    assert client.get("/dashboard/nope").status_code == 404
    assert client.get("/dashboard/demo/agencies/NOPE").status_code == 404


def test_only_approved_comments_appear_and_never_for_small_groups(demo, client, login_as, app):
    login_as("official")
    snv = db.session.query(Agency).filter_by(code="SNV").one()
    responses = db.session.query(Response).filter_by(agency_id=snv.id).limit(2).all()
    for response, status, text in zip(responses, ("approved", "pending"), ("Approved remark", "Pending remark")):
        response.answers = dict(response.answers, comments=text)
        db.session.add(CommentReview(response_id=response.id, question_code="comments", status=status))
    demo.data_version += 1
    db.session.commit()
    html = client.get("/dashboard/demo/agencies/SNV").get_data(as_text=True)
    assert "Approved remark" in html and "Pending remark" not in html
    app.config["MIN_GROUP_SIZE"] = 100_000
    demo.data_version += 1
    db.session.commit()
    html = client.get("/dashboard/demo/agencies/SNV").get_data(as_text=True)
    assert "Approved remark" not in html


def test_an_agency_sees_approved_comments_never_in_order_of_arrival(demo, client, login_as):
    snv = db.session.query(Agency).filter_by(code="SNV").one()
    older, newer = db.session.query(Response).filter_by(agency_id=snv.id).order_by(Response.id).limit(2).all()
    for response, text in ((older, "Alpha remark"), (newer, "Zeta remark, the newest")):
        response.answers = dict(response.answers, comments=text)
        db.session.add(CommentReview(response_id=response.id, question_code="comments", status="approved"))
    demo.data_version += 1
    db.session.commit()
    login_as("agency", snv)
    html = client.get("/dashboard/demo/agencies/SNV").get_data(as_text=True)
    # the newest comment is not the first one: it cannot be tied to the last citizen at the desk
    assert html.index("Alpha remark") < html.index("Zeta remark, the newest")


def test_publishing_needs_an_admin_and_a_closed_wave(demo, client, login_as):
    assert client.get("/results/demo").status_code == 404
    login_as("admin")
    client.post("/dashboard/demo/publish", data={"public": "1"})
    assert client.get("/results/demo").status_code == 404  # still open: refused
    demo.status = "closed"
    db.session.commit()
    client.post("/dashboard/demo/publish", data={"public": "1"})
    client.post("/logout")
    page = client.get("/results/demo")
    assert page.status_code == 200 and "/dashboard/demo/agencies" not in page.get_data(as_text=True)


def test_official_cannot_publish(demo, client, login_as):
    login_as("official")
    assert client.post("/dashboard/demo/publish", data={"public": "1"}).status_code == 403


def test_excel_report_has_one_sheet_per_table(demo, client, login_as):
    from io import BytesIO

    from openpyxl import load_workbook

    login_as("official")
    response = client.get("/dashboard/demo/report.xlsx?lang=en")
    book = load_workbook(BytesIO(response.data))
    assert {"Indices", "Criteria", "Timeliness", "Expectations"} <= set(book.sheetnames)
    assert sum(name.startswith("Ranking") for name in book.sheetnames) == 3


def test_methodology_states_the_wave_settings(demo, client, login_as):
    login_as("official")
    demo.settings = {"ci": "wilson", "level": 0.9}
    db.session.commit()
    html = client.get("/dashboard/demo/methodology?lang=en").get_data(as_text=True)
    assert "Wilson" in html and "90%" in html and "mean:" in html
