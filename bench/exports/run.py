"""Response exports of a wave, timed in one process (run by hand, never in the suite; issue 13,
item 14):

    DATABASE_URL=sqlite:////tmp/bench.db SECRET_KEY=x .venv/bin/flask --app app db upgrade
    DATABASE_URL=... .venv/bin/flask --app app survey publish survey_definitions/*.yaml
    DATABASE_URL=... .venv/bin/flask --app app demo seed          # about 20,000 responses
    DATABASE_URL=... SECRET_KEY=x .venv/bin/python -m bench.exports.run --wave demo

Reports the seconds of each format (best of ``--repeat``) and the ratio of each to CSV measured in
the same run, so that the figures compare across machines. ``before`` is the Excel writer as it
was before issue 13 (a cell object for every value, blanks included), kept here as the baseline.
"""
from __future__ import annotations

import argparse
import io
import time

from app import create_app
from app.programme import waves
from app.review import exchange
from app.shared import cells


def xlsx_before(frame) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("responses")
    sheet.append([cells.xlsx_cell(sheet, str(c)) for c in frame.columns])
    for record in frame.astype(object).itertuples(index=False):
        sheet.append([cells.xlsx_cell(sheet, exchange._plain(v)) for v in record])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def best(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wave", default="demo")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        wave = waves.get_wave(args.wave)
        frame = exchange.export_table(wave)
        seconds = {fmt: best(lambda f=fmt: exchange.export_file(wave, f), args.repeat) for fmt in exchange.FORMATS}
        frame_seconds = best(lambda: exchange.export_table(wave), args.repeat)
        seconds["xlsx before"] = frame_seconds + best(lambda: xlsx_before(frame), args.repeat)
    print(f"wave {args.wave}: {len(frame)} rows × {len(frame.columns)} columns")
    for name, value in seconds.items():
        print(f"{name:12} {value:7.2f} s   {value / seconds['csv']:6.1f} × CSV")
    print(f"xlsx after/before: {seconds['xlsx'] / seconds['xlsx before']:.2f}")


if __name__ == "__main__":
    main()
