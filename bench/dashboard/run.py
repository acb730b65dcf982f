"""Cold and warm render times of the wave dashboard (run by hand, never in the suite).

    DATABASE_URL=postgresql+psycopg:///sipas_bench .venv/bin/python -m bench.dashboard.run --responses 1000000

Seeds the demo province when the database has no demo wave (`flask demo seed`'s generator,
20,000 responses) and, on PostgreSQL, grows it to --responses in SQL: every demo response is copied
(new receipts, days shuffled) until the wave holds that many, and the frame counts grow in
proportion, so weights and fpc stay as they were; then VACUUM ANALYZE, as autovacuum would. Then it times GET /dashboard/demo for an official:
cold = every cache emptied (the wave frame is read from the database and all estimates,
rankings and figures recomputed), warm = the same page again. Also reports the agency page, and
what an official sees while a wave collects: the view right after new responses are counted, and
the first view once the background refresh has computed them.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

from sqlalchemy import text

from app import create_app
from app.extensions import db


def clear_caches() -> None:
    from flask import current_app

    from app.results import snapshot

    snapshot.forget_all()
    current_app.extensions.pop("sipas_rollup_checked", None)  # the roll-ups are looked at again too


def grow(target: int) -> int:
    """Copy the demo wave's responses in SQL until it holds `target` of them (PostgreSQL only)."""
    count = db.session.scalar(text("SELECT count(*) FROM response r JOIN wave w ON w.id = r.wave_id "
                                   "WHERE w.slug = 'demo'"))
    if count >= target or db.engine.dialect.name != "postgresql":
        return count
    factor = -(-target // count)
    db.session.execute(text("""
        INSERT INTO response (receipt, wave_id, survey_version_id, agency_id, stratum, channel, language,
                              submitted_on, excluded, answers, coded)
        SELECT upper(substr(md5(random()::text || r.id || '-' || g), 1, 16)), r.wave_id, r.survey_version_id,
               r.agency_id, r.stratum, r.channel, r.language, r.submitted_on + ((g * 7) % 28), false,
               r.answers, r.coded
        FROM response r JOIN wave w ON w.id = r.wave_id, generate_series(1, :copies) AS g
        WHERE w.slug = 'demo' AND r.invitation_id IS NULL
        LIMIT :missing"""), {"copies": factor - 1, "missing": target - count})
    db.session.execute(text("UPDATE frame_count SET transactions = transactions * :f "
                            "WHERE wave_id = (SELECT id FROM wave WHERE slug = 'demo')"), {"f": factor})
    db.session.execute(text("UPDATE wave SET data_version = data_version + 1 WHERE slug = 'demo'"))
    db.session.commit()
    return db.session.scalar(text("SELECT count(*) FROM response r JOIN wave w ON w.id = r.wave_id "
                                  "WHERE w.slug = 'demo'"))


def add_responses(count: int) -> None:
    """`count` more responses in the demo wave (copies of existing ones), as while a wave collects."""
    db.session.execute(text("""
        INSERT INTO response (receipt, wave_id, survey_version_id, agency_id, stratum, channel, language,
                              submitted_on, excluded, answers, coded)
        SELECT upper(substr(md5(random()::text || r.id), 1, 16)), r.wave_id, r.survey_version_id, r.agency_id,
               r.stratum, r.channel, r.language, r.submitted_on, false, r.answers, r.coded
        FROM response r JOIN wave w ON w.id = r.wave_id WHERE w.slug = 'demo' LIMIT :count"""), {"count": count})
    db.session.commit()


def collecting(app, client, url: str) -> None:
    """The first view after new responses came in: it adds them to the roll-ups and computes the
    page from the cells."""
    app.config["RESULTS_REFRESH_SECONDS"] = 0.5
    timed(client, url)
    with app.app_context():
        add_responses(100)
    time.sleep(0.6)
    during = timed(client, url)
    after = timed(client, url)
    print(f"{url} while collecting: first view after 100 new responses {during * 1000:.0f} ms "
          f"(adds them to the roll-ups), next view {after * 1000:.0f} ms")


def timed(client, url: str) -> float:
    start = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, (url, response.status_code)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    app = create_app({"RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False,
                      "SECRET_KEY": os.environ.get("SECRET_KEY", "bench")})
    with app.app_context():
        from flask_migrate import upgrade

        from app import demo
        from app.accounts import users

        upgrade()
        start = time.perf_counter()
        summary = demo.seed(responses=min(args.responses, 20_000), password="Dashboard-timing-77")
        summary["responses"] = grow(args.responses)
        if db.engine.dialect.name == "postgresql":  # what autovacuum does after a bulk insert
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE response"))
        if users.find_by_email("bench@example.org") is None:
            users.create_user("bench@example.org", "official", "Dashboard-timing-77")
        db.session.commit()
        print(f"data: {summary['responses']} responses ({time.perf_counter() - start:.1f} s to seed/check)")
    client = app.test_client()
    client.post("/login", data={"email": "bench@example.org", "password": "Dashboard-timing-77"})
    for url in ("/dashboard/demo", "/dashboard/demo/agencies/SNV"):
        cold, warm = [], []
        for _ in range(args.repeat):
            with app.app_context():
                clear_caches()
            cold.append(timed(client, url))
            warm.extend(timed(client, url) for _ in range(5))
        print(f"{url}: cold median {statistics.median(cold) * 1000:.0f} ms, "
              f"warm median {statistics.median(warm) * 1000:.1f} ms (ratio {statistics.median(cold) / statistics.median(warm):.0f}×)")
    collecting(app, client, "/dashboard/demo")


if __name__ == "__main__":
    main()
