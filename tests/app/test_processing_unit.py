"""Receiving and processing unit (Decree 118/2025, amended by 367/2025; issue 16, item 5): a
response's agency is the unit that received the dossier, its processing unit the one that processed
it. Set by the integration, `flask invitations issue`, the API and paper entry (an unknown code is
refused naming the field); figures attributable to either (estimates by processing_unit equal the
microdata path on the export's rows), small processing units suppressed, old roll-ups rebuilt."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select, update

from analysis.rates import compute_rates
from app.accounts import tokens
from app.collect import invitations, store
from app.extensions import db
from app.models import Agency, Invitation, PaperEntry, Response, RollupCell, RollupState
from app.programme.questionnaires import questionnaire_of
from app.results import estimates, measures, rollup, snapshot
from app.review import exchange
from tests import factories
from tests.app.test_rollups import NUMBERS, weighted

DOSSIER = "H15.50.05.13-261008-0975"


@pytest.fixture
def wave(app):
    units = [factories.agency(code, block="communes") for code in ("P1", "P2", "P3")]
    factories.agency("X9", block="departments")  # processes dossiers; receives none in this wave
    item = factories.wave("cases", agency_list=units, survey="per-case-118")
    db.session.commit()
    return item


def unit(code: str) -> Agency:
    return db.session.scalar(select(Agency).where(Agency.code == code))


def answers(wave) -> dict:
    return {**factories.satisfied_answers(questionnaire_of(wave.survey_version)), "on_time": 1,
            "dossier_code": DOSSIER.lower()}


def invite(client, wave, raw, **extra):
    return client.post("/api/v1/invitations", json={"wave": wave.slug, "agency": "P1", **extra},
                       headers={"X-API-Key": raw})


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_integration_names_the_processing_unit_and_the_response_inherits_it(client, wave):
    raw, _row = tokens.create("one-stop", None)
    db.session.commit()
    made = invite(client, wave, raw, dossier=DOSSIER, processing_unit="X9")
    assert made.status_code == 201, made.get_json()
    invitation = db.session.scalar(select(Invitation))
    assert invitation.agency_id == unit("P1").id and invitation.processing_agency_id == unit("X9").id
    token = made.get_json()["url"].rsplit("/", 1)[1]
    sent = client.post("/api/v1/responses", json={"invitation": token, "answers": answers(wave)})
    assert sent.status_code == 201, sent.get_json()
    response = db.session.scalar(select(Response))
    assert (response.agency_id, response.processing_agency_id) == (unit("P1").id, unit("X9").id)
    # the dossier code as a keyed digest only, never the code itself
    assert response.answers["dossier_code"] == invitations.dossier_digest(DOSSIER)
    assert DOSSIER not in str(response.answers)


@pytest.mark.parametrize("dossier,words", [("H15.50.05.13-260230-0975", "not a real date"),
                                           ("H15.50.05.13/261008", "UNIT-YYMMDD-NUMBER")])
def test_the_integration_sends_dossier_codes_of_the_decree_118_shape(client, wave, dossier, words):
    raw, _row = tokens.create("one-stop", None)
    db.session.commit()
    refused = invite(client, wave, raw, dossier=dossier)
    assert refused.status_code == 400
    [error] = refused.get_json()["errors"]
    assert error["field"] == "dossier" and words in error["message"]
    assert count(Invitation) == 0
    assert invite(client, wave, raw, dossier=DOSSIER.lower()).status_code == 201


@pytest.mark.parametrize("code", ["NOPE", 17, "P1\x00", ["X9"], "x" * 41])
def test_an_unknown_processing_unit_is_refused_naming_the_field(client, wave, code):
    raw, _row = tokens.create("one-stop", None)
    db.session.commit()
    refused = invite(client, wave, raw, processing_unit=code)
    assert refused.status_code == 400
    assert [e["field"] for e in refused.get_json()["errors"]] == ["processing_unit"]
    assert count(Invitation) == 0
    token = invitations.issue(wave, wave.agencies[0], 1)[0].token
    db.session.commit()
    refused = client.post("/api/v1/responses", json={"invitation": token, "answers": answers(wave),
                                                     "processing_unit": code})
    assert refused.status_code == 400
    assert [e["field"] for e in refused.get_json()["errors"]] == ["processing_unit"]
    assert count(Response) == 0  # and the invitation can still be answered
    assert client.post("/api/v1/responses", json={"invitation": token, "answers": answers(wave)}).status_code == 201


def test_a_submission_names_its_processing_unit(client, wave):
    first, second = (i.token for i in invitations.issue(wave, wave.agencies[0], 2, processing_agency_id=unit("X9").id))
    db.session.commit()
    assert client.post("/api/v1/responses", json={"invitation": first, "answers": answers(wave),
                                                  "processing_unit": "P2"}).status_code == 201
    assert client.post("/api/v1/responses", json={"invitation": second, "answers": answers(wave)}).status_code == 201
    got = dict(db.session.execute(select(Response.invitation_id, Response.processing_agency_id)).all())
    assert sorted(got.values()) == sorted([unit("P2").id, unit("X9").id])  # given, else the invitation's


def test_the_command_line_issues_invitations_for_a_processing_unit(runner, wave, tmp_path):
    out = tmp_path / "links.csv"
    done = runner.invoke(args=["invitations", "issue", "--wave", wave.slug, "--agency", "P1", "--count", "2",
                               "--processing-unit", "X9", "--output", str(out)])
    assert done.exit_code == 0, done.output
    assert db.session.scalars(select(Invitation.processing_agency_id)).all() == [unit("X9").id] * 2
    refused = runner.invoke(args=["invitations", "issue", "--wave", wave.slug, "--agency", "P1", "--count", "1",
                                  "--processing-unit", "NOPE"])
    assert refused.exit_code != 0 and "--processing-unit" in refused.output and "NOPE" in refused.output
    assert count(Invitation) == 2


def key_in(client, wave, values, number, **extra):
    data = {"form_number": number, "_page": "0", "_shown": " ".join(values), **values, **extra}
    return client.post(f"/paper/{wave.slug}", data=data)


def test_paper_entry_offers_the_processing_unit_and_refuses_an_unknown_one(client, wave, login_as):
    login_as("entry", wave.agencies[0])
    page = client.get(f"/paper/{wave.slug}").get_data(as_text=True)
    assert 'name="processing_unit"' in page and 'value="X9"' in page
    values = answers(wave)
    refused = key_in(client, wave, values, "F-1", processing_unit="NOPE")
    assert refused.status_code == 400 and "f-processing_unit" in refused.get_data(as_text=True)
    assert count(Response) == 0
    assert key_in(client, wave, values, "F-1", processing_unit="X9").status_code == 303
    assert key_in(client, wave, values, "F-2").status_code == 303
    got = dict(db.session.execute(select(PaperEntry.form_number, Response.processing_agency_id)
                                  .join(Response, Response.id == PaperEntry.response_id)).all())
    assert got == {"F-1": unit("X9").id, "F-2": None}
    assert {r.agency_id for r in db.session.scalars(select(Response))} == {wave.agencies[0].id}


def test_double_entry_compares_the_processing_unit(client, wave, make_user):
    from app.collect import paper
    from tests.conftest import login

    paper.set_double_entry(wave, True)
    db.session.commit()
    first, second = make_user("entry", wave.agencies[0]), make_user("entry", wave.agencies[0])
    values = answers(wave)
    login(client, first[0].email, first[1])
    assert key_in(client, wave, values, "F-9", processing_unit="X9").status_code == 303
    client.post("/logout")
    login(client, second[0].email, second[1])
    differs = key_in(client, wave, values, "F-9", processing_unit="P2")
    assert differs.status_code == 409 and "Đơn vị giải quyết hồ sơ" in differs.get_data(as_text=True)
    assert count(Response) == 0


def test_paper_forms_of_sampled_surveys_do_not_ask_for_it(client, login_as):
    other = factories.wave("annual", agency_list=[factories.agency("S1")])
    db.session.commit()
    login_as("entry", other.agencies[0])
    assert 'name="processing_unit"' not in client.get(f"/paper/{other.slug}").get_data(as_text=True)


def fill(wave, plan: dict[str, tuple[str | None, int]], seed: int = 5) -> None:
    """Responses per receiving unit: {receiving: [(processing code or None, how many), ...]}."""
    rng = np.random.default_rng(seed)
    base = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    for receiving, parts in plan.items():
        for processing, n in parts:
            for _ in range(n):
                values = {**base, "staff_attitude": int(rng.integers(1, 4)), "satisfaction": int(rng.integers(1, 4)),
                          "on_time": int(rng.random() < 0.8), "submission_channel": int(rng.integers(1, 5))}
                if values["on_time"] == 0:
                    values["apology"] = int(rng.random() < 0.5)
                store.store(wave, unit(receiving), values, channel=["link", "kiosk", "paper"][int(rng.integers(0, 3))],
                            language="vi", processing=unit(processing) if processing else None)
    db.session.commit()


PLAN = {"P1": [(None, 60), ("X9", 40)], "P2": [(None, 50), ("X9", 30), ("P3", 20)], "P3": [(None, 70), ("P1", 25)]}


def from_export(wave, by: list[str]) -> pd.DataFrame:
    """The microdata path: the export's rows (CSV, as a user downloads them) through analysis.rates,
    each dossier attributed to its processing unit (the receiving one where the row names none)."""
    questionnaire = questionnaire_of(wave.survey_version)
    data = pd.read_csv(io.BytesIO(exchange.export_bytes(wave, "csv")), dtype={"processing_unit": str})
    assert "processing_unit" in data.columns
    data["processing_unit"] = data["processing_unit"].fillna(data["agency"])
    data["stratum_key"] = data["agency"] + "|"  # the design's strata: the receiving units
    satisfied = sorted({v for code in questionnaire.rated_items for v in questionnaire.satisfied_values(code)})
    return compute_rates(data, questionnaire.rated_items, by=by or None, factors=questionnaire.factor_items(),
                         rule=questionnaire.rule, satisfied=satisfied, weight="weight", strata="stratum_key")


def assert_same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    got, want = got.reset_index(drop=True), want.reset_index(drop=True)
    assert got["measure"].tolist() == want["measure"].tolist()
    assert got["n"].tolist() == want["n"].tolist()
    for column in NUMBERS:
        np.testing.assert_allclose(got[column].to_numpy(float), want[column].to_numpy(float), rtol=0, atol=1e-9,
                                   err_msg=column)


def test_estimates_by_processing_unit_equal_the_microdata_path(wave):
    fill(wave, PLAN)
    weighted(wave, rake=False)  # design weights differ by receiving unit
    snap = snapshot.current(wave)
    got = estimates.compute(snap, ["processing_unit"])
    want = from_export(wave, ["processing_unit"])
    assert got["processing_unit"].tolist() == want["processing_unit"].tolist()
    assert sorted(set(got["processing_unit"])) == ["P1", "P2", "P3", "X9"]
    assert_same(got, want)
    by_agency = estimates.compute(snap, ["agency"])
    overall = {k: g.loc[g["measure"] == "overall", "n"].item() for k, g in by_agency.groupby("agency")}
    processed = {k: g.loc[g["measure"] == "overall", "n"].item() for k, g in got.groupby("processing_unit")}
    assert overall == {"P1": 100, "P2": 100, "P3": 95}  # received
    assert processed == {"P1": 85, "P2": 50, "P3": 90, "X9": 70}  # processed: the attribution differs
    both = estimates.compute(snap, ["agency", "processing_unit"])
    assert_same(both, from_export(wave, ["agency", "processing_unit"]))


def test_the_api_and_the_csv_give_the_processing_units_figures(client, wave, login_as):
    fill(wave, PLAN)
    weighted(wave, rake=False)
    login_as("admin")
    want = from_export(wave, ["processing_unit"])
    csv = client.get(f"/dashboard/{wave.slug}/estimates.csv?attribute=processing")
    assert csv.status_code == 200
    table = pd.read_csv(io.BytesIO(csv.data))
    assert table.columns[0] == "processing_unit"
    assert_same(table[table["measure"].isin(want["measure"])], want)
    assert client.get(f"/dashboard/{wave.slug}/estimates.csv?attribute=other").status_code == 400
    receiving = pd.read_csv(io.BytesIO(client.get(f"/dashboard/{wave.slug}/estimates.csv").data))
    assert receiving.columns[0] == "agency"
    page = client.get(f"/dashboard/{wave.slug}/methodology").get_data(as_text=True)
    assert "attribute=processing" in page
    token, _row = tokens.issue_token(db.session.scalar(select(tokens.User).where(tokens.User.role == "admin")))
    db.session.commit()
    api = client.get(f"/api/v1/waves/{wave.slug}/estimates?by=processing_unit",
                     headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200, api.get_json()
    rows = pd.DataFrame(api.get_json()["rows"])
    assert_same(rows, want)


def test_a_small_processing_unit_is_suppressed(wave):
    fill(wave, {"P1": [(None, 40), ("X9", 4)], "P2": [(None, 40)], "P3": [(None, 40), ("X9", 3)]})
    rows = pd.DataFrame(estimates.estimate_rows(snapshot.current(wave), ["processing_unit"]))
    small = rows[rows["processing_unit"] == "X9"]
    assert len(small) and (small["n"] <= 7).all()
    assert small["suppressed"].all() and small["rate"].isna().all()
    # the processing units' figures could give X9's back from a receiving unit's total: the pattern
    # covers the processing-unit tables, so P1 and P3 (which received X9's dossiers) do not publish
    # both their total and their own part
    crossed = pd.DataFrame(estimates.estimate_rows(snapshot.current(wave), ["agency", "processing_unit"]))
    hidden = crossed[crossed["processing_unit"] == "X9"]
    assert hidden["suppressed"].all()
    overall = crossed[crossed["measure"] == "overall"]
    for agency in ("P1", "P3"):
        cells = overall[overall["agency"] == agency]
        assert cells["suppressed"].sum() >= 2  # never a lone hidden cell beside its published total


def test_without_another_processing_unit_its_table_hides_what_the_agency_table_hides(wave):
    # P3 has 4 respondents (hidden), P2 9 + P1 40: complementary suppression also hides the next-smallest
    fill(wave, {"P1": [(None, 40)], "P2": [(None, 12)], "P3": [(None, 4)]})
    snap = snapshot.current(wave)
    by_agency = pd.DataFrame(estimates.estimate_rows(snap, ["block", "agency"]))
    by_unit = pd.DataFrame(estimates.estimate_rows(snap, ["block", "processing_unit"]))
    assert by_agency["suppressed"].sum() > by_agency["n"].lt(10).sum()  # some hidden only as complements
    flags = by_agency.set_index(["agency", "measure"])["suppressed"]
    assert by_unit.set_index(["processing_unit", "measure"])["suppressed"].reindex(flags.index).tolist() == flags.tolist()


def test_roll_ups_written_before_the_processing_unit_are_rebuilt(wave):
    fill(wave, PLAN)
    snap = snapshot.current(wave)
    fresh = estimates.compute(snap, ["processing_unit"])
    keys_before = db.session.scalars(select(RollupCell.key).where(RollupCell.wave_id == wave.id)).all()
    # as a wave rolled up before this change left them: four key parts, a layout without them
    state = db.session.get(RollupState, wave.id)
    old = {k: v for k, v in state.layout.items() if k != "key_parts"}
    state.layout = old
    merged: dict[tuple, list] = {}
    for cell in db.session.scalars(select(RollupCell).where(RollupCell.wave_id == wave.id)):
        old_key = (cell.agency_id, cell.week, cell.key.rsplit(rollup.SEP, 1)[0])
        held = merged.setdefault(old_key, [0, np.zeros(len(cell.moments) // 8)])
        held[0] += cell.count
        held[1] = held[1] + np.frombuffer(cell.moments)
        db.session.delete(cell)
    db.session.flush()
    for (agency_id, week, key), (n, moments) in merged.items():
        db.session.add(RollupCell(wave_id=wave.id, agency_id=agency_id, week=week, key=key, count=n,
                                  moments=moments.tobytes()))
    db.session.commit()
    assert len(merged) < len(keys_before)  # the old cells mixed the processing units
    assert rollup.stale(db.session, wave)
    # read as they are (e.g. while another instance rebuilds them): each dossier at its receiving unit
    as_received = estimates.compute(snapshot.Snapshot(wave, ("old", 1)), ["processing_unit"])
    by_agency = estimates.compute(snapshot.Snapshot(wave, ("old", 1)), ["agency"])
    assert as_received["processing_unit"].tolist() == by_agency["agency"].tolist()
    assert_same(as_received, by_agency)
    wave.mark_data_changed()
    db.session.commit()
    again = estimates.compute(snapshot.current(wave), ["processing_unit"])
    assert_same(again, fresh)
    keys = db.session.scalars(select(RollupCell.key).where(RollupCell.wave_id == wave.id)).all()
    assert keys and all(k.count(rollup.SEP) == len(rollup.KEY_PARTS) - 1 for k in keys)
    assert db.session.get(RollupState, wave.id).layout["key_parts"][-1] == "processing_unit"


def test_a_response_excluded_keeps_its_processing_units_cells_exact(wave):
    from app.review import cleaning

    fill(wave, PLAN)
    snapshot.current(wave)
    row = db.session.scalar(select(Response).where(Response.processing_agency_id == unit("X9").id).limit(1))
    cleaning.set_excluded(row, True, "duplicate")
    db.session.commit()
    got = estimates.compute(snapshot.current(wave), ["processing_unit"])
    assert_same(got, from_export(wave, ["processing_unit"]))
    assert got.loc[(got["processing_unit"] == "X9") & (got["measure"] == "overall"), "n"].item() == 69


def test_per_case_118_gives_the_late_apology_and_decision766_figures(wave):
    plan = measures.layout(wave)
    assert {measures.LATE, measures.APOLOGY, *measures.D766_PARTS} <= set(plan.figures)
    assert "decision766" in plan.pooled


def test_the_export_and_import_carry_the_processing_unit(wave):
    fill(wave, {"P1": [("X9", 2), (None, 1)]})
    body = exchange.export_bytes(wave, "csv").decode("utf-8")
    header = body.splitlines()[0].split(",")
    assert header[:8] == ["response_id", "agency", "block", "channel", "language", "submitted_on", "weight",
                          "processing_unit"]
    assert "dossier_code" not in header
    db.session.execute(update(Response).values(excluded=True))
    db.session.commit()
    lines = body.splitlines()
    assert exchange.import_csv(wave, "\n".join(line.split(",", 1)[1] for line in lines)) == 3
    db.session.commit()
    kept = db.session.scalars(select(Response.processing_agency_id).where(Response.excluded.is_(False))).all()
    assert sorted(kept, key=lambda v: v or 0) == [None, unit("X9").id, unit("X9").id]
    bad = "\n".join([lines[0].split(",", 1)[1], lines[1].split(",", 1)[1].replace("X9", "NOPE")])
    from app.shared.csvio import ImportRejected

    with pytest.raises(ImportRejected) as caught:
        exchange.import_csv(wave, bad)
    assert [(e.line, e.column) for e in caught.value.errors] == [(2, "processing_unit")]


def test_the_dashboard_ranks_by_the_processing_unit_when_asked(client, wave, login_as):
    from app.results import overview
    from app.results.filters import Filters
    from app.results.snapshot import current

    fill(wave, PLAN)
    ranked = overview.rankings(current(wave), Filters(attribute="processing"))
    codes = {c for r in ranked for c in r["table"]["agency"]}
    assert codes == {"P1", "P2", "P3", "X9"}  # X9 processes dossiers though it received none
    expected = from_export(wave, ["processing_unit"])
    expected = expected[expected["measure"] == "overall"].set_index("processing_unit")
    for r in ranked:
        for row in r["table"].to_dict(orient="records"):
            assert row["rate"] == pytest.approx(expected.loc[row["agency"], "rate"], abs=1e-9)
    receiving = {c for r in overview.rankings(current(wave), Filters()) for c in r["table"]["agency"]}
    assert receiving == {"P1", "P2", "P3"}
    login_as("official")
    page = client.get(f"/dashboard/{wave.slug}?attribute=processing").get_data(as_text=True)
    assert 'value="processing" selected' in page and "X9" in page
    demo = factories.wave("plain", agency_list=[factories.agency("Q1")])
    db.session.commit()
    assert client.get(f"/dashboard/{demo.slug}?attribute=processing").status_code == 400
    assert client.get(f"/dashboard/{wave.slug}?attribute=elsewhere").status_code == 400
