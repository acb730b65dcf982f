"""QR codes for invitation links: PNG and SVG from segno, written beside the CSV by the CLI."""
from __future__ import annotations

import csv
import io

import pytest
import segno  # noqa: F401  (the library the service uses)

from app.extensions import db
from app.shared import qr
from tests import factories


@pytest.fixture
def wave(app):
    item = factories.wave()
    db.session.commit()
    return item


def test_png_and_svg_encode_the_link():
    url = "https://survey.example.gov.vn/s/abcdefghijklmnopqrstuvwxyz012345"
    assert qr.png(url).startswith(b"\x89PNG\r\n\x1a\n")
    svg = qr.svg(url).decode()
    assert svg.startswith("<svg") and "<path" in svg


def test_cli_writes_a_qr_code_per_link_without_the_token_in_file_names(runner, wave, tmp_path):
    out = tmp_path / "links.csv"
    result = runner.invoke(args=["invitations", "issue", "--wave", wave.slug, "--agency", "A1", "--count", "3",
                                 "--output", str(out), "--qr-dir", str(tmp_path / "qr")])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert list(rows[0])[:3] == ["url", "agency", "expires_at"] and len(rows) == 3
    for row in rows:
        token = row["url"].rsplit("/", 1)[1]
        assert token not in row["qr_png"] and token not in row["qr_svg"]
        assert (tmp_path / "qr" / row["qr_png"]).read_bytes().startswith(b"\x89PNG")
        assert (tmp_path / "qr" / row["qr_svg"]).read_text().startswith("<svg")


def test_cli_without_qr_dir_keeps_the_contract_columns(runner, wave):
    result = runner.invoke(args=["invitations", "issue", "--wave", wave.slug, "--agency", "A1", "--count", "1"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "url,agency,expires_at"
