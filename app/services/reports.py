"""Downloads: the wave report as Excel (one sheet per table) and the estimates as CSV."""
from __future__ import annotations

import io

import pandas as pd
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from app.i18n import current_language
from app.models import Wave
from app.services import cells, dashboard, dashcharts, estimates

RATE_COLUMNS = ["measure", "n", "rate", "se", "ci_lower", "ci_upper", "deff", "n_eff"]


def estimates_csv(wave: Wave, by: tuple[str, ...] = ("agency",)) -> bytes:
    """The rates CSV of `python -m analysis rates` (by columns first), small groups blanked."""
    rows = estimates.estimate_rows(wave, by=list(by))
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


def _sheet(book: Workbook, title: str, table: pd.DataFrame) -> None:
    sheet = book.create_sheet(title[:31])
    sheet.append([str(c) for c in table.columns])
    for record in table.itertuples(index=False):
        sheet.append([None if isinstance(v, float) and v != v else _plain(v) for v in record])
    for row in sheet.iter_rows():
        for cell in row:  # names and labels are text: never a formula (see app.services.cells)
            if isinstance(cell.value, str):
                cell.data_type = "s"
                cell.quotePrefix = cells.is_risky(cell.value)
    for i, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = max(10, min(60, len(str(column)) + 4))
    sheet.freeze_panes = "A2"


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    if value is pd.NA:
        return None
    return value


def workbook(wave: Wave) -> bytes:
    """Sheets: indices (overall + factors), criteria, one ranking per block, SIPAS figures."""
    data = dashboard.overview(wave, dashboard.Filters())
    names = dashcharts.names(wave)
    book = Workbook()
    book.remove(book.active)
    indices = pd.concat([pd.DataFrame([data["overall"]]) if data["overall"] else pd.DataFrame(),
                         data["factors"]], ignore_index=True)
    for table, title in ((indices, _("Indices")), (data["criteria"], _("Criteria"))):
        table = table.reindex(columns=RATE_COLUMNS).copy()
        table.insert(1, "name", [names.get(m, m) for m in table["measure"]])
        _sheet(book, title, table)
    name_col = "name_en" if current_language() == "en" else "name_vi"
    for ranking in data["rankings"]:
        table = ranking["table"][["agency", name_col, "n", "rate", "ci_lower", "ci_upper", "n_eff", "rank",
                                  "rank_lower", "rank_upper", "tier", "flagged", "suppressed"]]
        _sheet(book, _("Ranking %(block)s", block=ranking["block"]["code"]), table.rename(columns={name_col: "name"}))
    extras = data["extras"]
    rows = [{"figure": label, **extras[key]} for key, label in
            (("late", _("Late results")), ("apology", _("Apology letters among late results")),
             ("decision766", _("Decision 766 satisfaction score"))) if extras.get(key)]
    if rows:
        _sheet(book, _("Timeliness"), pd.DataFrame(rows).reindex(columns=["figure", *RATE_COLUMNS[1:]]))
    if extras.get("expectations") is not None:
        table = extras["expectations"].reindex(columns=RATE_COLUMNS).copy()
        table.insert(1, "name", [names.get(m, m) for m in table["measure"]])
        _sheet(book, _("Expectations"), table)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
