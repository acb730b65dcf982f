"""Citizens' submissions while an agency account asks for every breakdown (run by hand, never in
the suite; issue 12, item 13):

    BATTERY_DB=sipas_bench_heavy .venv/bin/python -m bench.heavyreads.run --responses 20000

On a scratch PostgreSQL database seeded with the demo province (`--responses`), gunicorn as the
README runs it (`--workers`; sync workers, or gthread ones with `--threads N`) serves three phases of `--submissions` citizens'
submissions, sent one after another through `POST /api/v1/responses`:

1. quiet: nobody else uses the service;
2. busy, defaults: four threads of one agency account ask for `/api/v1/waves/demo/estimates` with
   every `by=` combination, over and over, with the production limits (RATE_LIMIT_ESTIMATES per
   account);
3. busy, unlimited: the same with RATE_LIMIT_ESTIMATES lifted (what the account could do before).

Reported: each phase's median and p90 submission latency, its ratio to the quiet median, and how
many of the account's requests were answered and how many refused (429). The caches keep every
breakdown once computed (least recently used evicted, never emptied whole), so after the first
round the account's requests cost little even without the limit.
"""
from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from itertools import combinations

from battery import harness

DOMAINS = ("agency", "block", "channel", "language", "service_field")
PASSWORD = "Battery-password-1"


def _submit(port: int, tokens: list[str], answers: dict) -> list[float]:
    times = []
    for token in tokens:
        started = time.perf_counter()
        status, _, _ = harness.request("POST", port, "/api/v1/responses",
                                       {"invitation": token, "answers": answers, "language": "vi"})
        times.append(time.perf_counter() - started)
        if status != 201:
            raise RuntimeError(f"submission refused: {status}")
    return times


def _reader(port: int, headers: dict, stop: threading.Event, counts: dict) -> None:
    combos = [c for size in range(1, 4) for c in combinations(DOMAINS, size)]
    while not stop.is_set():
        for by in combos:
            if stop.is_set():
                return
            status, _, _ = harness.request("GET", port, f"/api/v1/waves/demo/estimates?by={','.join(by)}",
                                           headers=headers, timeout=300)
            counts[status] = counts.get(status, 0) + 1


def phase(port: int, tokens: list[str], answers: dict, headers: dict | None) -> dict:
    stop, counts, readers = threading.Event(), {}, []
    if headers is not None:
        readers = [threading.Thread(target=_reader, args=(port, headers, stop, counts)) for _ in range(4)]
        for thread in readers:
            thread.start()
        time.sleep(1.0)
    try:
        times = _submit(port, tokens, answers)
    finally:
        stop.set()
        for thread in readers:
            thread.join()
    ordered = sorted(times)
    return {"median_ms": round(statistics.median(times) * 1000, 1),
            "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))] * 1000, 1),
            "reader_status": {str(k): v for k, v in sorted(counts.items())}}


def _bearer(port: int, email: str) -> dict:
    status, _, body = harness.request("POST", port, "/api/v1/auth/token", {"email": email, "password": PASSWORD})
    if status != 200:
        raise RuntimeError(f"token for {email}: {status}")
    return {"Authorization": f"Bearer {json.loads(body)['token']}"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=20_000)
    parser.add_argument("--submissions", type=int, default=100)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="> 1: gthread workers with this many threads")
    args = parser.parse_args(argv)
    harness.fresh_database(responses=args.responses)
    harness.flask("users", "create", "agency-bench@example.org", "--role", "agency", "--agency", "SNV",
                  "--password-stdin", stdin=PASSWORD + "\n")
    tokens = harness.invitations(3 * args.submissions)
    out = {"responses": args.responses, "workers": args.workers, "threads": args.threads,
           "submissions": args.submissions}
    threads = {"GUNICORN_CMD_ARGS": f"--worker-class gthread --threads {args.threads}"} if args.threads > 1 else {}
    settings = [("quiet", {}), ("busy_defaults", {}), ("busy_unlimited", {"RATE_LIMIT_ESTIMATES": "100000/minute"})]
    for number, (name, env) in enumerate(settings):
        harness.reset_limits()
        with harness.Server(workers=args.workers, WARM_DASHBOARD="0", **threads, **env) as server:
            answers = harness.valid_answers(server.port)
            headers = None if name == "quiet" else _bearer(server.port, "agency-bench@example.org")
            batch = tokens[number * args.submissions:(number + 1) * args.submissions]
            out[name] = phase(server.port, batch, answers, headers)
    for name in ("busy_defaults", "busy_unlimited"):
        out[name]["ratio_to_quiet"] = round(out[name]["median_ms"] / out["quiet"]["median_ms"], 2)
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
