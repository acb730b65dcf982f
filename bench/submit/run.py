"""Accepted submissions per second: POST /api/v1/responses served by gunicorn on PostgreSQL, beside a
bare Flask endpoint that inserts one row (the baseline), measured in the same run with wrk on loopback.

    .venv/bin/python -m bench.submit.run [--duration 20] [--connections 16] [--workers 2] [--threads 4]
                                         [--database postgresql+psycopg:///sipas_bench]

Run by hand, never in the test suite. Needs wrk (Debian package) and a PostgreSQL you may wipe:
the database named by --database is emptied and rebuilt by the migrations.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(database: str, tokens: int, rounds: int, folder: Path) -> dict[str, Path]:
    """Rebuild the schema, publish the questionnaires, open a wave and issue the invitations."""
    from flask_migrate import upgrade

    from app import create_app
    from app.collect import invitations
    from app.extensions import db
    from app.programme import questionnaires
    from app.programme.questionnaires import questionnaire_of
    from tests import factories

    engine = create_engine(database)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        conn.execute(text("CREATE TABLE bench_baseline (id serial PRIMARY KEY, token varchar(64), "
                          "language varchar(5), created_at timestamp DEFAULT now())"))
    engine.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": os.environ["SECRET_KEY"]})
    with app.app_context():
        upgrade()
        questionnaires.publish_shipped()
        wave = factories.wave(slug="bench")
        answers = factories.satisfied_answers(questionnaire_of(wave.survey_version))
        issued = invitations.issue(wave, wave.agencies[0], tokens)
        db.session.commit()
        files = {}
        size = tokens // (2 * rounds)
        chunks = [(f"{kind}{n}", issued[(2 * n + k) * size:(2 * n + k + 1) * size])
                  for n in range(rounds) for k, kind in enumerate(("warmup", "measure"))]
        for name, chunk in chunks:
            path = folder / f"{name}.jsonl"
            with path.open("w") as handle:
                for item in chunk:
                    handle.write(json.dumps({"invitation": item.token, "answers": answers, "language": "vi"}) + "\n")
            files[name] = path
        db.engine.dispose()
    return files


def serve(target: str, port: int, env: dict, workers: int, threads: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
               "--worker-class", "gthread", "--bind", f"127.0.0.1:{port}", "--log-level", "warning", target]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"gunicorn did not start: {' '.join(command)}")


def wrk(port: int, path: str, bodies: Path, duration: int, connections: int, threads: int) -> dict:
    env = dict(os.environ, BENCH_BODIES=str(bodies), BENCH_THREADS=str(threads), BENCH_PATH=path)
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--latency",
               "-s", str(HERE / "submit.lua"), f"http://127.0.0.1:{port}{path}"]
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True, timeout=duration + 60).stdout
    total = int(re.search(r"(\d+) requests in", output).group(1))
    seconds = float(re.search(r"requests in ([\d.]+)s", output).group(1))
    rejected = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    accepted = total - (int(rejected.group(1)) if rejected else 0)

    def percentile(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", output).groups()
        return round(float(value) * UNITS[unit], 2)

    return {"requests": total, "accepted": accepted, "seconds": seconds, "accepted_per_s": round(accepted / seconds, 1),
            "p50_ms": percentile("50"), "p99_ms": percentile("99"), "wrk": output}


def cpu_times() -> dict[str, float]:
    """CPU seconds used so far (user + system) by gunicorn and PostgreSQL processes (from /proc)
    and by the finished children of this process (wrk)."""
    tick = os.sysconf("SC_CLK_TCK")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    totals = {"gunicorn": 0.0, "postgres": 0.0, "wrk": children.ru_utime + children.ru_stime}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        seconds = (int(fields[11]) + int(fields[12])) / tick
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        kind = "gunicorn" if "gunicorn" in command else "postgres" if name == "postgres" else None
        if kind:
            totals[kind] += seconds
    return totals


def settle(database: str) -> None:
    """Before each measured run: what autovacuum would have done by then, and a checkpoint, so that
    neither side pays for the other's dead rows or hits the 5-minute checkpoint mid-run."""
    engine = create_engine(database, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("VACUUM ANALYZE invitation, response, bench_baseline"))
            conn.execute(text("CHECKPOINT"))  # (needs a superuser or pg_checkpoint: the local trust setup)
    finally:
        engine.dispose()


def wal_position(database: str) -> int:
    """PostgreSQL's write-ahead log position in bytes: WAL per request is what checkpoints and
    replication will cost later, which a 15 s run right after `settle` does not pay."""
    engine = create_engine(database)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')")).scalar_one())
    finally:
        engine.dispose()


def measure(name, target, path, files, args, env, round_: int) -> dict:
    port = free_port()
    process = serve(target, port, env, args.workers, args.threads)
    try:
        wrk(port, path, files[f"warmup{round_}"], 3, args.connections, 2)
        settle(args.database)
        wal_before = wal_position(args.database)
        before = cpu_times()
        result = wrk(port, path, files[f"measure{round_}"], args.duration, args.connections, 2)
        after = cpu_times()
        result["wal_bytes_per_request"] = round((wal_position(args.database) - wal_before) / max(result["requests"], 1))
    finally:
        process.terminate()
        process.wait(timeout=30)
    # CPU per request by process kind: on a machine with few cores, throughput is their sum.
    result["cpu_ms_per_request"] = {k: round((after[k] - before[k]) * 1000 / max(result["requests"], 1), 3)
                                    for k in after}
    cpu = "  ".join(f"{k} {v:.2f}" for k, v in result["cpu_ms_per_request"].items())
    print(f"{name:9} {result['accepted_per_s']:>9} accepted/s   p50 {result['p50_ms']:>7} ms   "
          f"p99 {result['p99_ms']:>7} ms   ({result['accepted']} of {result['requests']} requests; "
          f"CPU ms per request: {cpu}; WAL {result['wal_bytes_per_request']} B per request)")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg:///sipas_bench"))
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--tokens", type=int, default=40_000)
    parser.add_argument("--rounds", type=int, default=2, help="baseline and submit alternate this many times")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 2
    env = dict(os.environ, DATABASE_URL=args.database, SECRET_KEY=os.environ.get("SECRET_KEY", "bench-secret-key"),
               FLASK_DEBUG="0", PYTHONPATH=str(ROOT), WARM_DASHBOARD="0")  # (submissions only)
    os.environ["SECRET_KEY"] = env["SECRET_KEY"]
    with tempfile.TemporaryDirectory() as folder:
        files = prepare(args.database, args.tokens, args.rounds, Path(folder))
        runs = {"baseline": [], "submit": []}
        # Alternate, so that a load burst elsewhere on the machine hits both sides alike.
        for round_ in range(args.rounds):
            runs["baseline"].append(measure("baseline", "bench.submit.baseline:app", "/insert", files, args, env, round_))
            runs["submit"].append(measure("submit", "bench.submit.wsgi:app", "/api/v1/responses", files, args, env,
                                          round_))
    baseline, submit = (max(runs[k], key=lambda r: r["accepted_per_s"]) for k in ("baseline", "submit"))
    engine = create_engine(args.database)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM response")).scalar_one()
        answers = conn.execute(text("SELECT coalesce(sum(length(coded)), 0) FROM response")).scalar_one()
    engine.dispose()
    ratio = submit["accepted_per_s"] / baseline["accepted_per_s"]
    # Each round's submit run beside the baseline run just before it: the machine's own swings
    # (±20 % on a small VM) hit both alike.
    paired = sorted(s["accepted_per_s"] / b["accepted_per_s"] for b, s in zip(runs["baseline"], runs["submit"]))
    print(f"best of {args.rounds}: baseline {baseline['accepted_per_s']}/s, submit {submit['accepted_per_s']}/s")
    print(f"ratio     {ratio:.2f} × baseline (target ≥ 0.7), per round {', '.join(f'{r:.2f}' for r in paired)} "
          f"(median {statistics.median(paired):.2f}); responses stored {stored} "
          f"(= accepted in warm-up + run), coded answers {answers}")
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    summary = {"args": vars(args), "runs": runs, "ratio": round(ratio, 3),
               "paired_ratios": [round(r, 3) for r in paired],
               "responses_stored": stored, "cpu_count": os.cpu_count()}
    (results / f"submit-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
