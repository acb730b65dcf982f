"""``python -m survey_definitions``: validates files and exits non-zero naming the line."""

from __future__ import annotations

from survey_definitions.__main__ import main


def test_shipped_files_are_ok(capsys):
    assert main([]) == 0
    assert capsys.readouterr().out.count(": ok (") == 4  # sipas-2017, sipas-2022, per-case-61, per-case-118


def test_broken_file_names_its_line(tmp_path, capsys):
    bad = tmp_path / "broken.yaml"
    bad.write_text("id: broken\nversion: 1\ntitle: {vi: 'x', en: 'x'}\nsections:\n  - code: [unclosed\n")
    assert main([str(bad), str(tmp_path / "missing.yaml")]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:6: YAML syntax error" in err
    assert "missing.yaml: No such file" in err
