"""Administrators' CSV uploads are refused past their row limits, before the rows are processed."""
from __future__ import annotations

import io

from sqlalchemy import func, select

from app.extensions import db
from app.models import Agency, FrameCount
from app.shared import upload_bounds
from tests import factories


def upload(client, path: str, text: str):
    return client.post(path, data={"file": (io.BytesIO(text.encode()), "f.csv")}, content_type="multipart/form-data")


def test_an_agency_file_over_the_row_limit_is_refused_naming_it(client, login_as):
    login_as("admin")
    limit = upload_bounds.MAX_AGENCY_ROWS
    text = "code,name_vi,name_en,block\n" + "".join(f"A{i},Cơ quan {i},Agency {i},departments\n"
                                                    for i in range(limit + 1))
    response = upload(client, "/admin/agencies/import", text)
    assert response.status_code == 400 and f"tối đa {limit:,} cơ quan mỗi tệp".replace(",", ".") in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Agency.id))) == 0


def test_quoted_line_breaks_do_not_count_as_rows(client, login_as):
    login_as("admin")
    text = "code,name_vi,name_en,block\n" + "".join(f'A{i},"Cơ quan\n{i}",Agency {i},departments\n'
                                                    for i in range(upload_bounds.MAX_AGENCY_ROWS // 2 + 10))
    response = upload(client, "/admin/agencies/import", text)
    assert "cơ quan mỗi tệp" not in response.get_data(as_text=True)


def test_frame_counts_and_margins_over_their_limits_are_refused(client, login_as):
    login_as("admin")
    wave = factories.wave(agency_list=[factories.agency("A1")])
    db.session.commit()
    rows = "agency,stratum,transactions\n" + "".join(f"A1,s{i},1\n" for i in range(upload_bounds.MAX_FRAME_ROWS + 5))
    response = upload(client, f"/admin/waves/{wave.slug}/frame", rows)
    assert response.status_code == 400 and "dòng số hồ sơ (khung mẫu) mỗi tệp" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(FrameCount.id))) == 0
    margins = "variable,category,total\n" + "".join(f"agency,A{i},1\n" for i in range(upload_bounds.MAX_MARGIN_ROWS + 5))
    response = upload(client, f"/admin/waves/{wave.slug}/margins", margins)
    assert response.status_code == 400 and "dòng tổng biên mỗi tệp" in response.get_data(as_text=True)
