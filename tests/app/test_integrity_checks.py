"""Each integrity check on controlled signals: what is flagged, with which detail, and what is not."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from app.collect import invitations, store
from app.extensions import db
from app.models import Invitation, ResponseSignal
from app.programme.questionnaires import questionnaire_of
from app.review.integrity import response_reasons
from app.review.integrity_review import unit_flags
from tests import factories


@pytest.fixture
def wave(app):
    item = factories.wave(agency_list=[factories.agency("A1"), factories.agency("A2"), factories.agency("A3")])
    db.session.commit()
    return item


def points(wave):
    q = questionnaire_of(wave.survey_version)
    return {x.code: sorted(c.value for c in q.scales[x.scale].points)
            for x in q.questions if x.type == "scale" and not x.show_if and x.scale == "satisfaction"} or {
        x.code: sorted(c.value for c in q.scales[x.scale].points) for x in q.questions if x.type == "scale"}


def put(wave, agency, answers, *, channel="online", at=None, duration=None, source=None, address=None):
    response = store.store(wave, agency, answers, channel=channel, language="vi",
                           signal=store.Signal(source, None))
    values = {"submitted_at": at or datetime(2026, 12, 2, 3, 0), "duration_seconds": duration,
              "address": address}
    db.session.execute(update(ResponseSignal).where(ResponseSignal.response_id == response.id).values(**values))
    return response.id


def varied(wave, k):
    answers = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    for i, (code, scale) in enumerate(points(wave).items()):
        answers[code] = scale[(i + k) % len(scale)]
    return answers


def test_speeders_patterns_and_duplicate_comments(wave):
    a1 = wave.agencies[0]
    top = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    normal = [put(wave, a1, varied(wave, k), duration=300 + k, address=f"a{k}") for k in range(25)]
    honest_top = put(wave, a1, top, duration=280, address="x1")  # all at the top, alone: not flagged
    fast = put(wave, a1, varied(wave, 3), duration=40, address="x2")
    fast_top = put(wave, a1, top, duration=30, address="x3")  # all-top and fast: both reasons
    middle = dict(top)
    for code, scale in points(wave).items():
        middle[code] = scale[len(scale) // 2]
    lined = put(wave, a1, middle, duration=290, address="x4")  # the same middle answer everywhere
    comment = "Cán bộ một cửa hướng dẫn rất tận tình, chu đáo!"
    twin1 = put(wave, a1, dict(varied(wave, 1), comments=comment), duration=310, address="x5")
    twin2 = put(wave, a1, dict(varied(wave, 2), comments="cán bộ MỘT CỬA hướng dẫn rất tận tình chu đáo"),
                duration=305, address="x6")
    put(wave, a1, dict(varied(wave, 4), comments="tốt"), duration=300, address="x7")
    put(wave, a1, dict(varied(wave, 5), comments="tốt"), duration=300, address="x8")  # short: honest repeats
    stock = [put(wave, a1, dict(varied(wave, 6 + k), comments="Cán bộ nhiệt tình, chu đáo."), duration=300,
                 address=f"s{k}") for k in range(3)]  # a stock phrase, honestly repeated
    fours = dict(top)
    for i, (code, scale) in enumerate(points(wave).items()):
        fours[code] = scale[-1] if i % 5 == 0 else scale[-2]  # satisfied, with little variation: honest
    mostly_four = put(wave, a1, fours, duration=300, address="x9")
    db.session.commit()
    found = response_reasons(wave)
    assert honest_top not in found and not set(normal) & set(found)
    assert not set(stock) & set(found) and mostly_four not in found
    assert set(found[fast]) == {"speeder"} and found[fast]["speeder"].startswith("40 s /")
    assert set(found[fast_top]) == {"speeder", "straight_line"}
    assert set(found[lined]) == {"straight_line"}
    assert set(found[twin1]) == set(found[twin2]) == {"duplicate_comment"}
    assert len(found) == 5


def test_bursts_need_the_count_within_the_window(wave, app):
    a1 = wave.agencies[0]
    answers = varied(wave, 0)
    start = datetime(2026, 12, 2, 3, 0)
    spread = [put(wave, a1, answers, source="kiosk:1", at=start + timedelta(minutes=k)) for k in range(12)]
    tight = [put(wave, a1, answers, source="kiosk:2", at=start + timedelta(seconds=20 * k)) for k in range(10)]
    db.session.commit()
    found = response_reasons(wave)
    assert not set(spread) & {rid for rid, why in found.items() if "burst_source" in why}  # 12 over 12 minutes
    assert all(found[rid]["burst_source"] == "10 / 5 min" for rid in tight)
    app.config["INTEGRITY_BURST_COUNT"] = 11
    assert not any("burst_source" in why for why in response_reasons(wave).values())


def test_kiosk_answers_outside_opening_hours_and_on_days_off(wave):
    a1 = wave.agencies[0]
    answers = varied(wave, 0)
    # 2026-12-02 is a Wednesday; Vietnam is UTC+7
    inside = put(wave, a1, answers, channel="kiosk", at=datetime(2026, 12, 2, 2, 30))  # 09:30
    night = put(wave, a1, answers, channel="kiosk", at=datetime(2026, 12, 2, 14, 0))  # 21:00
    saturday = put(wave, a1, answers, channel="kiosk", at=datetime(2026, 12, 5, 2, 0))  # Sat 09:00: open
    saturday_pm = put(wave, a1, answers, channel="kiosk", at=datetime(2026, 12, 5, 8, 0))  # Sat 15:00
    sunday = put(wave, a1, answers, channel="kiosk", at=datetime(2026, 12, 6, 2, 0))
    national_day = put(wave, a1, answers, channel="kiosk", at=datetime(2026, 9, 2, 2, 0))  # a Wednesday, a holiday
    online_night = put(wave, a1, answers, channel="online", at=datetime(2026, 12, 2, 14, 0))  # at home: fine
    db.session.commit()
    found = response_reasons(wave)
    flagged = {rid for rid, why in found.items() if "off_hours" in why}
    assert flagged == {night, saturday_pm, sunday, national_day}
    assert found[night]["off_hours"] == "Wed 21:00"
    assert inside not in found and saturday not in found and online_night not in found


def test_dossier_codes_of_another_unit_or_received_after_the_rating(app):
    unit = factories.agency("U1")
    unit.one_stop_code = "H15.50"
    wave = factories.wave(slug="pc", agency_list=[unit], survey="per-case-118")
    db.session.commit()
    base = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    own = put(wave, unit, dict(base, dossier_code="H15.50.05-261101-0001"))
    other = put(wave, unit, dict(base, dossier_code="H16.10-261101-0002"))
    future = put(wave, unit, dict(base, dossier_code="H15.50-301231-0003"))
    db.session.commit()
    row = db.session.scalar(select(ResponseSignal).where(ResponseSignal.response_id == other))
    assert row.dossier_unit == "H16.10"  # the public parts only: no full code next to the answers
    found = response_reasons(wave)
    assert own not in found
    assert found[other] == {"dossier_other_unit": "H16.10"}
    assert set(found[future]) == {"dossier_future"}
    # rated at the desk before the one-stop system reported the dossier complete (its invitation,
    # issued at completion with the dossier code, came later) — and one rated after completion
    early = put(wave, unit, dict(base, dossier_code="H15.50-261120-0007"), at=datetime(2026, 11, 20, 3, 0))
    late = put(wave, unit, dict(base, dossier_code="H15.50-261120-0008"), at=datetime(2026, 11, 30, 3, 0))
    issued = invitations.issue(wave, unit, dossiers=["H15.50-261120-0007", "H15.50-261120-0008"])
    db.session.execute(update(Invitation).where(Invitation.wave_id == wave.id).values(created_at=datetime(2026, 11, 25, 8, 0)))
    db.session.commit()
    found = response_reasons(wave)
    assert len(issued) == 2 and found[early] == {"dossier_before_completion": "2026-11-25 08:00 UTC"}
    assert late not in found


def test_unit_whose_top_share_is_far_from_its_level(wave):
    top = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    a1, a2, a3 = wave.agencies
    for k in range(40):
        put(wave, a1, top, address=f"p{k}")  # all top
        put(wave, a2, top if k % 2 else varied(wave, k), address=f"q{k}")
        put(wave, a3, top if k % 2 else varied(wave, k + 1), address=f"r{k}")
    db.session.commit()
    flags = unit_flags(wave)
    assert [(f["agency"], f["reason"]) for f in flags] == [("A1", "top_share_level")]
    assert flags[0]["detail"].startswith("100% vs 67%")
