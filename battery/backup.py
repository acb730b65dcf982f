"""Item 9: pg_dump / pg_restore of a wave in progress (and SQLite's backup API) → identical
estimates after restore."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from battery.harness import DB, ROOT, env, flask, psql


def _estimates(database: str, workdir: Path) -> str:
    export = workdir / f"{database}.csv"
    flask("responses", "export", "--wave", "demo", "--format", "csv", "--output", str(export), database=database)
    return _rates(export)


def _rates(export: Path) -> str:
    items = ",".join(f"f{f}_{i}" for f, n in ((1, 4), (2, 5), (3, 6), (4, 3), (5, 4)) for i in range(1, n + 1))
    return subprocess.run([sys.executable, "-m", "analysis", "rates", "--input", str(export), "--items", items,
                           "--by", "agency", "--weight", "weight", "--strata", "agency"],
                          cwd=ROOT, capture_output=True, text=True, check=True).stdout


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        dump = work / "wave.dump"
        subprocess.run(["pg_dump", "-h", "127.0.0.1", "-Fc", "-f", str(dump), DB], check=True)
        restored = f"{DB}_restored"
        psql(f"DROP DATABASE IF EXISTS {restored} WITH (FORCE)")
        psql(f"CREATE DATABASE {restored}")
        subprocess.run(["pg_restore", "-h", "127.0.0.1", "-d", restored, "--no-owner", str(dump)], check=True)
        same_pg = _estimates(DB, work) == _estimates(restored, work)
        psql(f"DROP DATABASE IF EXISTS {restored} WITH (FORCE)")
        # SQLite: the online backup API copies a live database consistently.
        live, copy = work / "live.sqlite", work / "copy.sqlite"
        sqlite_env = env(DATABASE_URL=f"sqlite:///{live}")
        for args in (["db", "upgrade"], ["demo", "seed", "--responses", "500"]):
            subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "app", *args], cwd=ROOT,
                           env=sqlite_env, check=True, capture_output=True)
        with sqlite3.connect(live) as source, sqlite3.connect(copy) as target:
            source.backup(target)
        exports = []
        for path in (live, copy):
            out = work / f"{path.stem}.csv"
            subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "app", "responses", "export",
                            "--wave", "demo", "--format", "csv", "--output", str(out)], cwd=ROOT,
                           env=env(DATABASE_URL=f"sqlite:///{path}"), check=True, capture_output=True)
            exports.append(_rates(out))
        same_sqlite = exports[0] == exports[1]
    return {"figure": "backup", "postgres_identical_estimates": same_pg, "sqlite_identical_estimates": same_sqlite,
            "ok": same_pg and same_sqlite}
