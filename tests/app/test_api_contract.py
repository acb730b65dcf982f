"""The API description matches the implementation; auth tokens; estimates equal the analysis CLI."""
from __future__ import annotations

import csv
import io
import subprocess
import sys

import pytest

from app.accounts.tokens import create_api_key
from app.extensions import db
from tests import factories


def flask_path(rule: str) -> str:
    return rule.replace("<", "{").replace(">", "}")


def test_openapi_describes_every_api_route_and_nothing_else(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    implemented = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            implemented.setdefault(flask_path(rule.rule), set()).update(
                m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})  # one path may have several rules
    documented = {path: set(ops) for path, ops in spec["paths"].items()}
    assert documented == implemented


def test_every_documented_response_shape_is_declared(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation["responses"], (path, method)
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Errors"}


def test_auth_token_then_estimates_with_bearer(client, make_user):
    factories.demo_wave(responses=400)
    user, password = make_user("official")
    token = client.post("/api/v1/auth/token", json={"email": user.email, "password": password}).get_json()
    assert set(token) == {"token", "expires_at"}
    assert client.get("/api/v1/waves/demo/estimates?by=agency").status_code == 401
    bad = client.get("/api/v1/waves/demo/estimates", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    ok = client.get("/api/v1/waves/demo/estimates?by=agency", headers={"Authorization": f"Bearer {token['token']}"})
    assert ok.status_code == 200
    rows = ok.get_json()["rows"]
    assert {r["measure"] for r in rows} >= {"f1_1", "F1", "overall"}
    auth = {"Authorization": f"Bearer {token['token']}"}
    assert client.get("/api/v1/waves/demo/estimates?by=nonsense", headers=auth).status_code == 400
    twice = client.get("/api/v1/waves/demo/estimates?by=agency,agency", headers=auth).get_json()["rows"]
    assert twice == rows


def test_wrong_password_gets_401_naming_the_field(client, make_user):
    user, _ = make_user("official")
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": "wrong"})
    assert response.status_code == 401 and response.get_json()["errors"][0]["field"] == "password"


def test_api_estimates_equal_the_analysis_cli_on_the_exported_csv(client, make_user, tmp_path):
    from app.review import exchange

    wave = factories.demo_wave(responses=600)
    export = tmp_path / "wave.csv"
    export.write_bytes(exchange.export_bytes(wave, "csv"))
    from app.programme.questionnaires import questionnaire_of

    questionnaire = questionnaire_of(wave.survey_version)
    factors = tmp_path / "factors.csv"
    with factors.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["item", "factor"])
        for factor, items in questionnaire.factor_items().items():
            writer.writerows([item, factor] for item in items)
    cli = subprocess.run([sys.executable, "-m", "analysis", "rates", "--input", str(export),
                          "--items", ",".join(questionnaire.rated_items), "--factors", str(factors),
                          "--rule", questionnaire.rule, "--by", "agency", "--weight", "weight",
                          "--strata", "agency"], capture_output=True, text=True, check=True)
    expected = {(r["agency"], r["measure"]): r for r in csv.DictReader(io.StringIO(cli.stdout))}
    user, password = make_user("official")
    token = client.post("/api/v1/auth/token", json={"email": user.email, "password": password}).get_json()["token"]
    rows = client.get("/api/v1/waves/demo/estimates?by=agency",
                      headers={"Authorization": f"Bearer {token}"}).get_json()["rows"]
    assert len(rows) == len(expected)
    compared = 0
    for row in rows:
        reference = expected[(row["agency"], row["measure"])]
        assert row["n"] == int(reference["n"])
        if row["suppressed"]:
            continue
        for field in ("rate", "se", "ci_lower", "ci_upper"):
            assert row[field] == pytest.approx(float(reference[field]), rel=1e-6, abs=1e-9), (row, field)
        compared += 1
    assert compared > 100


def test_integration_key_creates_invitations_and_refuses_duplicate_dossiers(client):
    wave = factories.wave()
    key, _ = create_api_key("one-stop software")
    db.session.commit()
    body = {"wave": wave.slug, "agency": "A1", "dossier": "H15.50.05.13-261008-0975"}
    assert client.post("/api/v1/invitations", json=body).status_code == 401
    created = client.post("/api/v1/invitations", json=body, headers={"X-API-Key": key})
    assert created.status_code == 201 and "/s/" in created.get_json()["url"]
    again = client.post("/api/v1/invitations", json=body, headers={"X-API-Key": key})
    assert again.status_code == 409 and again.get_json()["errors"][0]["field"] == "dossier"
