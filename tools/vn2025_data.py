"""Write app/programme/data/vn2025/*.csv from the vietnamadminunits wheel (MIT), once, offline.

    pip download vietnamadminunits==1.0.4 --no-deps -d /tmp/vau
    python tools/vn2025_data.py /tmp/vau/vietnamadminunits-1.0.4-py3-none-any.whl

Reads only the wheel's data/dataset.db (names and statistics-office codes of the 63-province and
34-province units) and data/converter_2025.json (which old units went into which new ones). The
package's coordinates and areas (partly from Google geocoding) are not copied.
"""
from __future__ import annotations

import csv
import json
import sqlite3
import sys
import tempfile
import unicodedata
import zipfile
from pathlib import Path

SOURCE = "vietnamadminunits", "1.0.4"
OUT = Path(__file__).resolve().parent.parent / "app" / "programme" / "data" / "vn2025"
EFFECTIVE, LAST_DAY = "2025-07-01", "2025-06-30"
AGENCY = ("code", "name_vi", "name_en", "block", "parent", "level", "unit_code", "one_stop_code",
          "valid_from", "valid_to")
LINEAGE = ("old_code", "new_code", "share", "effective_on")
# Vietnamese unit type -> English suffix (a number-only name puts it first: "Phường 1" -> "Ward 1").
TYPES_EN = {"Tỉnh": "Province", "Thành phố": "City", "Quận": "District", "Huyện": "District",
            "Thị xã": "Town", "Xã": "Commune", "Phường": "Ward", "Thị trấn": "Township",
            "Đặc khu": "Special Zone"}


def ascii_name(text: str) -> str:
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))


def name_en(kind: str, short: str) -> str:
    suffix, number = TYPES_EN[kind], short.removeprefix(f"{kind} ")
    return f"{suffix} {number}" if number.isdigit() else f"{ascii_name(short)} {suffix}"


def province_kind(full: str) -> str:
    return "Thành phố" if full.startswith("Thành phố") else "Tỉnh"


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


def agency(code, vi, en, block, parent, level, unit, valid_from="", valid_to=""):
    return dict(zip(AGENCY, (code, nfc(vi), en, block, parent, level, unit, "", valid_from, valid_to),
                    strict=True))


def write(name: str, columns, rows) -> None:
    with open(OUT / name, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{name}: {len(rows)} rows")


def load(wheel: str):
    with zipfile.ZipFile(wheel) as archive, tempfile.TemporaryDirectory() as tmp:
        meta = archive.read(f"{SOURCE[0]}-{SOURCE[1]}.dist-info/METADATA").decode()
        assert f"Version: {SOURCE[1]}" in meta and "MIT License" in meta, "unexpected wheel"
        converter = json.loads(archive.read("vietnamadminunits/data/converter_2025.json"))
        db_path = Path(archive.extract("vietnamadminunits/data/dataset.db", tmp))
        with sqlite3.connect(db_path) as conn:
            conn.row_factory = sqlite3.Row
            old = [dict(r) for r in conn.execute("SELECT * FROM admin_units_legacy ORDER BY wardCode")]
            new = [dict(r) for r in conn.execute("SELECT * FROM admin_units ORDER BY wardCode")]
    return old, new, converter


def main(wheel: str) -> None:
    old, new, converter = load(wheel)
    # provinces: P-<code> before; a merged province is a new unit P25-<code> from 1 July 2025;
    # the 11 unchanged keep their P-<code> agency, open-ended, in both files and get no lineage row.
    old_prov = {r["provinceKey"]: r for r in old}
    new_prov = {r["provinceKey"]: r for r in new}
    unchanged = {k for k, olds in converter["DICT_PROVINCE"].items() if olds == [k]}
    for key in unchanged:
        assert old_prov[key]["province"] == new_prov[key]["province"], key
        assert old_prov[key]["provinceCode"] == new_prov[key]["provinceCode"], key
    old_code = {k: f"P-{r['provinceCode']}" for k, r in old_prov.items()}
    new_code = {k: (old_code[k] if k in unchanged else f"P25-{r['provinceCode']}") for k, r in new_prov.items()}

    def province_row(key, r, code, valid_from, valid_to):
        kind = province_kind(r["province"])
        return agency(code, r["province"], name_en(kind, r["provinceShort"]), "provinces", "", "province",
                      r["provinceCode"], valid_from, valid_to)

    before = [province_row(k, r, old_code[k], "", "" if k in unchanged else LAST_DAY)
              for k, r in sorted(old_prov.items(), key=lambda kv: kv[1]["provinceCode"])]
    after = [province_row(k, r, new_code[k], "" if k in unchanged else EFFECTIVE, "")
             for k, r in sorted(new_prov.items(), key=lambda kv: kv[1]["provinceCode"])]
    lineage = [dict(zip(LINEAGE, (old_code[o], new_code[n], "1", EFFECTIVE), strict=True))
               for n, olds in converter["DICT_PROVINCE"].items() if n not in unchanged for o in olds]
    lineage.sort(key=lambda r: r["old_code"])
    assert (len(before), len(after), len(unchanged)) == (63, 34, 11)
    OUT.mkdir(parents=True, exist_ok=True)
    write("provinces-before.csv", AGENCY, before)
    write("provinces-after.csv", AGENCY, after)
    write("provinces-2025.csv", LINEAGE, lineage)

    # districts (all abolished; parents of the old communes) and communes
    districts, communes_before, old_unit = {}, [], {}
    for r in old:
        key = f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey'] or ''}"
        dcode = f"D-{r['districtCode']}"
        districts.setdefault(dcode, agency(dcode, r["district"], name_en(r["districtType"], r["districtShort"]),
                                           "districts", old_code[r["provinceKey"]], "district",
                                           r["districtCode"], "", LAST_DAY))
        if r["wardCode"] is None:  # an island district without communes: its special zone succeeds it
            old_unit[key] = dcode
            continue
        old_unit[key] = f"C-{r['wardCode']}"
        communes_before.append(agency(old_unit[key], r["ward"], name_en(r["wardType"], r["wardShort"]),
                                      "communes", dcode, "commune", r["wardCode"], "", LAST_DAY))
    new_unit = {(r["provinceKey"], r["wardKey"]): f"C25-{r['wardCode']}" for r in new}
    communes_after = [agency(f"C25-{r['wardCode']}", r["ward"], name_en(r["wardType"], r["wardShort"]),
                             "communes", new_code[r["provinceKey"]], "commune", r["wardCode"], EFFECTIVE, "")
                      for r in new]
    merges = [dict(zip(LINEAGE, (old_unit[o], new_unit[(p, n)], "1", EFFECTIVE), strict=True))
              for p, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items()
              for n, olds in wards.items() for o in olds]
    splits = [dict(zip(LINEAGE, (old_unit[o], new_unit[(p, part["newWardKey"])], "", EFFECTIVE), strict=True))
              | {"default_new": "1" if part["isDefaultNewWard"] else ""}
              for p, wards in converter["DICT_PROVINCE_WARD_DIVIDED"].items()
              for o, parts in wards.items() for part in parts]
    merges.sort(key=lambda r: (r["old_code"], r["new_code"]))
    splits.sort(key=lambda r: (r["old_code"], r["new_code"]))
    assert {r["old_code"] for r in merges} | {r["old_code"] for r in splits} == set(old_unit.values())
    assert not {r["old_code"] for r in merges} & {r["old_code"] for r in splits}
    write("districts-before.csv", AGENCY, sorted(districts.values(), key=lambda r: r["code"]))
    write("communes-before.csv", AGENCY, communes_before)
    write("communes-after.csv", AGENCY, communes_after)
    write("communes-2025.csv", LINEAGE, merges)
    write("communes-2025-splits.csv", (*LINEAGE, "default_new"), splits)


if __name__ == "__main__":
    main(sys.argv[1])
