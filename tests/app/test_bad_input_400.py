"""Deep JSON, lone surrogates and oversized CSV fields are 400 with a message, never a 500."""
from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Agency, Response
from app.programme.questionnaires import questionnaire_of
from tests import factories


def stored() -> int:
    return db.session.scalar(select(func.count(Response.id)))


@pytest.mark.parametrize("depth", [50, 5000, 100_000])
def test_deeply_nested_json_is_400_naming_the_limit(client, token, depth):
    raw = b'{"invitation": "%s", "answers": {"comments": ' % token.encode() + b"[" * depth + b"]" * depth + b"}}"
    response = client.post("/api/v1/responses", data=raw, content_type="application/json")
    assert response.status_code in (400, 413)
    if len(raw) < 64 * 1024:
        assert response.status_code == 400 and "nested deeper" in response.get_json()["errors"][0]["message"]
    assert stored() == 0


def test_deep_json_on_the_token_endpoint_is_400(client):
    raw = b'{"email": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"
    assert client.post("/api/v1/auth/token", data=raw, content_type="application/json").status_code == 400


def test_a_lone_surrogate_in_a_comment_is_400_naming_the_field(client, wave, token):
    answers = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    # json.dumps writes the lone surrogate as the escape \ud800, as a client's encoder would.
    raw = json.dumps({"invitation": token, "answers": dict(answers, comments="abc\ud800def")})
    assert "\\ud800" in raw
    response = client.post("/api/v1/responses", data=raw.encode(), content_type="application/json")
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.get_json()["errors"][0]
    assert error["field"] == "answers.comments" and "surrogate" in error["message"]
    assert stored() == 0
    # The invitation was not used up: the corrected answer is stored.
    fixed = client.post("/api/v1/responses", json={"invitation": token, "answers": dict(answers, comments="ok")})
    assert fixed.status_code == 201 and stored() == 1


def test_a_csv_field_over_128_kb_is_400_naming_the_line(client, login_as):
    login_as("admin")
    data = ("code,name_vi,name_en,block\nA1,Một,One,departments\nA2,\"" + "x" * 140_000 + "\",Two,departments\n")
    response = client.post("/admin/agencies/import", data={"file": (io.BytesIO(data.encode()), "a.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "<td>3</td>" in text and "128 KB" in text
    assert db.session.scalar(select(func.count(Agency.id))) == 0
