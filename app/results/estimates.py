"""A wave's satisfaction estimates: the wave's weights and design, the questionnaire's rule; and
the same tables as they may be published (app.results.disclosure)."""
from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
from flask_babel import gettext as _

from app.models import User, Wave
from app.programme.questionnaires import questionnaire_of
from app.results import design, disclosure, measures, rolled, snapshot
from app.results.snapshot import Snapshot
from app.shared.refusal import Refusal

# processing_unit: figures attributed to the unit that processed the dossier (agency: the one that
# received it), for per-case waves under Decree 118/2025 (amended by 367/2025)
DOMAINS = ("agency", "block", "channel", "language", "service_field", "processing_unit")


def compute(snap: Snapshot, by: Sequence[str] = ()) -> pd.DataFrame:
    """Rates for every rated item, factor and overall, per domain; cached per snapshot."""
    asked = list(dict.fromkeys(by))  # "agency,agency" means "agency"
    unknown = [c for c in asked if c not in DOMAINS]
    if unknown:
        raise Refusal("by", _("cannot group by %(items)s; choose from %(items2)s",
                              items=', '.join(unknown), items2=', '.join(DOMAINS)))
    by = sorted(asked, key=DOMAINS.index)  # "channel,agency" is "agency,channel": one entry, not two
    store = snapshot.ESTIMATES

    def build() -> pd.DataFrame:
        if by in ([], ["agency"]):  # every page shows the province and its agencies: one pass gives both
            try:
                both = _compute(snap, ["agency"], True)
                store[snap.key_of("estimates", ("agency",))], store[snap.key_of("estimates", ())] = both
                return both[0] if by else both[1]
            except Refusal:  # (an agency where nobody answered: the province alone still works)
                pass
        return _compute(snap, by)[0]

    table = snap.cached("estimates", build, tuple(by), store=store)
    if asked != by:  # the columns and row order asked for (rows sorted by the by columns, as computed)
        rest = [c for c in table.columns if c not in asked]
        table = table[[*asked, *rest]].sort_values(asked, kind="stable").reset_index(drop=True)
    return table


def _compute(snap: Snapshot, by: list[str], with_total: bool = False) -> list[pd.DataFrame]:
    return from_cells(snap.wave, rolled.read(snap), by, with_total)


def from_cells(wave: Wave, cm, by: list[str], with_total: bool = False) -> list[pd.DataFrame]:
    """The wave's rates from cell moments ``cm`` (its own, or its cells with key columns added or
    other waves' cells stacked on: app.results.lineage_trend), under its questionnaire and design."""
    from analysis.moments import rates_from_moments  # scipy: slow to import, only figures need it

    questionnaire = questionnaire_of(wave.survey_version)
    items = questionnaire.rated_items
    if not len(cm.count):
        columns = ["measure", "n", "rate", "se", "ci_lower", "ci_upper", "deff", "n_eff"]
        return [pd.DataFrame(columns=[*by, *columns]), pd.DataFrame(columns=columns)]
    named = [measures.item_measure(c) for c in items]
    factors = {f: [measures.item_measure(c) for c in m] for f, m in questionnaire.factor_items().items()} or None
    try:
        out = rates_from_moments(cm, named, by=by or None, factors=factors, rule=questionnaire.rule or "pooled",
                                 with_total=with_total, **design.options(wave))
    except ValueError as exc:  # margins that do not fit the data, fpc below the sample, ...
        raise Refusal("settings", _("the wave's weighting settings do not fit its data: %(exc)s",
                                    exc=exc)) from exc
    tables = list(out) if with_total else [out]
    if measures.ITEM_OVERALL in named:  # the question coded "overall" is shown as the overall figure
        tables = [_item_as_overall(t, questionnaire.overall) for t in tables]
    return tables


def _item_as_overall(table: pd.DataFrame, index_shown: bool) -> pd.DataFrame:
    """The row of a question coded "overall" takes its code back, in place of the overall index
    unless the questionnaire shows that index (then the question's row goes)."""
    drop = measures.ITEM_OVERALL if index_shown else "overall"
    table = table[table["measure"] != drop].copy()
    table["measure"] = table["measure"].replace(measures.ITEM_OVERALL, "overall")
    return table.reset_index(drop=True)


def protected(snap: Snapshot, dims: Sequence[str]) -> pd.DataFrame:
    """``disclosure.protect(snap, compute(snap, dims), dims)``, cached per snapshot: every page
    and API answer publishes these tables, so they are worked out once."""
    table = compute(snap, dims)  # (validates dims; cached itself)
    return snap.cached("protected", lambda: disclosure.protect(snap, table, dims), tuple(dims),
                       disclosure.minimum())


def _clean(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def estimate_rows(wave: Wave | Snapshot, by: Sequence[str] = (), user: User | None = None,
                  view: str = "reviewed") -> list[dict]:
    """Rows for the API and the estimates CSV: figures of groups below the anonymity threshold,
    and of the groups that would give them away, suppressed. Given a wave (the API), the figures
    are those the wave's pages show (snapshot.current), after integrity review or (``view``
    "collected") as collected."""
    snap = wave if isinstance(wave, Snapshot) else snapshot.current(wave, view)
    table = protected(snap, list(by))  # small groups and their complements hidden
    if user is not None and user.role == "agency" and "agency" in by:
        table = table[table["agency"] == (user.agency.code if user.agency else None)]
    rows = []
    for record in table.drop(columns=["small"]).to_dict(orient="records"):
        row = {k: _clean(v) for k, v in record.items()}
        row["suppressed"] = bool(row["suppressed"])
        rows.append(row)
    return rows
