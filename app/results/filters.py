"""The dashboard's filters (block, channel, service field): parsed from a request, applied to an
estimates table or to the respondent table as a domain."""
from __future__ import annotations

from dataclasses import dataclass, fields

import pandas as pd
from flask_babel import gettext as _

from app.models import Wave
from app.programme.questionnaires import questionnaire_of
from app.shared.refusal import Refusal


@dataclass(frozen=True)
class Filters:
    block: str = ""
    channel: str = ""
    service_field: str = ""
    attribute: str = ""  # "processing": rank per-case ratings by the unit that processed the dossier

    @property
    def dims(self) -> list[str]:
        """Estimation domains the filter needs (block only narrows the rankings shown)."""
        return [f for f in ("channel", "service_field") if getattr(self, f)]

    def as_args(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


def service_fields(wave: Wave) -> list[int]:
    questionnaire = questionnaire_of(wave.survey_version)
    codes = {q.code for q in questionnaire.questions}
    if "service_field" not in codes:
        return []
    return [c.value for c in questionnaire.question("service_field").options or []]


def parse_filters(wave: Wave, args) -> Filters:
    """Filters from query arguments; unknown values → Refusal (a 400)."""
    block = (args.get("block") or "").strip()
    channel = (args.get("channel") or "").strip()
    field = (args.get("service_field") or "").strip()
    if block and block not in {a.block.code for a in wave.agencies}:
        raise Refusal("block", _("unknown block '%(block)s'", block=block))
    if channel and channel not in (wave.channels or []):
        raise Refusal("channel", _("unknown channel '%(channel)s'", channel=channel))
    if field and (not field.isdigit() or int(field) not in service_fields(wave)):
        raise Refusal("service_field", _("unknown service field '%(field)s'", field=field))
    attribute = (args.get("attribute") or "").strip()
    if attribute not in ("", "receiving", "processing"):
        raise Refusal("attribute", _("choose receiving or processing"))
    if attribute == "processing" and questionnaire_of(wave.survey_version).definition.kind != "per_case":
        raise Refusal("attribute", _("only per-case ratings name the unit that processed the dossier"))
    return Filters(block=block, channel=channel, service_field=field,
                   attribute="processing" if attribute == "processing" else "")


def select_rows(table: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The rows of an estimates table (by the filter's dims) that the filter's cell is."""
    rows = table
    if filters.channel:
        rows = rows[rows["channel"].astype(str) == filters.channel]
    if filters.service_field:
        rows = rows[pd.to_numeric(rows["service_field"], errors="coerce") == float(filters.service_field)]
    return rows.reset_index(drop=True)


def in_domain(data: pd.DataFrame, filters: Filters) -> pd.Series:
    """Which rows (respondents, or the cells of app.results.rolled) are in the filter's cell
    (estimated as a domain of the whole sample)."""
    inside = pd.Series(True, index=data.index)
    if filters.block:
        inside &= data["block"] == filters.block
    if filters.channel:
        inside &= data["channel"].astype(str) == filters.channel
    if filters.service_field:
        inside &= pd.to_numeric(data["service_field"], errors="coerce") == float(filters.service_field)
    return inside
