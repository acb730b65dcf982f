"""The .sav export tells "not applicable" from "not shown" (user-missing codes with labels), gives
every variable its measure level and splits multiple-choice answers into 0/1 columns."""
from __future__ import annotations

import csv
import io

from app.collect import store
from app.extensions import db
from app.programme.questionnaires import questionnaire_of
from app.review import exchange
from app.review.savfile import NOT_APPLICABLE_CODE, NOT_SHOWN_CODE
from tests import factories


def three_responses():
    wave = factories.wave("w1")
    agency = wave.agencies[0]
    questionnaire = questionnaire_of(wave.survey_version)
    base = factories.satisfied_answers(questionnaire)
    stored = [
        store.store(wave, agency, {**base, "f1_1": "na"}, channel="paper", language="vi"),
        store.store(wave, agency, {**base, "harassed": 1, "harassment_kinds": [1, 99]},
                        channel="paper", language="vi"),
        store.store(wave, agency, {**base, "f1_2": 2}, channel="paper", language="vi"),
    ]
    db.session.commit()
    return wave, [r.id for r in stored]


def test_sav_user_missing_codes_measures_and_split_columns(app, runner, tmp_path):
    import pyreadstat

    wave, ids = three_responses()
    path = tmp_path / "w1.sav"
    result = runner.invoke(args=["responses", "export", "--wave", "w1", "--format", "sav", "--output", str(path)])
    assert result.exit_code == 0, result.output
    frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    frame = frame.set_index("response_id")
    # "not applicable" and "not shown" are distinct user-missing codes, labelled
    assert frame.loc[ids[0], "f1_1"] == NOT_APPLICABLE_CODE
    assert frame.loc[ids[0], "harassment_kinds_1"] == NOT_SHOWN_CODE  # harassed = no: never shown
    assert frame.loc[ids[2], "f1_2"] == 2.0
    assert sorted(r["lo"] for r in meta.missing_ranges["f1_1"]) == [NOT_SHOWN_CODE, NOT_APPLICABLE_CODE]
    assert [r["lo"] for r in meta.missing_ranges["harassment_kinds_1"]] == [NOT_SHOWN_CODE]
    assert meta.variable_value_labels["f1_1"][NOT_APPLICABLE_CODE].startswith("Không áp dụng")
    assert meta.variable_value_labels["f1_1"][NOT_SHOWN_CODE].startswith("Không hiển thị")
    # SPSS (and pyreadstat by default) leave user-missing values out: blank as in the ⚑ contract
    plain, _ = pyreadstat.read_sav(str(path))
    assert plain.set_index("response_id")[["f1_1", "harassment_kinds_1"]].loc[ids[0]].isna().all()
    # measure levels
    measures = meta.variable_measure
    assert measures["f1_1"] == "ordinal" and measures["harassed"] == "nominal"
    assert measures["visits"] == "nominal" and measures["weight"] == "scale"
    assert measures["harassment_kinds_99"] == "nominal"
    # multiple choice: the contract's column kept, 0/1 columns after the export's own
    assert frame.loc[ids[1], "harassment_kinds"] == "1 99"
    assert [frame.loc[ids[1], f"harassment_kinds_{v}"] for v in (1, 2, 3, 4, 99)] == [1, 0, 0, 0, 1]
    contract = exchange.export_table(wave).columns.tolist()
    assert meta.column_names[:len(contract)] == contract
    assert meta.column_names[len(contract):] == [f"harassment_kinds_{v}" for v in (1, 2, 3, 4, 99)]
    assert meta.column_names_to_labels["harassment_kinds_99"].endswith("| Hình thức khác")


def test_csv_keeps_one_column_per_question_with_blanks(app):
    wave, ids = three_responses()
    rows = {int(r["response_id"]): r for r in csv.DictReader(io.StringIO(
        exchange.export_bytes(wave, "csv").decode("utf-8")))}
    assert rows[ids[0]]["f1_1"] == "" and rows[ids[1]]["harassment_kinds"] == "1 99"
    assert "harassment_kinds_1" not in rows[ids[0]]


def test_number_questions_are_scale_and_keep_system_missing(app, runner, tmp_path):
    import pyreadstat

    wave = factories.wave("w2", survey="per-case-61")
    base = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    store.store(wave, wave.agencies[0], {**base, "visits": 3}, channel="paper", language="vi")
    store.store(wave, wave.agencies[0], {k: v for k, v in base.items() if k != "visits"},
                    channel="paper", language="vi")
    db.session.commit()
    path = tmp_path / "w2.sav"
    assert runner.invoke(args=["responses", "export", "--wave", "w2", "--format", "sav",
                               "--output", str(path)]).exit_code == 0
    frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    assert meta.variable_measure["visits"] == "scale" and "visits" not in meta.missing_ranges
    assert sorted(frame["visits"].fillna(-9).tolist()) == [-9, 3]
