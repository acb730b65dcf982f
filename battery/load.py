"""Item 10: 60 s of submissions at half the measured peak rate → p99 < 100 ms and 0 errors;
the results API under 20 concurrent officials → p95 < 500 ms."""
from __future__ import annotations

import http.client
import multiprocessing
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from battery.harness import Server, invitations, login, request, valid_answers


def _submitter(ports: list[int], body: dict):
    def submit(token: str) -> tuple[float, int]:
        port = ports[hash(token) % len(ports)]
        start = time.perf_counter()
        try:
            status = request("POST", port, "/api/v1/responses", {"invitation": token, "answers": body})[0]
        except (OSError, http.client.HTTPException):
            status = 599
        return time.perf_counter() - start, status
    return submit


def peak_rate(ports: list[int], seconds: float = 10) -> float:
    tokens = invitations(6000)
    submit = _submitter(ports, valid_answers(ports[0]))
    stop = time.time() + seconds
    done = []

    def worker(chunk):
        for token in chunk:
            if time.time() > stop:
                return
            done.append(submit(token))

    chunks = [tokens[i::16] for i in range(16)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(worker, chunks))
    return len(done) / seconds


def _fire_share(args: tuple) -> list[tuple[float, int]]:
    """One client process: fires its share of the schedule (every P-th request) on time."""
    ports, body, tokens, indices, rate, start = args
    submit = _submitter(ports, body)

    def fire(i: int) -> tuple[float, int]:
        delay = start + i / rate - time.time()
        if delay > 0:
            time.sleep(delay)
        return submit(tokens[i])

    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(fire, indices))


def steady(ports: list[int], rate: float, seconds: float = 60, processes: int = 4) -> dict:
    """Open-loop load at a fixed rate from several client processes (no client GIL in the way)."""
    count = int(rate * seconds)
    tokens = invitations(count)
    body = valid_answers(ports[0])
    start = time.time() + 2
    shares = [(ports, body, tokens, list(range(k, count, processes)), rate, start) for k in range(processes)]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        results = [r for part in pool.map(_fire_share, shares) for r in part]
    latencies = np.array([r[0] for r in results]) * 1000
    errors = sum(1 for r in results if r[1] != 201)
    return {"rate_per_s": round(rate, 1), "requests": count, "p50_ms": round(float(np.percentile(latencies, 50)), 1),
            "p99_ms": round(float(np.percentile(latencies, 99)), 1), "errors": errors}


def officials(port: int, users: int = 20, rounds: int = 10, path: str = "/dashboard/demo") -> dict:
    cookie = login(port, "official@example.org")

    def read(_: int) -> float:
        start = time.perf_counter()
        status = request("GET", port, path, headers={"Cookie": cookie})[0]
        if status != 200:
            raise RuntimeError(f"{path}: {status}")
        return (time.perf_counter() - start) * 1000

    with ThreadPoolExecutor(users) as pool:
        list(pool.map(read, range(users * 2)))  # every worker computes its cache once
        times = list(pool.map(read, range(users * rounds)))
    return {"officials": users, "dashboard_requests": len(times),
            "dashboard_p95_ms": round(float(np.percentile(times, 95)), 1)}


def run(servers: list[Server]) -> dict:
    ports = [s.port for s in servers]
    peak = peak_rate(ports)
    result = steady(ports, peak / 2)
    reading = officials(ports[0])
    return {"figure": "load", "instances": len(ports), "peak_per_s": round(peak, 1), **result, **reading,
            "ok": result["p99_ms"] < 100 and result["errors"] == 0 and reading["dashboard_p95_ms"] < 500}
