"""Open-data releases: a wave's figures frozen, published after an optional embargo, withdrawn.

A release holds exactly the figures the dashboard and the API publish (app.results.estimates:
small groups and their complements suppressed jointly across the province, block and agency
tables, so that no hidden figure can be worked out from the published totals), with n, estimate,
standard error, interval, suppression flag and the methodology version. Free text is never in
it. Rows are frozen at creation: a later correction is a new release number, never a change to a
published one.
"""
from __future__ import annotations

import csv
import hashlib
import io
import math
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import OpenRelease, User, Wave
from app.models.base import utcnow
from app.opendata import increments
from app.results import estimates, snapshot
from app.shared import audit
from app.shared.refusal import Refusal

# Bumped whenever how a published figure is computed changes (estimator, intervals, suppression).
METHODOLOGY_VERSION = "sipas-2026.12"
CLI = "cli:opendata"  # the audit's actor for releases made from the command line
TABLES = (("province", []), ("block", ["block"]), ("agency", ["agency"]))
COLUMNS = ("wave", "release", "table", "block", "agency", "measure", "n", "estimate", "se", "ci_lower",
           "ci_upper", "level", "suppressed", "methodology_version")


def _number(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), 10) if isinstance(value, float) else value


def build_rows(wave: Wave, number: int) -> list[dict]:
    snap = snapshot.current(wave)
    level = wave.estimation.level
    blocks = {a.code: a.block.code for a in wave.agencies}  # a unit's row names its block too
    rows = []
    for table, by in TABLES:
        for row in estimates.estimate_rows(snap, by):
            suppressed = bool(row.get("suppressed"))
            rows.append({
                "wave": wave.slug, "release": number, "table": table, "block": row.get("block") or blocks.get(row.get("agency") or "", ""),
                "agency": row.get("agency") or "", "measure": row["measure"], "n": int(row.get("n") or 0),
                "estimate": None if suppressed else _number(row.get("rate")),
                "se": None if suppressed else _number(row.get("se")),
                "ci_lower": None if suppressed else _number(row.get("ci_lower")),
                "ci_upper": None if suppressed else _number(row.get("ci_upper")),
                "level": level, "suppressed": suppressed, "methodology_version": METHODOLOGY_VERSION})
    return rows


def as_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row[k] is None else str(row[k]).lower() if isinstance(row[k], bool) else row[k])
                         for k in COLUMNS})
    return out.getvalue()


def embargo_from(text: str) -> datetime | None:
    """An embargo's end as typed (local time, e.g. 2026-12-31T09:00), in UTC; None when empty."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        local = datetime.fromisoformat(text)
    except ValueError:
        raise Refusal("embargo_until", _("expected a date and time such as 2026-12-31T09:00")) from None
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return local.replace(tzinfo=zone).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


@dataclass(frozen=True)
class Made:
    """A release just made, and how many of its figures were hidden as small changes since an
    earlier release (app.opendata.increments): for the administrator's message and the CLI."""
    release: OpenRelease
    hidden_as_changes: int


def make(wave: Wave, actor: User | None, embargo_until: datetime | None = None) -> Made:
    """Freeze the wave's figures as its next release (not yet published); ``actor`` None: the
    command line (a weekly timer)."""
    if wave.status == "draft":
        raise Refusal("wave", _("a draft wave has no figures to release"))
    earlier = list(reversed(of_wave(wave)))
    number = (earlier[-1].number if earlier else 0) + 1
    rows = build_rows(wave, number)
    # what changed by too few answers since an earlier release is hidden too (app.opendata.increments)
    changed = increments.hide_changes(rows, [r.rows for r in earlier], current_app.config["MIN_GROUP_SIZE"])
    release = OpenRelease(wave_id=wave.id, number=number, methodology_version=METHODOLOGY_VERSION, rows=rows,
                          checksum=hashlib.sha256(as_csv(rows).encode("utf-8")).hexdigest(),
                          created_by=actor.id if actor else None, embargo_until=embargo_until)
    db.session.add(release)
    db.session.flush()
    audit.record("open.release", "wave", wave.slug, user=actor, actor=None if actor else CLI,
                 after={"release": number, "rows": len(rows), "hidden_as_small_changes": len(changed),
                        "embargo_until": embargo_until.isoformat() if embargo_until else None})
    return Made(release, len(changed))


def publish(release: OpenRelease, actor: User | None) -> OpenRelease:
    """Publish: visible at once, or when its embargo ends."""
    if release.withdrawn_at is not None:
        raise Refusal("release", _("a withdrawn release cannot be published again: make a new one"))
    if release.published_at is not None:
        raise Refusal("release", _("this release is already published"))
    now = utcnow()
    release.published_at = max(now, release.embargo_until) if release.embargo_until else now
    audit.record("open.publish", "wave", release.wave.slug, user=actor, actor=None if actor else CLI,
                 after={"release": release.number, "visible_from": release.published_at.isoformat()})
    return release


def withdraw(release: OpenRelease, actor: User) -> OpenRelease:
    if release.withdrawn_at is not None:
        raise Refusal("release", _("this release is already withdrawn"))
    release.withdrawn_at = utcnow()
    audit.record("open.withdraw", "wave", release.wave.slug, user=actor, after={"release": release.number})
    return release


def is_visible(release: OpenRelease, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return release.published_at is not None and release.published_at <= now and release.withdrawn_at is None


def visible(wave_slug: str | None = None) -> list[OpenRelease]:
    now = utcnow()
    query = (select(OpenRelease).join(Wave, Wave.id == OpenRelease.wave_id)
             .where(OpenRelease.published_at.is_not(None), OpenRelease.published_at <= now,
                    OpenRelease.withdrawn_at.is_(None)).order_by(Wave.slug, OpenRelease.number))
    if wave_slug is not None:
        query = query.where(Wave.slug == wave_slug)
    return list(db.session.scalars(query))


def of_wave(wave: Wave) -> list[OpenRelease]:
    return list(db.session.scalars(select(OpenRelease).where(OpenRelease.wave_id == wave.id)
                                   .order_by(OpenRelease.number.desc())))


def metadata(release: OpenRelease) -> dict:
    """DCAT-style description of one release (a dcat:Dataset with its two distributions)."""
    wave = release.wave
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    link = lambda ext: base + url_for("results.open_release", slug=wave.slug, number=release.number, ext=ext)  # noqa: E731
    return {
        "@type": "dcat:Dataset",
        "dct:identifier": f"{wave.slug}-{release.number}",
        "dct:title": {"vi": wave.name_vi, "en": wave.name_en},
        "dct:description": {"vi": "Chỉ số hài lòng (SIPAS) theo tỉnh, khối và cơ quan, có khoảng tin cậy; "
                                  "số liệu của nhóm nhỏ được ẩn.",
                            "en": "Satisfaction indices (SIPAS) by province, block and agency with confidence "
                                  "intervals; figures of small groups suppressed."},
        "dct:issued": release.published_at.isoformat(timespec="seconds") + "Z",
        "dct:temporal": {"dcat:startDate": wave.period_start.isoformat(), "dcat:endDate": wave.period_end.isoformat()},
        "dct:conformsTo": release.methodology_version,
        "dct:license": "https://creativecommons.org/licenses/by/4.0/",
        "dcat:version": str(release.number),
        "spdx:checksum": {"spdx:algorithm": "sha256", "spdx:checksumValue": release.checksum},
        "dcat:distribution": [
            {"@type": "dcat:Distribution", "dcat:downloadURL": link("csv"), "dcat:mediaType": "text/csv"},
            {"@type": "dcat:Distribution", "dcat:downloadURL": link("json"), "dcat:mediaType": "application/json"},
        ],
    }


def catalog() -> dict:
    return {"@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
                         "spdx": "http://spdx.org/rdf/terms#"},
            "@type": "dcat:Catalog", "dct:title": {"vi": "Dữ liệu mở SIPAS", "en": "SIPAS open data"},
            "dcat:dataset": [metadata(r) for r in visible()]}
