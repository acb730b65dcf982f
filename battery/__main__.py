"""Run the battery and print each figure: `python -m battery [--short] [--only NAME,...]`."""
from __future__ import annotations

import argparse
import json
import sys

from battery import (
    access,
    backup,
    crash,
    fuzz,
    harness,
    headers,
    load,
    proxy,
    race,
    redisdown,
    static,
    tokens,
    xss,
)


class _Figures(list):
    """Prints each figure as soon as it is known, so a later failure loses nothing."""

    def append(self, figure: dict) -> None:
        super().append(figure)
        print(("PASS " if figure["ok"] else "FAIL ") + json.dumps(figure, ensure_ascii=False), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m battery")
    parser.add_argument("--short", action="store_true", help="smaller counts (for CI)")
    parser.add_argument("--only", default="", help="comma-separated: race,crash,tokens,headers,fuzz,proxy,redis,load,backup,xss,selfrating,limits,formula,differencing,access,static")
    parser.add_argument("--no-database", action="store_true", help="skip the scratch database (static only)")
    args = parser.parse_args(argv)
    only = set(filter(None, args.only.split(",")))
    want = lambda name: not only or name in only  # noqa: E731
    figures = _Figures()
    if args.no_database:
        figures.append(static.run())
        return 0 if figures[0]["ok"] else 1
    harness.fresh_database(responses=2000)
    # Every server runs with the production defaults, rate limits included; counters are reset
    # between figures so that one figure's clients (all on 127.0.0.1) do not use up the next one's.
    with harness.Server(workers=4) as server, harness.Server(workers=2) as second:
        if want("race"):
            harness.reset_limits()
            figures.append(race.run([server, second], invites=50 if args.short else 200,
                                    copies=16 if args.short else 32))
        if want("tokens"):
            harness.reset_limits()
            figures.append(tokens.run(server, server))
        if want("headers"):
            figures.append(headers.run(server))
        if want("fuzz"):
            harness.reset_limits()
            figures.append(fuzz.run(server, examples=2000 if args.short else 20_000))
    if want("proxy"):
        figures.append(proxy.run())
    if want("redis"):
        figures.append(redisdown.run(per_phase=100 if args.short else 200))
    if want("load"):
        harness.reset_limits()
        with harness.Server(workers=4) as one, harness.Server(workers=4) as two:
            figures.append(load.run([one, two]))
    if want("backup"):
        figures.append(backup.run())
    if want("crash"):
        harness.reset_limits()
        with harness.Server(workers=3) as one, harness.Server(workers=3) as two:
            figures.append(crash.run([one, two], total=1000 if args.short else 10_000))
    if want("xss"):
        figures.append(xss.run())
    if want("selfrating"):
        from battery import selfrating

        with harness.Server(workers=2) as one:
            figures.append(selfrating.run(one))
    if want("limits"):
        from battery import limits

        with harness.Server(workers=2) as one:
            figures.append(limits.bodies(one))
            figures.append(limits.uploads(one))
        figures.append(limits.errors())
    if want("formula"):
        from battery import formula

        with harness.Server(workers=2) as one:
            figures.append(formula.run(one))
    if want("differencing"):
        from battery import differencing

        harness.reset_limits()
        with harness.Server(workers=2) as one:
            figures.append(differencing.run(one, sample=60 if args.short else 200))
    if want("access"):
        figures.append(access.run())
    if want("static"):
        figures.append(static.run())
    failed = sum(not f["ok"] for f in figures)
    print(f"{len(figures) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
