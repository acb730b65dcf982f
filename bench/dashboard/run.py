"""Cold and warm render times of the wave dashboard (run by hand, never in the suite).

    DATABASE_URL=postgresql+psycopg:///bench FLASK_DEBUG=1 python bench/dashboard/run.py --responses 1000000

Seeds the demo province with N responses when the database has none (`flask demo seed`'s
generator; 1M responses take a while), then times GET /dashboard/demo for an official:
cold = every cache emptied (the wave frame is read from the database and all estimates,
rankings and figures recomputed), warm = the same page again. Also reports the agency page.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

from app import create_app
from app.extensions import db


def clear_caches() -> None:
    from app.services import dashboard, estimates, wavedata

    dashboard._cache.clear()
    estimates._cache.clear()
    wavedata._frames.clear()


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

        from app.services import demo, users

        upgrade()
        start = time.perf_counter()
        summary = demo.seed(responses=args.responses, password="Bench-password-1")
        if users.find_by_email("bench@example.org") is None:
            users.create_user("bench@example.org", "official", "Bench-password-1")
        db.session.commit()
        print(f"data: {summary['responses']} responses ({time.perf_counter() - start:.1f} s to seed/check)")
    client = app.test_client()
    client.post("/login", data={"email": "bench@example.org", "password": "Bench-password-1"})
    for url in ("/dashboard/demo", "/dashboard/demo/agencies/SNV"):
        cold, warm = [], []
        for _ in range(args.repeat):
            with app.app_context():
                clear_caches()
            cold.append(timed(client, url))
            warm.extend(timed(client, url) for _ in range(5))
        print(f"{url}: cold median {statistics.median(cold) * 1000:.0f} ms, "
              f"warm median {statistics.median(warm) * 1000:.1f} ms (ratio {statistics.median(cold) / statistics.median(warm):.0f}×)")


if __name__ == "__main__":
    main()
