"""Downloads: the wave report as Excel (one sheet per table) and the estimates as CSV."""
from __future__ import annotations

import io
import re

import pandas as pd
from flask_babel import format_date
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from app.i18n import current_language, percent
from app.models import Wave
from app.quality import small_units
from app.reports import charts, pages
from app.results import disclosure, estimates, overview
from app.results.filters import Filters
from app.results.snapshot import Snapshot
from app.shared import cells

RATE_COLUMNS = ["measure", "n", "rate", "se", "ci_lower", "ci_upper", "deff", "n_eff"]


def estimates_csv(snap: Snapshot, by: tuple[str, ...] = ("agency",)) -> bytes:
    """The rates CSV of `python -m analysis rates` (by columns first), small groups blanked."""
    rows = estimates.estimate_rows(snap, by=list(by))
    out = io.StringIO()
    writer = cells.writer(out, lineterminator="\n")
    columns = [*by, *RATE_COLUMNS, "suppressed"]
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else _csv_value(row.get(c)) for c in columns])
    return out.getvalue().encode("utf-8")


def _csv_value(value):
    if isinstance(value, bool):
        return int(value)
    return value


# How the dashboard shows figures: a percentage with one decimal, counts with thousands grouped.
# Excel writes them in the reader's locale (95,4 % in a Vietnamese Excel).
PERCENT, COUNT, DECIMAL = "0.0%", "#,##0", "#,##0.0"
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
SHEET_UNSAFE = re.compile(r"[\\/?*\[\]:]")  # characters Excel refuses in a sheet's name


def _number(value, digits: int):
    """A figure rounded as the dashboard shows it (0.919, a percent with one decimal, not
    0.9188936578815324), None when blank."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    value = value.item() if hasattr(value, "item") else value
    return round(float(value), digits) if isinstance(value, float) else value


def _note(row, minimum: int) -> str:
    """The dashboard's badge for a hidden or unranked row (from the flags app.results.disclosure set)."""
    if row.get("suppressed"):
        if row.get("small"):
            return _("fewer than %(n)s respondents: not shown", n=minimum)
        return _("not shown: it would reveal a smaller group")
    if row.get("flagged"):
        return _("small sample: not ranked")
    return ""


def _figures(row, minimum: int) -> list:
    """Estimate, CI bounds, respondents, effective sample size, note: one row's figures. A
    suppressed estimate reads "suppressed" where the dashboard says so, its bounds blank."""
    rate = _number(row.get("rate"), 3)
    shown = rate is not None and not row.get("suppressed")
    return [rate if shown else _("suppressed"), _number(row.get("ci_lower"), 3) if shown else None,
            _number(row.get("ci_upper"), 3) if shown else None, _number(row.get("n"), 0),
            _number(row.get("n_eff"), 1) if shown else None, _note(row, minimum)]


def _figure_headers(estimate: str) -> list[tuple[str, str | None]]:
    return [(estimate, PERCENT), (_("CI lower bound"), PERCENT), (_("CI upper bound"), PERCENT),
            (_("Respondents"), COUNT), (_("Effective sample size"), DECIMAL), (_("Note"), None)]


def _sheet(book: Workbook, title: str, columns: list[tuple[str, str | None]], rows: list[list]) -> None:
    """A formatted sheet: bold header frozen above the rows, number formats, widths to fit."""
    sheet = book.create_sheet(title[:31])
    sheet.append([name for name, _fmt in columns])
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for index, (name, fmt) in enumerate(columns, start=1):
        cells_of = [sheet.cell(row=r, column=index) for r in range(2, len(rows) + 2)]
        for cell in cells_of:
            if isinstance(cell.value, str):  # names and labels are text: never a formula (app.shared.cells)
                cell.data_type = "s"
                cell.quotePrefix = cells.is_risky(cell.value)
            elif fmt and cell.value is not None:
                cell.number_format = fmt
        longest = max([len(str(c.value)) for c in cells_of if c.value is not None] + [min(len(name), 18), 8])
        sheet.column_dimensions[get_column_letter(index)].width = min(60, longest + 2)
    sheet.freeze_panes = "A2"


def _summary(book: Workbook, wave: Wave, data: dict, minimum: int) -> None:
    lang = current_language()
    overall = data["summary"]
    level = percent(wave.estimation.level, 0)
    rows = [[_("Wave"), getattr(wave, f"name_{lang}") or wave.name_vi],
            [_("Period"), f"{format_date(wave.period_start)} – {format_date(wave.period_end)}"],
            [_("Respondents"), _number(data["n"], 0)],
            [_("Overall satisfaction index"), _figures(overall, minimum)[0]],
            [_("CI lower bound"), _figures(overall, minimum)[1]],
            [_("CI upper bound"), _figures(overall, minimum)[2]],
            [_("Confidence level"), level],
            [_("Note"), _("Fewer than %(n)s respondents, or it would reveal such a group: not shown.", n=minimum)]]
    _sheet(book, _("Summary"), [(_("Figure"), None), (_("Value"), None)], rows)
    for _label, cell in book[_("Summary")[:31]].iter_rows(min_row=2):
        if isinstance(cell.value, float):
            cell.number_format = PERCENT
        elif isinstance(cell.value, int):
            cell.number_format = COUNT


def _rate_rows(table: pd.DataFrame, names: dict, minimum: int) -> list[list]:
    return [[row["measure"], names.get(row["measure"], row["measure"]), *_figures(row, minimum)]
            for row in table.to_dict("records")]


def _small_units_sheet(book: Workbook, group: dict, name_col: str) -> None:
    """The dashboard's empirical-Bayes section for one ranking group (app.quality.small_units)."""
    names = pages.unit_names()
    rows = [[_number(r["eb_rank"], 0), r["agency"], names.get(r["agency"], r["agency"]), _number(r["n"], 0),
             _number(r["direct"], 3), _number(r["direct_lower"], 3), _number(r["direct_upper"], 3),
             _number(r["eb"], 3), _number(r["eb_lower"], 3), _number(r["eb_upper"], 3), _number(r["gamma"], 3),
             f"{r['eb_rank_lower']}–{r['eb_rank_upper']}", _("small unit") if r["small"] else ""]
            for r in group["table"].to_dict("records")]
    columns = [(_("EB rank"), COUNT), (_("Code"), None), (_("Agency"), None), (_("Respondents"), COUNT),
               (_("Direct"), PERCENT), (_("CI lower bound"), PERCENT), (_("CI upper bound"), PERCENT),
               (_("EB estimate"), PERCENT), (_("EB lower bound"), PERCENT), (_("EB upper bound"), PERCENT),
               (_("Weight on own answers"), PERCENT), (_("EB rank interval"), None), (_("Note"), None)]
    block = group["block"].get(name_col) or group["block"]["code"]
    _sheet(book, _("Small units %(block)s", block=SHEET_UNSAFE.sub(" ", block)), columns, rows)


def workbook(snap: Snapshot) -> bytes:
    """The official's report, in the language of the request, with the dashboard's figures: a
    summary, indices (overall + factors), criteria, one ranking per block, SIPAS figures
    (timeliness, expectations). Percentages with one decimal, counts grouped, the header frozen,
    suppressed cells shown as the dashboard shows them."""
    wave = snap.wave
    data = overview.overview(snap, Filters())
    names = charts.names(wave)
    minimum = disclosure.minimum()
    book = Workbook()
    book.remove(book.active)
    _summary(book, wave, data, minimum)
    overall = [data["summary"]]
    measure = [(_("Code"), None), (_("Name"), None)]
    indices = pd.concat([pd.DataFrame(overall), data["factors"]], ignore_index=True)
    _sheet(book, _("Indices"), measure + _figure_headers(_("Satisfied")), _rate_rows(indices, names, minimum))
    _sheet(book, _("Criteria"), measure + _figure_headers(_("Satisfied")),
           _rate_rows(data["criteria"], names, minimum))
    name_col = "name_en" if current_language() == "en" else "name_vi"
    for ranking in data["rankings"]:
        rows = []
        for row in ranking["table"].to_dict("records"):
            ranked = not row.get("flagged") and _number(row.get("rank"), 0) is not None
            interval = f"{row['rank_lower']}–{row['rank_upper']}" if ranked else "–"
            *figures, note = _figures(row, minimum)
            rows.append([_number(row["rank"], 0) if ranked else "–", row["agency"], row.get(name_col) or row["agency"],
                         *figures, interval, _number(row["tier"], 0) if ranked else "–", note])
        *figure_columns, note_column = _figure_headers(_("Satisfied"))
        columns = [(_("Rank"), COUNT), (_("Code"), None), (_("Agency"), None), *figure_columns,
                   (_("Rank interval"), None), (_("Tier"), COUNT), note_column]
        block = ranking["block"].get(name_col) or ranking["block"]["code"]
        _sheet(book, _("Ranking %(block)s", block=SHEET_UNSAFE.sub(" ", block)), columns, rows)
    for group in small_units.section(snap, Filters()):
        _small_units_sheet(book, group, name_col)
    extras = data["extras"]
    figures = [[label, *_figures(extras[key], minimum)] for key, label in
               (("late", _("Late results")), ("apology", _("Apology letters among late results")),
                ("decision766", _("Decision 766 satisfaction score"))) if extras.get(key)]
    if figures:
        _sheet(book, _("Timeliness"), [(_("Figure"), None), *_figure_headers(_("Estimate"))], figures)
    if extras.get("expectations") is not None:
        _sheet(book, _("Expectations"), measure + _figure_headers(_("Share choosing it")),
               _rate_rows(extras["expectations"], names, minimum))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
