"""The demo is a merged province (issue 16, item 6): today's units from 1 July 2025 rated by the open
wave `demo`, the two old provinces' units ended on 30 June 2025 by a recorded reorganisation, and
their closed waves of 2023 and 2024, so that a trend across the merger has data out of the box."""
from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest
from sqlalchemy import func, select

from app import demo
from app.extensions import db
from app.models import Agency, AgencyLineage, FrameCount, Response, Wave
from app.models.wave import WAVE_CLOSED, WAVE_OPEN
from app.programme import lineage, reorganise

OLD_WAVES = {"demo-hy-2023", "demo-hy-2024", "demo-tb-2023", "demo-tb-2024"}


@pytest.fixture
def seeded(app):
    summary = demo.seed(responses=1000, seed_value=3, password="Demo-password-1")
    db.session.commit()
    return summary


def waves() -> dict[str, Wave]:
    return {w.slug: w for w in db.session.scalars(select(Wave))}


def responses_of(wave: Wave) -> int:
    return db.session.scalar(select(func.count(Response.id)).where(Response.wave_id == wave.id))


def successors() -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for row in db.session.scalars(select(AgencyLineage)):
        out[row.old.code][row.new.code] = row.share
    return out


def test_the_open_wave_keeps_41_units_in_3_blocks_from_the_merger_on(seeded):
    wave = waves()["demo"]
    assert wave.status == WAVE_OPEN and wave.period_start >= date(2025, 7, 1)
    assert len(wave.agencies) == 41 and seeded["agencies"] == 41
    blocks = defaultdict(set)
    for agency in wave.agencies:
        blocks[agency.block.code].add(agency.level)
        assert agency.valid_from == date(2025, 7, 1) and agency.valid_to is None, agency.code
    assert blocks == {"departments": {"department"}, "communes": {"commune"}, "central": {"department"}}
    assert {"SNV", "STP", "CTHUE"} <= {a.code for a in wave.agencies}
    assert 950 <= responses_of(wave) <= 1100 and seeded["responses"] == responses_of(wave)
    assert len(db.session.scalars(select(FrameCount).where(FrameCount.wave_id == wave.id)).all()) == 41


def test_the_old_provinces_have_closed_waves_of_2023_and_2024(seeded):
    found = waves()
    assert set(found) == OLD_WAVES | {"demo"}
    assert {w["wave"] for w in seeded["history"]} == OLD_WAVES
    for slug in OLD_WAVES:
        wave = found[slug]
        year = int(slug[-4:])
        assert wave.status == WAVE_CLOSED and (wave.period_start, wave.period_end) == (date(year, 1, 1),
                                                                                          date(year, 12, 31))
        assert wave.survey_version_id == found["demo"].survey_version_id
        prefix = slug.split("-")[1].upper() + "-"
        assert wave.agencies and all(a.code.startswith(prefix) for a in wave.agencies)
        assert 70 <= responses_of(wave) <= 140  # about a tenth of --responses
        frames = db.session.scalars(select(FrameCount).where(FrameCount.wave_id == wave.id)).all()
        assert {f.agency_id for f in frames} == {a.id for a in wave.agencies}
        first, last = db.session.execute(select(func.min(Response.submitted_on), func.max(Response.submitted_on))
                                         .where(Response.wave_id == wave.id)).one()
        assert wave.period_start <= first <= last <= wave.period_end


def test_old_units_end_the_day_before_the_merger_and_have_every_level(seeded):
    old = {a for w in waves().values() if w.slug in OLD_WAVES for a in w.agencies}
    assert len(old) == 42
    assert all(a.valid_to == date(2025, 6, 30) and a.valid_from is None for a in old)
    assert {a.level for a in old} == {"department", "district", "commune"}
    assert not {a.id for a in old} & {a.id for a in waves()["demo"].agencies}


def test_each_old_units_shares_sum_to_one_with_merges_from_both_provinces_and_splits(seeded):
    out = successors()
    old = {a.code for w in waves().values() if w.slug in OLD_WAVES for a in w.agencies}
    assert set(out) == old and seeded["lineage"] == sum(len(s) for s in out.values())
    for code, shares in out.items():
        assert sum(shares.values()) == pytest.approx(1.0, abs=1e-9), code
    into: dict[str, set[str]] = defaultdict(set)
    for code, shares in out.items():
        for new in shares:
            into[new].add(code.split("-")[0])
    assert {"SNV", "STP", "STC"} <= {new for new, provinces in into.items() if provinces == {"HY", "TB"}}
    assert into["PHOHIEN"] == {"HY"} and into["THAIBINH"] == {"TB"} and into["BQLKKT"] == {"TB"}
    splits = {code for code, shares in out.items() if len(shares) > 1}
    assert {"HY-HIENNAM", "TB-HOANGDIEU"} <= splits  # wards split between two new wards
    assert out["HY-HIENNAM"] == {"PHOHIEN": 0.6, "SONNAM": 0.4}
    assert all(a.level == "department" for a in db.session.scalars(select(Agency).where(
        Agency.code.in_([c for c in out if c.endswith("-SNV")]))))


def test_the_lineage_gives_exact_and_modelled_ancestries(seeded):
    edges = reorganise.edges()
    rated_2024 = {a.code for slug in ("demo-hy-2024", "demo-tb-2024") for a in waves()[slug].agencies}
    snv = lineage.ancestry("SNV", edges, rated_2024.__contains__)
    assert snv == {"HY-SNV": 1.0, "TB-SNV": 1.0} and lineage.is_exact(snv)
    pho_hien = lineage.ancestry("PHOHIEN", edges, rated_2024.__contains__)
    assert pho_hien == pytest.approx({"HY-TPHUNGYEN": 0.45, "HY-LELOI": 1.0, "HY-MINHKHAI": 1.0, "HY-HIENNAM": 0.6})
    assert not lineage.is_exact(pho_hien)
    assert lineage.breaks("PHOHIEN", edges) == [date(2025, 7, 1)]


def mean_scale(wave: Wave) -> float:
    """The mean of every 1–5 answer of the wave (items starting with f: the factor items)."""
    values = [v for answers in db.session.scalars(select(Response.answers).where(Response.wave_id == wave.id))
              for code, v in answers.items() if code.startswith("f") and isinstance(v, int) and 1 <= v <= 5]
    return sum(values) / len(values)


def test_the_same_old_units_are_more_satisfied_in_2024_than_in_2023(app):
    demo.seed(responses=4000, seed_value=5, password="Demo-password-1")
    found = waves()
    for prefix in ("hy", "tb"):
        assert mean_scale(found[f"demo-{prefix}-2024"]) > mean_scale(found[f"demo-{prefix}-2023"]) + 0.03
    assert mean_scale(found["demo"]) > max(mean_scale(found[s]) for s in OLD_WAVES)


def counts() -> tuple:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Agency, Wave, Response, AgencyLineage, FrameCount))


def test_seeding_twice_adds_nothing(seeded):
    before = counts()
    again = demo.seed(responses=1000, seed_value=3, password="Demo-password-1")
    db.session.commit()
    assert counts() == before and again["lineage"] == 0 and again["accounts"] == []
    assert [w["responses"] for w in again["history"]] == [w["responses"] for w in seeded["history"]]


def test_without_history_only_the_open_wave(app):
    summary = demo.seed(responses=300, password="Demo-password-1", history=False)
    db.session.commit()
    assert summary["history"] == [] and set(waves()) == {"demo"}
    assert counts()[0] == 41 and counts()[3] == 0
    # the history can come later: the same units, now with their predecessors
    demo.seed(responses=300, password="Demo-password-1")
    db.session.commit()
    assert set(waves()) == OLD_WAVES | {"demo"} and counts()[0] == 83 and len(successors()) == 42


def test_in_2025_the_open_wave_starts_with_the_merger(app):
    demo.seed(responses=200, password="Demo-password-1", year=2025, history=False)
    wave = waves()["demo"]
    assert (wave.period_start, wave.period_end) == (date(2025, 7, 1), date(2025, 12, 31))


def test_every_demo_wave_has_a_dashboard(client, login_as, seeded):
    login_as("official")
    for slug in OLD_WAVES | {"demo"}:
        page = client.get(f"/dashboard/{slug}")
        assert page.status_code == 200, slug
    assert "UBND thành phố Thái Bình" in client.get("/dashboard/demo-tb-2024").get_data(as_text=True)
