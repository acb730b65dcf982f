"""The shipped 2025 reorganisation files (app/programme/data/vn2025) against the known facts of
Resolution 202/2025/QH15, and through the agencies importer."""
from __future__ import annotations

import csv
import unicodedata
from collections import Counter, defaultdict
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Agency, AgencyLineage
from app.programme import agencies, reorganise
from app.shared.csvio import ImportRejected

DATA = Path(__file__).resolve().parents[2] / "app" / "programme" / "data" / "vn2025"
AGENCY_COLUMNS = ["code", "name_vi", "name_en", "block", "parent", "level", "unit_code", "one_stop_code",
                  "valid_from", "valid_to"]
LINEAGE_COLUMNS = ["old_code", "new_code", "share", "effective_on"]
CODE_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")

UNCHANGED = {"Hà Nội", "Huế", "Lai Châu", "Điện Biên", "Sơn La", "Lạng Sơn", "Quảng Ninh", "Thanh Hóa",
             "Nghệ An", "Hà Tĩnh", "Cao Bằng"}
# Resolution 202/2025/QH15, written out here independently of the source package.
MERGED = {
    "Tuyên Quang": {"Tuyên Quang", "Hà Giang"}, "Lào Cai": {"Lào Cai", "Yên Bái"},
    "Thái Nguyên": {"Thái Nguyên", "Bắc Kạn"}, "Phú Thọ": {"Phú Thọ", "Vĩnh Phúc", "Hòa Bình"},
    "Bắc Ninh": {"Bắc Ninh", "Bắc Giang"}, "Hưng Yên": {"Hưng Yên", "Thái Bình"},
    "Hải Phòng": {"Hải Phòng", "Hải Dương"}, "Ninh Bình": {"Ninh Bình", "Hà Nam", "Nam Định"},
    "Quảng Trị": {"Quảng Trị", "Quảng Bình"}, "Đà Nẵng": {"Đà Nẵng", "Quảng Nam"},
    "Quảng Ngãi": {"Quảng Ngãi", "Kon Tum"}, "Gia Lai": {"Gia Lai", "Bình Định"},
    "Khánh Hòa": {"Khánh Hòa", "Ninh Thuận"}, "Lâm Đồng": {"Lâm Đồng", "Đắk Nông", "Bình Thuận"},
    "Đắk Lắk": {"Đắk Lắk", "Phú Yên"}, "Hồ Chí Minh": {"Hồ Chí Minh", "Bình Dương", "Bà Rịa - Vũng Tàu"},
    "Đồng Nai": {"Đồng Nai", "Bình Phước"}, "Tây Ninh": {"Tây Ninh", "Long An"},
    "Cần Thơ": {"Cần Thơ", "Sóc Trăng", "Hậu Giang"}, "Vĩnh Long": {"Vĩnh Long", "Bến Tre", "Trà Vinh"},
    "Đồng Tháp": {"Đồng Tháp", "Tiền Giang"}, "Cà Mau": {"Cà Mau", "Bạc Liêu"},
    "An Giang": {"An Giang", "Kiên Giang"},
}


def read(name: str, columns: list[str] | None = None) -> list[dict]:
    with open(DATA / name, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if columns is not None:
            assert reader.fieldnames == columns, name
        return list(reader)


def short(name_vi: str) -> str:
    for kind in ("Tỉnh ", "Thành phố "):
        if name_vi.startswith(kind):
            return name_vi[len(kind):]
    raise AssertionError(name_vi)


def by_code(rows: list[dict]) -> dict[str, dict]:
    return {r["code"]: r for r in rows}


BEFORE = read("provinces-before.csv", AGENCY_COLUMNS)
AFTER = read("provinces-after.csv", AGENCY_COLUMNS)
LINEAGE = read("provinces-2025.csv", LINEAGE_COLUMNS)


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.csv")))
def test_codes_and_names_are_valid(name):
    rows = read(name)
    assert rows
    codes = [r[c] for r in rows for c in ("code", "parent", "old_code", "new_code") if r.get(c)]
    assert all(set(c) <= CODE_CHARS and len(c) <= 40 for c in codes)
    for row in rows:
        for value in row.values():
            assert value == unicodedata.normalize("NFC", value) and value == value.strip()
        if "code" in row:
            assert row["name_vi"] and row["name_en"].isascii()
            assert row["unit_code"].isdigit()
            for col in ("valid_from", "valid_to"):
                assert row[col] in ("", "2025-06-30", "2025-07-01")
    if "code" in rows[0]:
        assert len({r["code"] for r in rows}) == len(rows)
        assert len({r["unit_code"] for r in rows}) == len(rows)


def test_63_provinces_before_and_34_after_with_the_statistics_office_codes():
    assert len(BEFORE) == 63 and len(AFTER) == 34
    for rows in (BEFORE, AFTER):
        assert {(r["block"], r["level"], r["parent"]) for r in rows} == {("provinces", "province", "")}
        assert all(len(r["unit_code"]) == 2 for r in rows)
    names = {short(r["name_vi"]): r["unit_code"] for r in BEFORE}
    assert (names["Hà Nội"], names["Hà Giang"], names["Hồ Chí Minh"], names["Cà Mau"]) == ("01", "02", "79", "96")
    assert {short(r["name_vi"]) for r in AFTER} == UNCHANGED | set(MERGED)


def test_the_11_unchanged_provinces_keep_one_open_agency_and_no_lineage():
    before, after = by_code(BEFORE), by_code(AFTER)
    kept = set(before) & set(after)
    assert {short(before[c]["name_vi"]) for c in kept} == UNCHANGED
    for code in kept:
        assert before[code] == after[code]
        assert before[code]["valid_from"] == before[code]["valid_to"] == ""
    lineage_codes = {r["old_code"] for r in LINEAGE} | {r["new_code"] for r in LINEAGE}
    assert not kept & lineage_codes


def test_every_merged_province_goes_whole_into_the_new_province_the_resolution_names():
    before, after = by_code(BEFORE), by_code(AFTER)
    targets = defaultdict(list)
    for row in LINEAGE:
        targets[row["old_code"]].append(row)
        assert row["effective_on"] == "2025-07-01"
        assert row["new_code"] in after and after[row["new_code"]]["valid_from"] == "2025-07-01"
        assert after[row["new_code"]]["code"] not in before
    merged_old = {c for c, r in before.items() if r["valid_to"]}
    assert set(targets) == merged_old and len(merged_old) == 52
    for old, rows in targets.items():
        assert len(rows) == 1 and sum(Fraction(r["share"]) for r in rows) == 1
        assert before[old]["valid_to"] == "2025-06-30"
    got = defaultdict(set)
    for row in LINEAGE:
        got[short(after[row["new_code"]]["name_vi"])].add(short(before[row["old_code"]]["name_vi"]))
    assert got == MERGED
    assert len(MERGED) == 23 and sum(map(len, MERGED.values())) + len(UNCHANGED) == 63


def test_commune_files_cover_every_old_and_new_commune_within_the_province_lineage():
    districts = by_code(read("districts-before.csv", AGENCY_COLUMNS))
    old = by_code(read("communes-before.csv", AGENCY_COLUMNS))
    new = by_code(read("communes-after.csv", AGENCY_COLUMNS))
    merges = read("communes-2025.csv", LINEAGE_COLUMNS)
    splits = read("communes-2025-splits.csv", [*LINEAGE_COLUMNS, "default_new"])
    assert (len(districts), len(old), len(new)) == (696, 10035, 3321)
    assert Counter(r["name_vi"].split(" ")[0] for r in new.values()) == {"Xã": 2621, "Phường": 687, "Đặc": 13}
    provinces_before, provinces_after = by_code(BEFORE), by_code(AFTER)
    assert all(d["parent"] in provinces_before and d["valid_to"] == "2025-06-30" for d in districts.values())
    assert all(c["parent"] in districts and c["valid_to"] == "2025-06-30" for c in old.values())
    assert all(c["parent"] in provinces_after and c["valid_from"] == "2025-07-01" for c in new.values())
    province_after = {r["old_code"]: r["new_code"] for r in LINEAGE} | {c: c for c in set(provinces_before)
                                                                       & set(provinces_after)}

    def province_of(code: str) -> str:
        district = districts[code] if code in districts else districts[old[code]["parent"]]
        return district["parent"]

    shares = defaultdict(Fraction)
    for row in merges:
        assert row["share"] == "1" and row["effective_on"] == "2025-07-01"
        shares[row["old_code"]] += 1
    assert set(shares.values()) == {1}
    split_parts = defaultdict(list)
    for row in splits:
        assert row["share"] == "" and row["effective_on"] == "2025-07-01"
        split_parts[row["old_code"]].append(row)
    assert all(len(p) >= 2 and sum(r["default_new"] == "1" for r in p) == 1 for p in split_parts.values())
    assert not set(shares) & set(split_parts)
    assert set(shares) | set(split_parts) == set(old) | {c for c in shares if c.startswith("D-")}
    assert sorted(c for c in shares if c.startswith("D-")) == ["D-318", "D-471", "D-498", "D-536", "D-755"]
    reached = set()
    for row in merges + splits:
        assert new[row["new_code"]]["parent"] == province_after[province_of(row["old_code"])]
        reached.add(row["new_code"])
    assert reached == set(new)


def test_the_province_files_import_through_the_agencies_importer(app):
    text = {name: (DATA / name).read_bytes() for name in ("provinces-before.csv", "provinces-after.csv")}
    assert agencies.import_csv(text["provinces-before.csv"]) == (63, 0)
    assert agencies.import_csv(text["provinces-after.csv"]) == (23, 11)
    db.session.commit()
    assert db.session.scalar(select(func.count(Agency.id))) == 63 + 23
    for day, expected in ((date(2025, 6, 30), 63), (date(2025, 7, 1), 34)):
        valid = db.session.scalars(select(Agency.code).where(agencies.valid_on(day))).all()
        assert len(valid) == expected
    hanoi = agencies.by_code("P-01")
    assert (hanoi.level, hanoi.unit_code, hanoi.valid_to, hanoi.block.code) == ("province", "01", None, "provinces")


@pytest.mark.slow
def test_the_commune_files_import_after_the_provinces(app):
    for name, expected in (("provinces-before.csv", 63), ("provinces-after.csv", 23),
                           ("districts-before.csv", 696), ("communes-before.csv", 10035),
                           ("communes-after.csv", 3321)):
        created, _updated = agencies.import_csv((DATA / name).read_bytes())
        assert created == expected, name
    db.session.commit()
    on = {day: db.session.scalar(select(func.count(Agency.id)).where(agencies.valid_on(day), Agency.level == "commune"))
          for day in (date(2025, 6, 30), date(2025, 7, 1))}
    assert on == {date(2025, 6, 30): 10035, date(2025, 7, 1): 3321}


def test_applying_provinces_2025_ends_52_provinces_and_leaves_34(app):
    for name in ("provinces-before.csv", "provinces-after.csv"):
        agencies.import_csv((DATA / name).read_bytes())
    plan = reorganise.apply((DATA / "provinces-2025.csv").read_bytes())
    db.session.commit()
    assert len(plan.rows) == 52 and not plan.starts  # the new units carry their start already
    assert {end for _before, end in plan.ends.values()} == {date(2025, 6, 30)}
    assert db.session.scalar(select(func.count(AgencyLineage.id))) == 52
    valid = set(db.session.scalars(select(Agency.code).where(agencies.valid_on(date(2025, 7, 1)))))
    assert valid == {r["code"] for r in AFTER}
    with pytest.raises(ImportRejected):  # a second application: every old province was reorganised already
        reorganise.plan((DATA / "provinces-2025.csv").read_bytes())
    into_hcm = {e.old for e in reorganise.edges() if e.new == "P25-79"}
    assert into_hcm == {"P-74", "P-77", "P-79"}


@pytest.mark.slow
def test_applying_communes_2025_after_the_provinces(app):
    for name in ("provinces-before.csv", "provinces-after.csv", "districts-before.csv", "communes-before.csv",
                 "communes-after.csv"):
        agencies.import_csv((DATA / name).read_bytes())
    reorganise.apply((DATA / "provinces-2025.csv").read_bytes())
    plan = reorganise.apply((DATA / "communes-2025.csv").read_bytes())
    db.session.commit()
    assert len(plan.rows) == 9569 and not plan.starts
    assert db.session.scalar(select(func.count(AgencyLineage.id))) == 52 + 9569
    successors = defaultdict(set)
    for edge in reorganise.edges():
        successors[edge.old].add(edge.new)
    assert successors["C-00001"] == {"C25-00097"} and successors["D-755"] == {"C25-26732"}  # Côn Đảo
    splits = read("communes-2025-splits.csv")
    assert not {r["old_code"] for r in splits} & set(successors)  # split communes wait for their shares
    lines = ["old_code,new_code,share,effective_on"] + [",".join(r[c] for c in LINEAGE_COLUMNS) for r in splits[:2]]
    with pytest.raises(ImportRejected) as refused:  # blank shares are refused, line and column named
        reorganise.plan("\n".join(lines) + "\n")
    assert {(e.line, e.column) for e in refused.value.errors} == {(2, "share"), (3, "share")}
    first = [r for r in splits if r["old_code"] == splits[0]["old_code"]]
    filled = "".join(f"{r['old_code']},{r['new_code']},{1 / len(first)!r},{r['effective_on']}\n" for r in first)
    plan = reorganise.plan("old_code,new_code,share,effective_on\n" + filled)  # shares filled in: accepted
    assert sorted(plan.successors()[first[0]["old_code"]]) == sorted((r["new_code"], 1 / len(first)) for r in first)
