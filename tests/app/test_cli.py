"""The Flask CLI of the contract, run through Click's runner against the real database."""
from __future__ import annotations

import csv

from sqlalchemy import func, select

from app.extensions import db
from app.models import Agency, Invitation, Response, SurveyVersion, User, Wave
from tests import factories

BROKEN = "id: broken\nversion: 1\ntitle: {vi: 'x', en: 'x'}\nsections:\n  - code: [unclosed\n"


def test_validate_names_the_line_of_a_yaml_syntax_error(runner, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    result = runner.invoke(args=["survey", "validate", str(path)])
    assert result.exit_code != 0
    assert "broken.yaml:5" in result.output or "broken.yaml:6" in result.output


def test_validate_reports_every_problem_with_line_and_field(runner, tmp_path):
    source = (factories.published().source
              .replace("scale: satisfaction", "scale: nonexistent", 1))
    path = tmp_path / "sipas-2017.v1.yaml"
    path.write_text(source)
    result = runner.invoke(args=["survey", "validate", str(path)])
    assert result.exit_code == 1
    line = next(i for i, text in enumerate(source.splitlines(), 1) if "scale: nonexistent" in text)
    assert f"sipas-2017.v1.yaml:{line}:" in result.output
    assert "nonexistent" in result.output


def test_shipped_questionnaires_validate(runner):
    import survey_definitions

    result = runner.invoke(args=["survey", "validate", *map(str, survey_definitions.shipped())])
    assert result.exit_code == 0, result.output


def test_publish_is_idempotent_and_refuses_a_changed_published_file(runner, tmp_path):
    import survey_definitions

    original = next(p for p in survey_definitions.shipped() if p.name.startswith("sipas-2017"))
    assert runner.invoke(args=["survey", "publish", str(original)]).exit_code == 0
    again = runner.invoke(args=["survey", "publish", str(original)])
    assert again.exit_code == 0 and "unchanged" in again.output
    changed = tmp_path / original.name
    changed.write_text(original.read_text().replace("Rất hài lòng", "Rất rất hài lòng", 1))
    refused = runner.invoke(args=["survey", "publish", str(changed)])
    assert refused.exit_code == 1
    assert "already published" in refused.output and ".v2.yaml" in refused.output
    stored = db.session.scalars(select(SurveyVersion)).all()
    assert len(stored) == 1 and "Rất rất" not in stored[0].source


def test_agencies_import_creates_and_updates(runner, tmp_path):
    path = tmp_path / "agencies.csv"
    path.write_text("code,name_vi,name_en,block,parent,level\nSNV,Sở Nội vụ,Home Affairs,departments,,department\n"
                    "HL,UBND Hạ Long,Ha Long,districts,,district\nHL-P1,Phường 1,Ward 1,districts,HL,commune\n")
    result = runner.invoke(args=["agencies", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Agency).where(Agency.code == "HL-P1")).parent.code == "HL"
    path.write_text("code,name_vi,name_en,block\nSNV,Sở Nội vụ tỉnh,Home Affairs,departments\n")
    assert runner.invoke(args=["agencies", "import", str(path)]).exit_code == 0
    assert db.session.scalar(select(Agency.name_vi).where(Agency.code == "SNV")) == "Sở Nội vụ tỉnh"


def test_agencies_import_rejects_the_whole_file_naming_lines(runner, tmp_path):
    path = tmp_path / "agencies.csv"
    path.write_text("code,name_vi,name_en,block,parent,level\nOK1,Một,One,departments,,department\n"
                    "bad code!,Hai,Two,departments,,department\nOK3,,Three,departments,NOPE,x\n")
    result = runner.invoke(args=["agencies", "import", str(path)])
    assert result.exit_code == 1
    assert "line 3, column 'code'" in result.output
    assert "line 4, column 'name_vi'" in result.output
    assert "line 4, column 'parent'" in result.output and "line 4, column 'level'" in result.output
    assert db.session.scalar(select(func.count(Agency.id))) == 0


def test_users_create_reads_the_password_from_stdin(runner):
    result = runner.invoke(args=["users", "create", "Head@Example.org", "--role", "admin", "--password-stdin"],
                           input="correct horse battery\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User))
    assert user.email == "head@example.org"
    assert "correct horse" not in user.password_hash and user.password_hash.startswith("$argon2")


def test_users_create_rejects_agency_role_without_agency_and_short_passwords(runner):
    result = runner.invoke(args=["users", "create", "a@example.org", "--role", "agency", "--password-stdin"],
                           input="long enough password\n")
    assert result.exit_code == 1 and "agency" in result.output
    result = runner.invoke(args=["users", "create", "b@example.org", "--role", "admin", "--password-stdin"],
                           input="short\n")
    assert result.exit_code == 1 and "password" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_invitations_issue_writes_urls_and_stores_only_hashes(runner, tmp_path):
    wave = factories.wave()
    db.session.commit()
    out = tmp_path / "inv.csv"
    result = runner.invoke(args=["invitations", "issue", "--wave", wave.slug, "--agency", "A1", "--count", "5",
                                 "--output", str(out)])
    assert result.exit_code == 0, result.output
    urls = [row["url"] for row in csv.DictReader(out.open())]
    assert len(urls) == 5 and all("/s/" in url for url in urls)
    tokens = [url.rsplit("/", 1)[1] for url in urls]
    assert all(len(token) >= 22 for token in tokens)  # ≥ 128 bits in URL-safe base64
    stored = db.session.scalars(select(Invitation.token_hash)).all()
    assert len(stored) == 5 and not set(tokens) & set(stored)


def test_invitations_issue_refuses_an_agency_outside_the_wave(runner):
    factories.wave()
    factories.agency("OTHER")
    db.session.commit()
    result = runner.invoke(args=["invitations", "issue", "--wave", "w1", "--agency", "OTHER", "--count", "1"])
    assert result.exit_code == 1 and "not in the scope" in result.output


def test_demo_seed_builds_a_province_and_is_idempotent(runner, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "Demo-password-1")
    result = runner.invoke(args=["demo", "seed", "--responses", "400"])
    assert result.exit_code == 0, result.output
    assert "41 agencies, wave 'demo'" in result.output
    assert "'demo-hy-2023' (21 agencies" in result.output and "'demo-tb-2024'" in result.output
    # today's 41 units and the two old provinces' 21 each (app/demo_units.py)
    assert db.session.scalar(select(func.count(Agency.id))) == 41 + 2 * 21
    demo_id = db.session.scalar(select(Wave.id).where(Wave.slug == "demo"))
    count = db.session.scalar(select(func.count(Response.id)).where(Response.wave_id == demo_id))
    assert 390 <= count <= 460
    total = db.session.scalar(select(func.count(Response.id)))
    again = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert "nothing to do" in again.output
    assert db.session.scalar(select(func.count(Response.id))) == total
    twice = runner.invoke(args=["demo", "seed", "--responses", "400"])
    assert twice.exit_code == 0 and "0 lineage rows recorded now" in twice.output
    assert db.session.scalar(select(func.count(Response.id))) == total


def test_demo_seed_without_history_is_the_single_wave_demo(runner, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "Demo-password-1")
    result = runner.invoke(args=["demo", "seed", "--responses", "200", "--no-history"])
    assert result.exit_code == 0, result.output
    assert "history" not in result.output
    assert db.session.scalar(select(func.count(Agency.id))) == 41
    assert db.session.scalars(select(Wave.slug)).all() == ["demo"]


def test_export_then_import_into_an_empty_wave_reproduces_every_answer(runner, tmp_path):
    source = factories.demo_wave(responses=300)
    target = factories.wave("copy", agency_list=list(source.agencies))
    db.session.commit()
    first = tmp_path / "export.csv"
    assert runner.invoke(args=["responses", "export", "--wave", "demo", "--format", "csv",
                               "--output", str(first)]).exit_code == 0
    result = runner.invoke(args=["responses", "import", "--wave", "copy", str(first)])
    assert result.exit_code == 0, result.output

    def answers(wave_id):
        rows = db.session.execute(select(Response.agency_id, Response.channel, Response.language,
                                         Response.submitted_on, Response.answers, Response.coded)
                                  .where(Response.wave_id == wave_id)).all()
        return sorted((tuple(r[:4]), sorted(r.answers.items()), r.coded) for r in rows)

    assert answers(target.id) == answers(source.id)
    assert sum(len(a) for _, a, _ in answers(source.id)) > 300 * 30


def test_import_rejects_the_file_naming_line_and_column(runner, tmp_path):
    wave = factories.wave()
    db.session.commit()
    path = tmp_path / "bad.csv"
    path.write_text("agency,channel,f1_1,f1_2,zzz\nA1,paper,5,4,\nA1,paper,9,4,\nNOPE,fax,5,5,\n")
    result = runner.invoke(args=["responses", "import", "--wave", wave.slug, str(path)])
    assert result.exit_code == 1
    assert "line 1, column 'zzz'" in result.output
    assert "line 3, column 'f1_1'" in result.output
    assert "line 4, column 'agency'" in result.output and "line 4, column 'channel'" in result.output
    assert db.session.scalar(select(func.count(Response.id))) == 0


def test_xlsx_export_imports_back_with_the_same_answers(runner, tmp_path):
    source = factories.demo_wave(responses=120)
    target = factories.wave("copy", agency_list=list(source.agencies))
    db.session.commit()
    book = tmp_path / "export.xlsx"
    assert runner.invoke(args=["responses", "export", "--wave", "demo", "--format", "xlsx",
                               "--output", str(book)]).exit_code == 0
    result = runner.invoke(args=["responses", "import", "--wave", "copy", str(book)])
    assert result.exit_code == 0, result.output
    def documents(wave_id):
        return sorted(repr(sorted(a.items())) for a in db.session.scalars(select(Response.answers)
                                                                          .where(Response.wave_id == wave_id)))

    assert documents(target.id) == documents(source.id) and len(documents(source.id)) >= 120


def test_sav_export_carries_value_labels(runner, tmp_path):
    import pyreadstat

    factories.demo_wave(responses=120)
    path = tmp_path / "export.sav"
    assert runner.invoke(args=["responses", "export", "--wave", "demo", "--format", "sav",
                               "--output", str(path)]).exit_code == 0
    frame, meta = pyreadstat.read_sav(str(path))
    assert len(frame) >= 100 and "f1_1" in frame.columns
    assert meta.variable_value_labels["f1_1"][5.0] == "Rất hài lòng"
