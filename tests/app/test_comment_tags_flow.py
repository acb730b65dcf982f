"""Comments read by factor, end to end on the real database: suggested labels on the moderation
page, the moderator's labels stored on approval (audited with labels only), uncertain-first
ordering, `flask comments train` / `tag`, and the themes officials see, suppressed below
MIN_GROUP_SIZE respondents with an approved comment."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from app.collect import store
from app.extensions import db
from app.models import AuditEvent, CommentModel, CommentReview, CommentTag
from app.programme.questionnaires import questionnaire_of
from app.review import comment_tags, comments, tag_model
from tests import factories

MIN = 3
A1_COMMENTS = ["Cán bộ đòi tiền cà phê mới làm", "can bo hach dich, gay phien ha", "Trả kết quả trễ hẹn 5 ngày",
               "Phòng chờ chật, phải xếp hàng lâu"]
A2_COMMENTS = ["Cán bộ nhũng nhiễu, đòi phong bì", "Thủ tục rườm rà", "Cảm ơn", "Tốt"]


@pytest.fixture
def app_config():
    return {"MIN_GROUP_SIZE": MIN}


@pytest.fixture
def stored(app):
    """Wave w1, units A1 and A2 with four respondents and a comment each."""
    wave = factories.wave(agency_list=[factories.agency("A1"), factories.agency("A2")])
    answers = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    rows = {}
    for agency, texts in zip(wave.agencies, (A1_COMMENTS, A2_COMMENTS)):
        rows[agency.code] = [store.store(wave, agency, dict(answers, comments=t), channel="paper", language="vi")
                             for t in texts]
    db.session.commit()
    return wave, rows


def tags() -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {}
    for response_id, label, source in db.session.execute(
            select(CommentReview.response_id, CommentTag.label, CommentTag.source)
            .join(CommentTag, CommentTag.comment_review_id == CommentReview.id)):
        out.setdefault(response_id, {})[label] = source
    return out


def ticked(page: str, response_id: int) -> set[str]:
    return set(re.findall(rf'form="c-{response_id}-comments" name="labels" value="(\w+)" checked', page))


def approve(client, wave, response, labels=None):
    data = {"response_id": response.id, "code": "comments", "status": "approved"}
    if labels is not None:
        data.update(labelled="1", labels=labels)
    return client.post(f"/admin/waves/{wave.slug}/comments", data=data)


def test_the_moderation_page_suggests_labels_and_the_moderator_corrects_them(client, login_as, stored):
    wave, rows = stored
    login_as("admin")
    page = client.get(f"/admin/waves/{wave.slug}/comments?lang=en").get_data(as_text=True)
    money, rude, late, room = rows["A1"]
    assert ticked(page, money.id) == {"civil_servants", "money"}
    assert ticked(page, rude.id) == {"civil_servants", "harassment"}  # typed without diacritics
    assert ticked(page, late.id) == {"results", "late"}
    assert ticked(page, room.id) == {"access"}
    assert "Uncertain first" not in page  # no model yet: rules only, and the page says so
    assert "no model is trained yet" in page

    assert approve(client, wave, room, ["access", "procedures"]).status_code == 302
    assert approve(client, wave, rows["A2"][2], []).status_code == 302  # checked: none
    assert tags() == {room.id: {"access": "moderator", "procedures": "moderator"},
                      rows["A2"][2].id: {"none": "moderator"}}
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "comment.tags")
                                .order_by(AuditEvent.id)).all()
    assert [e.after["labels"] for e in events] == [["access", "procedures"], []]
    assert "Phòng chờ" not in json.dumps([e.after for e in events] + [e.before for e in events], ensure_ascii=False)

    # an unknown label: refused, nothing approved
    approve(client, wave, money, ["money", "bribery"])
    assert db.session.scalar(select(CommentReview.status).where(CommentReview.response_id == money.id)) is None
    # approved comments show their stored labels and may be relabelled
    shown = client.get(f"/admin/waves/{wave.slug}/comments?status=approved").get_data(as_text=True)
    assert ticked(shown, room.id) == {"access", "procedures"}
    approve(client, wave, room, ["access"])
    assert tags()[room.id] == {"access": "moderator"}


def test_approving_without_labels_or_in_bulk_stores_the_suggestions(client, login_as, stored):
    wave, rows = stored
    login_as("admin")
    money, rude, late, _room = rows["A1"]
    approve(client, wave, money)
    client.post(f"/admin/waves/{wave.slug}/comments/bulk",
                data={"selected": [f"{rude.id}:comments", f"{late.id}:comments"], "status": "approved"})
    assert tags() == {money.id: {"civil_servants": "rule", "money": "rule"},
                      rude.id: {"civil_servants": "rule", "harassment": "rule"},
                      late.id: {"results": "rule", "late": "rule"}}


def test_train_and_tag_from_the_command_line(runner, stored, client, login_as):
    wave, rows = stored
    login_as("admin")
    approve(client, wave, rows["A1"][3], ["access"])
    for response in rows["A2"][:2]:
        approve(client, wave, response)
    result = runner.invoke(args=["comments", "train", "--wave", "w1", "--folds", "3"])
    assert result.exit_code == 0, result.output
    seed_size = len(comment_tags.read_examples(comment_tags.SEED)[0])
    assert f"{seed_size} seed + 1 moderator-labelled comments (wave w1)" in result.output
    model = db.session.scalar(select(CommentModel))
    f1 = model.summary["cross_validated"]["micro_f1"]
    assert f"3-fold cross-validation: micro-F1 {f1:.3f}" in result.output and f1 > 0.8
    assert re.search(r"^money\s+\d\.\d{3}\s+\d\.\d{3}\s+\d\.\d{3}\s+\d+$", result.output, re.M)
    json.dumps(model.params)  # plain JSON, no pickle
    # the stored parameters label like a model fitted afresh on the same examples
    texts, labels = comment_tags.read_examples(comment_tags.SEED)
    again = tag_model.Fitted(tag_model.fit(texts + [A1_COMMENTS[3]], labels + [{"access"}]))
    assert comment_tags.current_model().probabilities("Cán bộ đòi tiền") == pytest.approx(
        again.probabilities("Cán bộ đòi tiền"), abs=1e-4)

    result = runner.invoke(args=["comments", "tag", "--wave", "w1"])
    assert result.exit_code == 0, result.output
    assert "2 approved comment(s) tagged, 1 kept as the moderators labelled them" in result.output
    found = tags()
    assert found[rows["A1"][3].id] == {"access": "moderator"}
    assert {"civil_servants", "harassment", "money"} <= set(found[rows["A2"][0].id])
    assert "procedures" in found[rows["A2"][1].id]

    first = model.id
    for _ in range(3):  # only the newest three models are kept
        assert runner.invoke(args=["comments", "train", "--folds", "2"]).exit_code == 0
    assert db.session.scalars(select(CommentModel.id).order_by(CommentModel.id)).all() == [
        first + 1, first + 2, first + 3]

    bad = runner.invoke(args=["comments", "tag", "--wave", "nope"])
    assert bad.exit_code == 1 and "--wave: no wave 'nope'" in bad.output


def test_uncertain_first_puts_the_models_coin_tosses_first(client, login_as, stored):
    wave, rows = stored
    comment_tags.train(folds=2)
    db.session.commit()
    login_as("admin")
    fitted = comment_tags.current_model()
    pending = [r for unit in rows.values() for r in unit]
    doubt = {r.id: tag_model.uncertainty(fitted.probabilities(r.answers["comments"])) for r in pending}
    page = comments.browse(wave, "pending", 1, size=3, order="uncertain")
    assert page.total == 8
    assert sorted(doubt[item[0]] for item in page.items) == sorted(doubt.values())[:3]
    html = client.get(f"/admin/waves/{wave.slug}/comments?order=uncertain&lang=en").get_data(as_text=True)
    assert 'aria-current="page">Uncertain first' in html
    ids = [int(i) for i in re.findall(r'name="selected" value="(\d+):comments"', html)]
    assert sorted(ids) == sorted(doubt) and [doubt[i] for i in ids] == sorted(doubt.values())
    assert len(set(doubt.values())) > 3  # the order says something
    newest = client.get(f"/admin/waves/{wave.slug}/comments").get_data(as_text=True)
    assert [int(i) for i in re.findall(r'name="selected" value="(\d+):comments"', newest)] == sorted(
        (r.id for r in pending), reverse=True)


def test_officials_see_theme_counts_only_above_the_threshold(client, login_as, make_user, stored):
    wave, rows = stored
    login_as("admin")
    for response in rows["A1"]:  # four respondents with an approved comment: shown
        approve(client, wave, response)
    for response in rows["A2"][:2]:  # two (< MIN): hidden, though A2 has four respondents
        approve(client, wave, response)
    client.get("/logout")
    login_as("official")
    a1 = client.get("/dashboard/w1/agencies/A1?lang=en").get_data(as_text=True)
    section = a1.split('id="themes"')[1].split("</section>")[0]
    counts = dict(re.findall(r'<th scope="row">([^<]+)</th><td class="num">(\d+)</td>', section))
    assert counts == {"Access to the service": "1", "Administrative procedures": "0", "Civil servants": "2",
                      "Results": "1", "Handling of feedback and petitions": "0",
                      "Warning sign: Harassment": "1", "Warning sign: Demands for money": "1",
                      "Warning sign: Late results": "1", "Warning sign: Repeated visits": "0"}
    a2 = client.get("/dashboard/w1/agencies/A2?lang=en").get_data(as_text=True)
    section = a2.split('id="themes"')[1].split("</section>")[0]
    assert f"Fewer than {MIN} respondents with an approved comment: themes are not shown." in section
    assert "Demands for money" not in section and "<table" not in section

    table = client.get("/dashboard/w1/themes?lang=en").get_data(as_text=True)
    body = table.split("<tbody>")[1].split("</tbody>")[0]
    a1_row, a2_row = body.split("</tr>")[:2]
    assert re.findall(r'<td class="num">(\d+)</td>', a1_row) == ["4", "1", "0", "2", "1", "0", "1", "1", "1", "0"]
    assert re.findall(r'<td class="num">(\d+)</td>', a2_row) == ["2"]  # the number of comments only
    assert f"Fewer than {MIN} respondents with an approved comment: not shown." in a2_row
    assert "nhũng nhiễu" not in table and "phong bì" not in table  # never a comment's text

    client.get("/logout")
    user, password = make_user("agency", agency=wave.agencies[1])
    client.post("/login", data={"email": user.email, "password": password})
    own = client.get("/dashboard/w1/themes")
    assert own.status_code == 302 and own.headers["Location"].endswith("/dashboard/w1/agencies/A2#themes")


def test_labels_are_saved_only_with_the_forms_csrf_token(app, client, login_as, stored):
    wave, rows = stored
    login_as("admin")
    app.config["WTF_CSRF_ENABLED"] = True  # read per request by Flask-WTF
    room = rows["A1"][3]
    data = {"response_id": room.id, "code": "comments", "status": "approved", "labelled": "1", "labels": ["access"]}
    assert client.post(f"/admin/waves/{wave.slug}/comments", data=data).status_code == 400
    assert tags() == {}
    page = client.get(f"/admin/waves/{wave.slug}/comments").get_data(as_text=True)
    form = page.split(f'id="c-{room.id}-comments"')[1].split("</form>")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    assert client.post(f"/admin/waves/{wave.slug}/comments", data=dict(data, csrf_token=token)).status_code == 302
    assert tags() == {room.id: {"access": "moderator"}}
