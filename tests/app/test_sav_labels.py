"""SPSS keeps 256 bytes of a variable label and 120 of a value label: longer ones are cut at a
character boundary and every cut is reported (command line, the file's notes, the codebook)."""
from __future__ import annotations

import csv
import io
from datetime import date

from app.collect import store
from app.extensions import db
from app.models import Wave
from app.programme import questionnaires
from app.programme.questionnaires import questionnaire_of
from app.review import cleaning
from survey_definitions import shipped
from tests import factories

LONG_TEXT = "Ông/Bà có nhận được kết quả giải quyết hồ sơ đúng hẹn không, " * 6  # about 400 bytes
LONG_LABEL = "Rất hài lòng với thái độ và cách giải quyết hồ sơ của cán bộ " * 3  # about 220 bytes


def long_label_wave() -> Wave:
    path = next(p for p in shipped() if p.name == "per-case-61.v1.yaml")
    source = path.read_text(encoding="utf-8").replace("id: per-case-61", "id: long-labels", 1)
    source = source.replace("vi: Ông/Bà có nhận được kết quả đúng hẹn không?", f"vi: {LONG_TEXT.strip()}", 1)
    source = source.replace("{vi: Rất hài lòng, en: Very satisfied}", f"{{vi: {LONG_LABEL.strip()}, en: Very satisfied}}", 1)
    version, _ = questionnaires.publish_source(source, "long-labels.v1.yaml")
    wave = Wave(slug="long", name_vi="Đợt dài", name_en="Long wave", survey_version=version,
                period_start=date(2026, 1, 1), period_end=date(2026, 12, 31), status="open",
                channels=["paper"], settings={})
    wave.agencies = [factories.agency()]
    db.session.add(wave)
    db.session.flush()
    answers = factories.satisfied_answers(questionnaire_of(version))
    for _ in range(3):
        store.store(wave, wave.agencies[0], answers, channel="paper", language="vi")
    db.session.commit()
    return wave


def test_long_spss_labels_are_cut_whole_characters_and_reported(app, runner, tmp_path):
    import pyreadstat

    wave = long_label_wave()
    path = tmp_path / "export.sav"
    result = runner.invoke(args=["responses", "export", "--wave", "long", "--format", "sav", "--output", str(path)])
    assert result.exit_code == 0, result.output
    said = result.output + (getattr(result, "stderr", "") or "")
    assert "warning: on_time: variable label is" in said and "SPSS keeps 256" in said
    assert "value label 3" in said and "SPSS keeps 120" in said
    frame, meta = pyreadstat.read_sav(str(path))
    label = meta.column_names_to_labels["on_time"]
    assert LONG_TEXT.startswith(label) and len(label.encode("utf-8")) <= 256  # whole characters only
    value = next(v for m in meta.variable_value_labels.values() for k, v in m.items() if k == 3.0)
    assert LONG_LABEL.startswith(value) and len(value.encode("utf-8")) <= 120
    assert any("on_time" in note for note in meta.notes)  # the file says so too
    codebook = {row["column"]: row for row in csv.DictReader(io.StringIO(cleaning.codebook_csv(wave, "vi")))}
    assert "SPSS keeps 256" in codebook["on_time"]["spss_note"]
    assert codebook["visits"]["spss_note"] == ""


def test_labels_that_fit_are_not_reported(app, runner, tmp_path):
    factories.demo_wave(responses=30)
    result = runner.invoke(args=["responses", "export", "--wave", "demo", "--format", "sav",
                                 "--output", str(tmp_path / "x.sav")])
    assert result.exit_code == 0 and "warning" not in result.output
