"""Figures from roll-ups at 20k, 1M and 10M responses (issue 15, part 4). Run by hand on
PostgreSQL, never in the suite:

    .venv/bin/python -m bench.rollups.run --sizes 20000,1000000 \
        --database postgresql+psycopg://127.0.0.1/sipas_rollbench

One wave (the demo wave; --survey sipas-2022 by default, a mean-rule questionnaire), grown size by
size in the same database. Per size:

1. seed (the demo generator, 20,000 responses) and grow in SQL (INSERT ... SELECT copies of the
   seeded responses, days shifted by whole weeks, frame counts scaled so weights stay; chunks of
   1M rows, each committed), VACUUM ANALYZE; `flask results rebuild --wave demo` (wall time, cells,
   roll-up tables' size on disk);
2. gunicorn as the README's production section starts it (`--workers 2`, from the project folder,
   WARM_DASHBOARD=0, default rate limits): the first GET of /dashboard/demo and of an agency page
   after a fresh start (cold, median over --repeats restarts), then warm (median of 10), then each
   worker's VmRSS;
3. 1,000 new responses: `flask results update --wave demo`; 1,000 more: the first dashboard view
   once RESULTS_REFRESH_SECONDS has passed (it folds them);
4. two instances on one database: after 1,000 new responses instance A's view folds them
   (rollup_state.version moves), instance B's view adds nothing (the version stays).

Prints the table and writes bench/results/rollups-<time>.json.
"""
from __future__ import annotations

import argparse
import atexit
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from bench.rollups.servers import BIN, PASSWORD, ROOT, Client, Gunicorn, environment, log

EMAILS = ("bench-a@example.org", "bench-b@example.org")
CHUNK = 1_000_000
AGENCY = "SNV"




def flask(url: str, *args: str) -> tuple[float, str]:
    """`flask ARGS` from the project folder: wall seconds and its output."""
    start = time.perf_counter()
    done = subprocess.run([str(BIN / "flask"), "--app", "app", *args], cwd=ROOT, env=environment(url),
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed, (done.stdout + done.stderr).strip()


# ---------------------------------------------------------------- data


def ensure_database(url: str) -> None:
    name = sa.engine.make_url(url).database
    host = sa.engine.make_url(url).host or "127.0.0.1"
    exists = subprocess.run(["psql", "-h", host, "-d", "postgres", "-tAc",
                             f"SELECT 1 FROM pg_database WHERE datname = '{name}'"], capture_output=True, text=True)
    if exists.stdout.strip() != "1":
        subprocess.run(["createdb", "-h", host, name], check=True)


def seed(url: str, survey: str) -> None:
    """The demo province and wave with 20,000 generated responses (in-process, once) and the
    benchmark's official accounts."""
    os.environ.update(environment(url))
    from flask_migrate import upgrade

    from app import create_app, demo
    from app.accounts import users
    from app.extensions import db

    app = create_app()
    with app.app_context():
        upgrade()
        demo.SURVEY_SLUG = survey  # the generator follows whichever questionnaire the wave uses
        demo.seed(responses=20_000, password=PASSWORD)
        for email in EMAILS:
            if users.find_by_email(email) is None:
                users.create_user(email, "official", PASSWORD, name="Bench")
        db.session.commit()
        db.engine.dispose()


def count(engine) -> int:
    with engine.connect() as c:
        return c.scalar(sa.text("SELECT count(*) FROM response r JOIN wave w ON w.id = r.wave_id WHERE w.slug = 'demo'"))


def grow(engine, target: int) -> int:
    """Copies of the seeded responses until the wave holds ``target`` (chunks of CHUNK rows, each
    committed); frame counts scaled by the same factor so weights stay as they were."""
    with engine.connect() as c:
        wave, base_max, base = c.execute(sa.text(
            "SELECT w.id, max(r.id), count(*) FROM wave w JOIN response r ON r.wave_id = w.id "
            "WHERE w.slug = 'demo' AND r.id <= (SELECT min(id) FROM response WHERE wave_id = w.id) + 19999 "
            "GROUP BY w.id")).one()
    have = count(engine)
    if have >= target:
        return have
    start_have = have
    copy = have // base  # copies made so far, counting the seeded rows as copy 0
    while have < target:
        copies = max(1, min(CHUNK, target - have) // base)
        missing = min(target - have, copies * base)
        with engine.begin() as c:
            c.execute(sa.text("""
                INSERT INTO response (receipt, wave_id, survey_version_id, agency_id, stratum, channel, language,
                                      submitted_on, excluded, answers, coded)
                SELECT upper(substr(md5(r.id || '-' || g || '-' || random()::text), 1, 16)), r.wave_id,
                       r.survey_version_id, r.agency_id, r.stratum, r.channel, r.language,
                       r.submitted_on + ((g * 7) % 28), false, r.answers, r.coded
                FROM generate_series(CAST(:g0 AS integer), CAST(:g1 AS integer)) AS g, response r
                WHERE r.wave_id = :wave AND r.id <= :base_max AND r.invitation_id IS NULL
                LIMIT :missing"""), {"g0": copy, "g1": copy + copies - 1, "wave": wave, "base_max": base_max,
                                     "missing": missing})
        copy += copies
        have = count(engine)
        log(f"  grown to {have:,}")
    with engine.begin() as c:
        c.execute(sa.text("UPDATE frame_count SET transactions = round(transactions * :f) WHERE wave_id = :wave"),
                  {"f": have / start_have, "wave": wave})
        c.execute(sa.text("UPDATE wave SET data_version = data_version + 1 WHERE id = :wave"), {"wave": wave})
    return have


def vacuum(engine, full_rollups: bool = False) -> None:
    """VACUUM ANALYZE, as autovacuum would; after a rebuild, VACUUM FULL of the (small) roll-up
    table, so that its size on disk is that of the cells (not of the ones the rebuild deleted)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(sa.text("VACUUM ANALYZE response"))
        c.execute(sa.text(f"VACUUM {'FULL ' if full_rollups else ''}ANALYZE rollup_cell"))


def add_responses(engine, n: int) -> None:
    """n new responses in the demo wave (copies of existing ones, not yet in the roll-ups)."""
    with engine.begin() as c:
        c.execute(sa.text("""
            INSERT INTO response (receipt, wave_id, survey_version_id, agency_id, stratum, channel, language,
                                  submitted_on, excluded, answers, coded)
            SELECT upper(substr(md5(r.id || '-new-' || random()::text), 1, 16)), r.wave_id, r.survey_version_id,
                   r.agency_id, r.stratum, r.channel, r.language, r.submitted_on, false, r.answers, r.coded
            FROM response r JOIN wave w ON w.id = r.wave_id WHERE w.slug = 'demo' ORDER BY r.id LIMIT :n"""),
            {"n": n})


def rollup_facts(engine) -> dict:
    with engine.connect() as c:
        cells = c.scalar(sa.text("SELECT count(*) FROM rollup_cell c JOIN wave w ON w.id = c.wave_id WHERE w.slug = 'demo'"))
        size = c.scalar(sa.text("SELECT pg_total_relation_size('rollup_cell') + pg_total_relation_size('rollup_state')"))
        width = c.scalar(sa.text("SELECT avg(octet_length(moments)) FROM rollup_cell"))
        read = c.scalar(sa.text("SELECT count(*) FROM rollup_cell WHERE week = '0001-01-01'"))
        responses_mb = c.scalar(sa.text("SELECT pg_total_relation_size('response')")) / 2**20
    return {"cells": cells, "cells_read": read or cells, "rollup_mb": size / 2**20, "moments_bytes": float(width or 0), "response_mb": responses_mb}


def version(engine) -> int:
    with engine.connect() as c:
        return c.scalar(sa.text("SELECT s.version FROM rollup_state s JOIN wave w ON w.id = s.wave_id WHERE w.slug = 'demo'"))


def pending(engine) -> int:
    with engine.connect() as c:
        return c.scalar(sa.text("SELECT count(*) FROM response r JOIN wave w ON w.id = r.wave_id "
                                "WHERE w.slug = 'demo' AND NOT r.rolled AND NOT r.excluded"))


# ---------------------------------------------------------------- web


def cold_and_warm(url: str, port: int, client: Client, paths: list[str], repeats: int, warm_n: int) -> dict:
    """Per path: the first GET after a fresh gunicorn (median over repeats), then warm (median of
    warm_n GETs, both workers having computed it) and the workers' RSS afterwards."""
    web = Gunicorn(url, port)
    out = {}
    for path in paths:
        cold = []
        for _ in range(repeats):
            web.start()
            cold.append(client.get(port, path))
            web.stop()
        out[path] = {"cold_ms": [c * 1000 for c in cold], "cold_median_ms": statistics.median(cold) * 1000}
        log(f"  cold {path}: {', '.join(f'{c * 1000:.0f}' for c in cold)} ms")
    web.start()
    try:
        for path in paths:
            for _ in range(4):  # both workers have computed the page (sync workers take turns)
                client.get(port, path)
            warm = [client.get(port, path) for _ in range(warm_n)]
            out[path].update(warm_ms=[w * 1000 for w in warm], warm_median_ms=statistics.median(warm) * 1000)
            log(f"  warm {path}: median {statistics.median(warm) * 1000:.1f} ms")
        out["rss_mb"] = web.rss_mb()
        log(f"  worker RSS: {', '.join(f'{r:.0f}' for r in out['rss_mb'])} MB")
    finally:
        web.stop()
    return out


def fold_times(url: str, engine, port: int, client: Client, refresh: float) -> dict:
    """1,000 new responses taken in by `flask results update`, then 1,000 more by the first
    dashboard view after RESULTS_REFRESH_SECONDS."""
    add_responses(engine, 1000)
    wall, said = flask(url, "results", "update", "--wave", "demo")
    log(f"  flask results update: {wall:.2f} s wall ({said})")
    out = {"update_wall_s": wall, "update_said": said}
    web = Gunicorn(url, port)
    web.start()
    try:
        for _ in range(4):
            client.get(port, "/dashboard/demo")
        before = version(engine)
        add_responses(engine, 1000)
        time.sleep(refresh + 0.5)
        first = client.get(port, "/dashboard/demo")
        out.update(first_view_s=first, version_before=before, version_after=version(engine),
                   pending_after=pending(engine), next_view_s=client.get(port, "/dashboard/demo"))
        log(f"  first view after 1,000 new: {first:.2f} s (version {before} -> {out['version_after']}, "
            f"pending {out['pending_after']})")
    finally:
        web.stop()
    return out


def two_instances(url: str, engine, ports: tuple[int, int], clients: tuple[Client, Client], refresh: float) -> dict:
    """Instance A folds 1,000 new responses; instance B's view adds nothing."""
    a, b = Gunicorn(url, ports[0]), Gunicorn(url, ports[1])
    a.start()
    b.start()
    try:
        for web, client in ((a, clients[0]), (b, clients[1])):
            for _ in range(2):
                client.get(web.port, "/dashboard/demo")
        add_responses(engine, 1000)
        time.sleep(refresh + 0.5)
        v0, p0 = version(engine), pending(engine)
        ta = clients[0].get(a.port, "/dashboard/demo")
        v1, p1 = version(engine), pending(engine)
        tb = clients[1].get(b.port, "/dashboard/demo")
        v2, p2 = version(engine), pending(engine)
    finally:
        a.stop()
        b.stop()
    out = {"version_before": v0, "pending_before": p0, "version_after_a": v1, "pending_after_a": p1,
           "version_after_b": v2, "pending_after_b": p2, "a_view_s": ta, "b_view_s": tb,
           "b_added_nothing": v2 == v1 and p1 == 0}
    log(f"  two instances: version {v0} (pending {p0}) -> A {v1} (pending {p1}) -> B {v2} (pending {p2})")
    return out


# ---------------------------------------------------------------- report


def said_seconds(said: str) -> float:
    """The seconds a `flask results` command reports for its own work (without starting Python)."""
    found = re.search(r"\(([\d.]+) s\)", said)
    return float(found.group(1)) if found else float("nan")


def table(rows: list[dict]) -> str:
    head = ("size", "seed s", "rebuild s", "cells (read)", "rollup MB", "cold dash ms", "cold agency ms",
            "warm dash ms", "warm agency ms", "worker RSS MB", "update 1000 s", "fold-1000 view s")
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    for r in rows:
        lines.append(" | ".join((
            f"{r['size']:,}", f"{r['seed_s']:.0f}", f"{said_seconds(r['rebuild_said']):.1f}",
            f"{r['cells']:,} ({r.get('cells_read', r['cells']):,})", f"{r['rollup_mb']:.1f}",
            f"{r['cold_dashboard_ms']:.0f}", f"{r['cold_agency_ms']:.0f}", f"{r['warm_dashboard_ms']:.1f}",
            f"{r['warm_agency_ms']:.1f}", f"{r['rss_mb']:.0f}", f"{said_seconds(r['folds']['update_said']):.2f}",
            f"{r['fold_1000_view_s']:.2f}")))
    return "\n".join(lines)


def ratios(rows: list[dict]) -> dict:
    low, high = rows[0], rows[-1]
    cold = max(high["cold_dashboard_ms"] / low["cold_dashboard_ms"], high["cold_agency_ms"] / low["cold_agency_ms"])
    return {"sizes": [low["size"], high["size"]], "cold_ratio": cold, "cold_ok": cold <= 2,
            "rss_ratio": high["rss_mb"] / low["rss_mb"], "rss_ok": high["rss_mb"] / low["rss_mb"] <= 1.5,
            "warm_max_ms": max(max(r["warm_dashboard_ms"], r["warm_agency_ms"]) for r in rows),
            "warm_ok": all(max(r["warm_dashboard_ms"], r["warm_agency_ms"]) < 100 for r in rows)}


def report(rows: list[dict]) -> None:
    print(table(rows))
    if len(rows) > 1:
        r = ratios(rows)
        print(f"\ncold@{rows[-1]['size']:,} / cold@{rows[0]['size']:,}: {r['cold_ratio']:.2f} (target <= 2)"
              f"\nRSS@{rows[-1]['size']:,} / RSS@{rows[0]['size']:,}: {r['rss_ratio']:.2f} (target <= 1.5)"
              f"\nwarm: max {r['warm_max_ms']:.1f} ms (target < 100)")
    for row in rows:
        two = row["two_instances"]
        print(f"two instances at {row['size']:,}: version {two['version_before']} -> after A "
              f"{two['version_after_a']} -> after B {two['version_after_b']} (B added nothing: "
              f"{two['b_added_nothing']})")


def main() -> None:
    if sys.argv[1:2] == ["--table"]:  # the table of earlier runs: --table FILE.json ...
        rows = [r for f in sys.argv[2:] for r in json.loads(Path(f).read_text())["rows"] if "pages" in r]
        report(sorted(rows, key=lambda r: r["size"]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="20000,1000000")
    parser.add_argument("--database", default="postgresql+psycopg://127.0.0.1/sipas_rollbench")
    parser.add_argument("--survey", default="sipas-2022")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warm", type=int, default=10)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--refresh", type=float, default=10.0, help="the instance's RESULTS_REFRESH_SECONDS")
    parser.add_argument("--prepare-only", action="store_true", help="seed, grow and rebuild, then stop")
    parser.add_argument("--grow-only", action="store_true", help="seed and grow, then stop")
    parser.add_argument("--keep-cells", action="store_true",
                        help="no rebuild: bring the cells up to date (to time pages again after a code change)")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    url = args.database
    if not url.startswith("postgresql"):
        raise SystemExit("--database: PostgreSQL only (the growth is SQL)")
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    atexit.register(Gunicorn.stop_all)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # atexit stops the gunicorns
    ensure_database(url)
    engine = sa.create_engine(url)
    started = time.perf_counter()
    seed(url, args.survey)
    seeded_s = time.perf_counter() - started
    log(f"seeded: {count(engine):,} responses ({seeded_s:.0f} s)")
    clients = tuple(Client(e) for e in EMAILS)
    rows, path = [], None
    for size in sizes:
        log(f"size {size:,}")
        start = time.perf_counter()
        have = grow(engine, size)
        vacuum(engine)
        seed_s = time.perf_counter() - start + (seeded_s if not rows else 0)  # the generator's time in the first
        log(f"  {have:,} responses, grown and vacuumed in {seed_s:.0f} s")
        if args.grow_only:
            continue
        rebuild_s, said = flask(url, "results", "update" if args.keep_cells else "rebuild", "--wave", "demo")
        vacuum(engine, full_rollups=True)
        facts = rollup_facts(engine)
        log(f"  rebuild {rebuild_s:.1f} s wall ({said}); {facts['cells']:,} cells, {facts['rollup_mb']:.1f} MB")
        row = {"size": have, "seed_s": seed_s, "rebuild_s": rebuild_s, "rebuild_said": said, **facts}
        if not args.prepare_only:
            web = Gunicorn(url, args.port)
            web.start()
            for client in clients:
                client.login(args.port)
            web.stop()
            agency = f"/dashboard/demo/agencies/{AGENCY}"
            pages = cold_and_warm(url, args.port, clients[0], ["/dashboard/demo", agency], args.repeats, args.warm)
            row.update(pages=pages, cold_dashboard_ms=pages["/dashboard/demo"]["cold_median_ms"],
                       cold_agency_ms=pages[agency]["cold_median_ms"],
                       warm_dashboard_ms=pages["/dashboard/demo"]["warm_median_ms"],
                       warm_agency_ms=pages[agency]["warm_median_ms"], rss_mb=max(pages["rss_mb"]))
            folds = fold_times(url, engine, args.port, clients[0], args.refresh)
            row.update(folds=folds, update_1000_s=folds["update_wall_s"], fold_1000_view_s=folds["first_view_s"])
            row["two_instances"] = two_instances(url, engine, (args.port, args.port + 1), clients, args.refresh)
        rows.append(row)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        summary = {"database": url, "survey": args.survey, "rows": rows}
        if not args.prepare_only:
            summary["table"] = table(rows)
            summary["ratios"] = ratios(rows) if len(rows) > 1 else None
        path = ROOT / "bench" / "results" / f"rollups-{stamp}.json"
        path.write_text(json.dumps(summary, indent=2, default=str))
    if not args.prepare_only and not args.grow_only:
        print()
        report(rows)
    if path:
        log(f"summary: {path}")


if __name__ == "__main__":
    main()
