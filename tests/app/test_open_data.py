"""Open data (issue 20): releases at stable URLs after publish or embargo, DCAT metadata, never free
text, and no suppressed figure recoverable from the released margins (solved as a linear system)."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from app.collect import store
from app.extensions import db
from app.models import OpenRelease
from app.models.base import utcnow
from app.opendata import releases
from app.programme.questionnaires import questionnaire_of
from app.results import disclosure
from tests import factories
from tests.app.test_disclosure import MEASURES, seed_small_groups, solve_hidden


def released_rows(client, slug: str, number: int) -> list[dict]:
    """The release's rows as the differencing check reads published figures."""
    body = client.get(f"/open/{slug}/{number}.json").get_json()
    out = []
    for row in body["rows"]:
        cell = {"block": row["block"]} if row["table"] == "block" else {"agency": row["agency"]} if row["table"] == "agency" else {}
        out.append({**cell, "measure": row["measure"], "n": row["n"], "rate": row["estimate"],
                    "suppressed": row["suppressed"]})
    return out


def test_a_release_is_public_only_once_published_and_stays_put(client, app, login_as):
    wave = factories.wave(agency_list=[factories.agency("A1"), factories.agency("A2")])
    answers = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    for k in range(24):
        store.store(wave, wave.agencies[k % 2], dict(answers, comments="Bí mật riêng XYZ" if k == 0 else ""),
                    channel="paper", language="vi")
    db.session.commit()
    login_as("admin")
    made = client.post(f"/admin/waves/{wave.slug}/open-data")
    assert made.status_code == 303
    assert client.get(f"/open/{wave.slug}/1.csv").status_code == 404  # made, not published
    client.post(f"/admin/waves/{wave.slug}/open-data/1/publish")
    csv_text = client.get(f"/open/{wave.slug}/1.csv").get_data(as_text=True)
    assert csv_text.splitlines()[0] == ",".join(releases.COLUMNS)
    assert "XYZ" not in csv_text and "Bí mật" not in csv_text  # never free text
    body = client.get(f"/open/{wave.slug}/1.json").get_json()
    assert "XYZ" not in str(body)
    overall = next(r for r in body["rows"] if r["table"] == "province" and r["measure"] == "overall")
    assert overall["n"] == 24 and overall["estimate"] == 1.0 and overall["suppressed"] is False
    assert {r["table"] for r in body["rows"]} == {"province", "block", "agency"}
    assert body["metadata"]["spdx:checksum"]["spdx:checksumValue"] == hashlib.sha256(csv_text.encode()).hexdigest()
    catalog = client.get("/open/catalog.json").get_json()
    assert [d["dct:identifier"] for d in catalog["dcat:dataset"]] == [f"{wave.slug}-1"]
    assert client.get(f"/open/{wave.slug}/latest.csv").headers["Location"].endswith(f"/open/{wave.slug}/1.csv")
    # more answers later: release 1 does not change; release 2 has them
    for _ in range(6):
        store.store(wave, wave.agencies[0], answers, channel="paper", language="vi")
    db.session.commit()
    assert client.get(f"/open/{wave.slug}/1.csv").get_data(as_text=True) == csv_text
    page = client.post(f"/admin/waves/{wave.slug}/open-data?lang=en", follow_redirects=True).get_data(as_text=True)
    assert "figures are hidden because too few answers changed since an earlier release" in page
    client.post(f"/admin/waves/{wave.slug}/open-data/2/publish")
    second = client.get(f"/open/{wave.slug}/2.json").get_json()
    province = next(r for r in second["rows"] if r["table"] == "province" and r["measure"] == "overall")
    assert province["n"] == 30 and province["suppressed"]  # 6 more answers than release 1: hidden
    client.post(f"/admin/waves/{wave.slug}/open-data/1/withdraw")
    assert client.get(f"/open/{wave.slug}/1.csv").status_code == 404
    assert "Open data" in client.get("/open/?lang=en").get_data(as_text=True)


def test_an_embargo_holds_a_published_release_back(client, app, login_as):
    wave = factories.wave(agency_list=[factories.agency("A1")])
    db.session.commit()
    login_as("admin")
    refused = client.post(f"/admin/waves/{wave.slug}/open-data?lang=en", data={"embargo_until": "next week"},
                          follow_redirects=True)
    assert "expected a date and time" in refused.get_data(as_text=True)
    client.post(f"/admin/waves/{wave.slug}/open-data", data={"embargo_until": "2099-01-01T09:00"})
    client.post(f"/admin/waves/{wave.slug}/open-data/1/publish")
    assert client.get(f"/open/{wave.slug}/1.json").status_code == 404
    release = db.session.query(OpenRelease).one()
    assert release.published_at.isoformat().startswith("2099-01-01T02:00")  # 09:00 in Hanoi, in UTC
    assert releases.is_visible(release, now=release.published_at + timedelta(seconds=1))
    assert not releases.is_visible(release, now=utcnow())


@pytest.mark.slow
def test_no_suppressed_figure_can_be_recovered_from_a_release(client, app, login_as):
    wave = seed_small_groups(responses_count=200)  # an agency of 9: hidden, and complements needed
    login_as("admin")
    client.post(f"/admin/waves/{wave.slug}/open-data")
    client.post(f"/admin/waves/{wave.slug}/open-data/1/publish")
    rows = released_rows(client, wave.slug, 1)
    assert any(r["suppressed"] and 0 < r["n"] < app.config["MIN_GROUP_SIZE"] for r in rows)
    for measure in MEASURES:
        solved = solve_hidden(wave, measure, rows)
        assert solved  # some hidden cells to protect
        assert [(row, low, high) for row, low, high in solved if high - low < 1 - 1e-6] == []


def test_without_complementary_suppression_a_release_would_leak(client, app, login_as, monkeypatch):
    """The check above has teeth: primary suppression alone lets a hidden agency be solved."""
    wave = seed_small_groups(responses_count=200)
    monkeypatch.setattr(disclosure.Pattern, "_settle", lambda self: None)
    login_as("admin")
    client.post(f"/admin/waves/{wave.slug}/open-data")
    client.post(f"/admin/waves/{wave.slug}/open-data/1/publish")
    solved = solve_hidden(wave, "f1_1", released_rows(client, wave.slug, 1))
    assert any(high - low < 1e-6 for _, low, high in solved)


def test_a_weekly_timer_makes_and_publishes_releases_from_the_command_line(app, runner, client):
    wave = factories.wave(agency_list=[factories.agency("A1"), factories.agency("A2")])
    answers = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    for k in range(40):
        store.store(wave, wave.agencies[k % 2], answers, channel="paper", language="vi")
    db.session.commit()
    first = runner.invoke(args=["opendata", "release", "--wave", wave.slug, "--publish"])
    assert first.exit_code == 0, first.output
    assert f"{wave.slug}: release 1," in first.output and "published, visible from" in first.output
    assert client.get(f"/open/{wave.slug}/1.json").status_code == 200
    for _ in range(4):  # a week with four answers at A1: A1 (and a complement) are hidden next time
        store.store(wave, wave.agencies[0], answers, channel="paper", language="vi")
    db.session.commit()
    second = runner.invoke(args=["opendata", "release", "--wave", wave.slug, "--embargo-until", "2099-01-05T08:00"])
    assert second.exit_code == 0, second.output
    assert "release 2," in second.output and "not published" in second.output
    assert " as small changes since an earlier release" in second.output
    assert "0 of them as small changes" not in second.output
    release = db.session.query(OpenRelease).filter_by(number=2).one()
    assert release.embargo_until.isoformat().startswith("2099-01-05T01:00")  # 08:00 in Hanoi
    a1 = [r for r in release.rows if r["agency"] == "A1"]
    assert a1 and all(r["suppressed"] and r["estimate"] is None for r in a1)
    assert client.get(f"/open/{wave.slug}/2.json").status_code == 404  # made, not published
    bad = runner.invoke(args=["opendata", "release", "--wave", wave.slug, "--embargo-until", "next monday"])
    assert bad.exit_code == 1 and "--embargo-until: " in bad.output and "2026-12-31T09:00" in bad.output
    assert runner.invoke(args=["opendata", "release", "--wave", "nope"]).exit_code == 1
    assert db.session.query(OpenRelease).count() == 2  # the refused runs kept nothing
