"""flask agencies reorganise: a file checked whole (line and column), merges and splits recorded,
old units ended the day before; the lineage algebra's invariants as properties."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db
from app.models import Agency, AgencyLineage, AuditEvent
from app.programme import lineage
from tests import factories

HEADER = "old_code,new_code,share,effective_on\n"


def _units(*codes: str) -> None:
    for code in codes:
        factories.agency(code, block="communes")
    db.session.commit()


def _write(tmp_path, text: str):
    path = tmp_path / "reorganise.csv"
    path.write_text(HEADER + text, encoding="utf-8")
    return str(path)


def _agency(code: str) -> Agency:
    return db.session.scalar(select(Agency).where(Agency.code == code))


def test_a_merge_and_a_split_are_recorded_and_old_units_end_the_day_before(runner, tmp_path):
    _units("W1", "W2", "W3", "C1", "C2")
    path = _write(tmp_path, "W1,C1,1,2025-07-01\nW2,C1,1,2025-07-01\nW3,C1,0.6,2025-07-01\nW3,C2,0.4,2025-07-01\n")
    result = runner.invoke(args=["agencies", "reorganise", path])
    assert result.exit_code == 0, result.output
    assert "W3 → C1 (0.6), C2 (0.4); W3 ends on 2025-06-30" in result.output
    assert "3 units reorganised into 2" in result.output
    db.session.expire_all()
    assert [_agency(c).valid_to for c in ("W1", "W2", "W3")] == [date(2025, 6, 30)] * 3
    assert [_agency(c).valid_from for c in ("C1", "C2")] == [date(2025, 7, 1)] * 2
    rows = {(r.old.code, r.new.code): r.share for r in db.session.scalars(select(AgencyLineage))}
    assert rows == {("W1", "C1"): 1.0, ("W2", "C1"): 1.0, ("W3", "C1"): 0.6, ("W3", "C2"): 0.4}
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "agency.reorganise")) is not None


def test_a_bad_file_is_refused_whole_with_line_and_column(runner, tmp_path):
    _units("W1", "W2", "W3", "C1")
    path = _write(tmp_path, "W1,C1,1,2025-07-01\n"       # fine
                            "W2,C9,1,2025-07-01\n"       # unknown new unit
                            "W3,C1,0.5,2025-07-01\n"     # shares of W3 sum to 0.5
                            "W1,C1,1,1.7.2025\n"         # not a date
                            "W2,C1,abc,2025-07-01\n")    # not a share
    result = runner.invoke(args=["agencies", "reorganise", path])
    assert result.exit_code != 0
    out = result.output
    assert "line 3, column 'new_code'" in out and "C9" in out
    assert "line 5, column 'effective_on'" in out
    assert "line 6, column 'share'" in out
    assert "nothing was changed" in out
    db.session.expire_all()
    assert db.session.scalar(select(AgencyLineage.id)) is None
    assert _agency("W1").valid_to is None


def test_shares_that_do_not_sum_to_one_name_the_first_line_of_the_unit(runner, tmp_path):
    _units("W3", "C1", "C2")
    result = runner.invoke(args=["agencies", "reorganise", _write(tmp_path, "W3,C1,0.6,2025-07-01\nW3,C2,0.3,2025-07-01\n")])
    assert result.exit_code != 0
    assert "line 2, column 'share'" in result.output and "sum to 0.9" in result.output


def test_a_unit_cannot_be_reorganised_twice_nor_come_from_itself(runner, tmp_path):
    _units("W1", "C1")
    assert runner.invoke(args=["agencies", "reorganise", _write(tmp_path, "W1,C1,1,2025-07-01\n")]).exit_code == 0
    again = runner.invoke(args=["agencies", "reorganise", _write(tmp_path, "W1,C1,1,2025-07-01\n")])
    assert again.exit_code != 0 and "already reorganised on 2025-07-01" in again.output
    back = runner.invoke(args=["agencies", "reorganise", _write(tmp_path, "C1,W1,1,2026-01-01\n")])
    assert back.exit_code != 0 and "W1 ended on 2025-06-30" in back.output


def test_a_cycle_within_one_file_is_refused(runner, tmp_path):
    _units("X1", "X2")
    result = runner.invoke(args=["agencies", "reorganise", _write(tmp_path, "X1,X2,1,2025-07-01\nX2,X1,1,2025-07-01\n")])
    assert result.exit_code != 0 and "cycle" in result.output


def test_dry_run_prints_the_plan_and_changes_nothing(runner, tmp_path):
    _units("W1", "C1")
    result = runner.invoke(args=["agencies", "reorganise", "--dry-run", _write(tmp_path, "W1,C1,1,2025-07-01\n")])
    assert result.exit_code == 0 and "W1 → C1 (1); W1 ends on 2025-06-30" in result.output
    assert "nothing was changed" in result.output
    db.session.expire_all()
    assert _agency("W1").valid_to is None and db.session.scalar(select(AgencyLineage.id)) is None


# --- the algebra, as properties ---------------------------------------------------------------

@st.composite
def _reorganisation(draw):
    """Old units with totals, each merged whole or split into 2-3 parts with shares summing to 1."""
    n_old = draw(st.integers(1, 6))
    n_new = draw(st.integers(1, 4))
    totals = {f"o{i}": draw(st.floats(0, 1e6, allow_nan=False)) for i in range(n_old)}
    edges = []
    for old in totals:
        parts = draw(st.lists(st.integers(0, n_new - 1), min_size=1, max_size=3, unique=True))
        weights = [draw(st.integers(1, 100)) for _ in parts]
        edges += [lineage.Edge(old, f"n{p}", w / sum(weights), date(2025, 7, 1)) for p, w in zip(parts, weights)]
    return totals, edges


@settings(max_examples=200, deadline=None)
@given(_reorganisation())
def test_shares_sum_to_one_and_totals_are_conserved(case):
    totals, edges = case
    assert lineage.share_errors(edges) == {}
    after = lineage.allocate(totals, edges)
    assert abs(sum(after.values()) - sum(totals.values())) <= 1e-9 * max(1.0, sum(totals.values()))


@settings(max_examples=200, deadline=None)
@given(_reorganisation())
def test_every_new_unit_comes_from_its_old_units_in_their_shares(case):
    totals, edges = case
    after = lineage.allocate(totals, edges)
    for new in {e.new for e in edges}:
        shares = lineage.ancestry(new, edges, stop=lambda u: u in totals)
        assert abs(sum(totals[o] * s for o, s in shares.items()) - after[new]) <= 1e-6 * max(1.0, after[new])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 100), min_size=1, max_size=5), st.floats(0, 1e6, allow_nan=False))
def test_split_then_merge_is_the_identity(weights, total):
    parts = [f"p{i}" for i in range(len(weights))]
    split = [lineage.Edge("A", p, w / sum(weights), date(2025, 7, 1)) for p, w in zip(parts, weights)]
    merge = [lineage.Edge(p, "B", 1.0, date(2026, 1, 1)) for p in parts]
    assert lineage.allocate(lineage.allocate({"A": total}, split), merge) == {"B": pytest.approx(total)}
    shares = lineage.ancestry("B", split + merge, stop=lambda u: u == "A")
    assert shares.keys() == {"A"} and abs(shares["A"] - 1) <= 1e-12
    assert lineage.is_exact(shares)
    assert lineage.breaks("B", split + merge) == [date(2025, 7, 1), date(2026, 1, 1)]


def test_a_merge_is_exact_and_a_split_is_not():
    merge = [lineage.Edge("a", "x", 1.0, date(2025, 7, 1)), lineage.Edge("b", "x", 1.0, date(2025, 7, 1))]
    split = [lineage.Edge("c", "y", 0.6, date(2025, 7, 1)), lineage.Edge("c", "z", 0.4, date(2025, 7, 1))]
    assert lineage.is_exact(lineage.ancestry("x", merge, stop=lambda u: u in "ab"))
    assert not lineage.is_exact(lineage.ancestry("y", split, stop=lambda u: u == "c"))
    assert lineage.ancestry("y", split, stop=lambda u: u == "c") == {"c": 0.6}


def _post_file(client, text: str):
    import io
    return client.post("/admin/agencies/reorganise", data={"upload-file": (io.BytesIO((HEADER + text).encode()), "r.csv")},
                       content_type="multipart/form-data")


def test_the_admin_page_previews_then_applies(client, login_as):
    _units("W1", "W2", "W3", "C1", "C2")
    login_as("admin")
    text = "W1,C1,1,2025-07-01\nW2,C1,1,2025-07-01\nW3,C1,0.6,2025-07-01\nW3,C2,0.4,2025-07-01\n"
    preview = _post_file(client, text)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "C2 (0,4)" in page or "C2 (0.4)" in page  # the share, in the page's language
    assert db.session.scalar(select(AgencyLineage.id)) is None  # a preview changes nothing
    source = page.split('name="apply-source" type="hidden" value="')[1].split('"')[0]
    import html
    applied = client.post("/admin/agencies/reorganise", data={"apply-source": html.unescape(source)})
    assert applied.status_code == 302
    db.session.expire_all()
    assert _agency("W3").valid_to == date(2025, 6, 30)
    assert len(db.session.scalars(select(AgencyLineage)).all()) == 4
    listing = client.get("/admin/agencies?inactive=1").get_data(as_text=True)
    assert "30/06/2025" in listing or "2025-06-30" in listing or "30 thg 6, 2025" in listing


def test_the_admin_page_shows_every_bad_line_and_applies_nothing(client, login_as):
    _units("W1", "C1")
    login_as("admin")
    response = _post_file(client, "W1,C1,2,2025-07-01\nW9,C1,1,2025-07-01\n")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<td>2</td><td>share</td>" in page and "<td>3</td><td>old_code</td>" in page
    forged = client.post("/admin/agencies/reorganise", data={"apply-source": HEADER + "W1,C1,0.5,2025-07-01\n"})
    assert forged.status_code == 400 and "<td>2</td><td>share</td>" in forged.get_data(as_text=True)
    assert db.session.scalar(select(AgencyLineage.id)) is None


def test_an_update_without_the_validity_columns_keeps_the_dates(runner, tmp_path):
    path = tmp_path / "agencies.csv"
    path.write_text("code,name_vi,name_en,block,level,unit_code,valid_from,valid_to\n"
                    "W1,Phường 1,Ward 1,communes,commune,10501,2020-01-01,2025-06-30\n", encoding="utf-8")
    assert runner.invoke(args=["agencies", "import", str(path)]).exit_code == 0
    path.write_text("code,name_vi,name_en,block\nW1,Phường Một,Ward One,communes\n", encoding="utf-8")
    assert runner.invoke(args=["agencies", "import", str(path)]).exit_code == 0
    db.session.expire_all()
    ward = _agency("W1")
    assert (ward.name_vi, ward.level, ward.unit_code) == ("Phường Một", "commune", "10501")
    assert (ward.valid_from, ward.valid_to) == (date(2020, 1, 1), date(2025, 6, 30))


def test_a_unit_that_ends_cannot_receive_units_in_the_same_file(runner, tmp_path):
    _units("W1", "W2", "C1")
    result = runner.invoke(args=["agencies", "reorganise", _write(tmp_path, "W1,C1,1,2026-10-01\nW2,C1,0.7,2026-10-01\n"
                                                                            "W2,W1,0.3,2026-10-01\n")])
    assert result.exit_code != 0
    assert "line 4, column 'new_code'" in result.output and "W1 ends in this file" in result.output
