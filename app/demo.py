"""Demo data: a merged province, its open wave on the 2017–2020 questionnaire (~20,000 responses),
and the closed waves of the two provinces it was made of (the trend across the 2025 merger).

Answers come from a seeded latent-satisfaction model with real differences between agencies,
blocks and factors, so that rankings, intervals and tiers have something to show; the old
provinces' waves of 2023 and 2024 are a little less satisfied than today's (app/demo_units.py:
``shifts``), so the trend across the merger rises.

The demo province (app/demo_units.py): the new Hưng Yên of 1 July 2025, 41 units in 3 blocks
(departments, communes and wards, central agencies), from the old Hưng Yên and Thái Bình, whose
units end on 30 June 2025 through the reorganisation the lineage records (``reorganise.apply``).
"""
from __future__ import annotations

import secrets
from datetime import date

import numpy as np
from sqlalchemy import func, select

from app import demo_rows, demo_units
from app.accounts import users
from app.collect import store
from app.extensions import db
from app.models import Agency, AgencyLineage, FrameCount, Response, SurveyVersion, User, Wave
from app.models.wave import CHANNELS, WAVE_CLOSED, WAVE_OPEN
from app.programme import agencies, questionnaires, reorganise
from app.programme.questionnaires import questionnaire_of

SURVEY_SLUG = "sipas-2017"
BLOCK_EFFECT = {"departments": 0.25, "communes": -0.1, "districts": -0.1, "central": 0.1}
MERGED_ON = demo_units.MERGED_ON
FORMER = " and ".join(p.name_en for p in demo_units.OLD_PROVINCES)
HISTORY_SHARE = 10  # each old province's wave has about responses / HISTORY_SHARE responses


def is_empty() -> bool:
    return not db.session.scalar(select(func.count(Response.id)))


def _blocks() -> None:
    for position, (code, vi, en) in enumerate(demo_units.BLOCKS):
        block = agencies.ensure_block(code, vi, en)
        block.position = position


def _unit(block_code: str, code: str, vi: str, en: str, **dates) -> Agency:
    agency = agencies.by_code(code)
    if agency is None:
        agency = Agency(code=code, name_vi=vi, name_en=en, block=agencies.ensure_block(block_code),
                        level=demo_units.LEVEL_OF_BLOCK[block_code], **dates)
        db.session.add(agency)
    return agency


def _agencies() -> list[Agency]:
    """Today's units (from 1 July 2025)."""
    _blocks()
    out = [_unit(*row, valid_from=demo_units.MERGED_ON) for row in demo_units.AGENCIES]
    db.session.flush()
    return out


def _old_agencies() -> list[list[Agency]]:
    """Each old province's units, ended on 30 June 2025 by the lineage (applied once)."""
    out = [[_unit(block, code, vi, en) for block, code, vi, en, _s in province.unit_list()]
           for province in demo_units.OLD_PROVINCES]
    db.session.flush()
    return out


def _lineage() -> int:
    """Record the merger with reorganise.apply (the rows of old units not reorganised yet)."""
    rows = demo_units.lineage_rows()
    done = set(db.session.scalars(select(Agency.code).join(AgencyLineage, AgencyLineage.old_agency_id == Agency.id)
                                  .where(Agency.code.in_({old for old, _n, _s in rows}))))
    todo = [row for row in rows if row[0] not in done]
    if todo:
        reorganise.apply(demo_units.lineage_csv(todo))
    return len(todo)


def _version() -> SurveyVersion:
    version = db.session.scalar(select(SurveyVersion).where(SurveyVersion.slug == SURVEY_SLUG)
                                .order_by(SurveyVersion.version.desc()))
    if version is None:
        questionnaires.publish_shipped()
        return _version()
    return version


def _wave(version: SurveyVersion, agency_list: list[Agency], slug: str, names: tuple[str, str],
          period: tuple[date, date], status: str) -> Wave:
    wave = db.session.scalar(select(Wave).where(Wave.slug == slug))
    if wave is None:
        wave = Wave(slug=slug, name_vi=names[0], name_en=names[1], survey_version=version,
                    period_start=period[0], period_end=period[1], status=status,
                    channels=list(CHANNELS), settings={"ci": "logit", "level": 0.95})
        wave.agencies = agency_list
        db.session.add(wave)
        db.session.flush()
    return wave


def local_today() -> date:
    return store.local_today()


def _generator(rng, questionnaire) -> demo_rows.Generator:
    """The answer model's factor and item effects (the same for every wave of one seed)."""
    factor_of = {item: f for f, items in questionnaire.factor_items().items() for item in items}
    factor_effect = {f: e for f, e in zip(questionnaire.factor_items(), rng.normal(0, 0.35, 10), strict=False)}
    item_effect = {code: rng.normal(0, 0.2) for code in factor_of}
    return demo_rows.Generator(questionnaire, factor_effect, item_effect)


def _responses(rng, wave: Wave, agency_list: list[Agency], total: int, generator: demo_rows.Generator,
               effects: np.ndarray | None = None, least: int = 5) -> int:
    """Generate and write the wave's responses and frame counts (app/demo_rows.py: the answer model,
    a column at a time, written with COPY on PostgreSQL). An agency's effect is drawn unless given;
    it has at least ``least`` responses (up to 30 when the total allows)."""
    frame_n = rng.lognormal(9.3, 0.8, len(agency_list)).round().astype(int) + 500
    share = np.sqrt(frame_n) / np.sqrt(frame_n).sum()
    floor = max(least, min(30, total // (2 * len(agency_list))))
    sample_n = np.maximum((share * total).round().astype(int), floor)
    # never after today: a demo seeded in March has no answers dated in December
    days = max(0, (min(wave.period_end, local_today()) - wave.period_start).days)
    stored = 0
    for i, (agency, big_n, n) in enumerate(zip(agency_list, frame_n, sample_n, strict=True)):
        db.session.add(FrameCount(wave_id=wave.id, agency_id=agency.id, transactions=int(big_n)))
        effect = (rng.normal(0, 0.35) if effects is None else effects[i]) + BLOCK_EFFECT.get(agency.block.code, 0)
        meta = demo_rows.Meta(wave.id, wave.survey_version_id, agency.id, wave.period_start, days)
        for rows in demo_rows.chunks(rng, generator, meta, effect, int(n), list(CHANNELS)):
            demo_rows.write(rows)
            stored += len(rows)
    db.session.flush()
    return stored


def _count(wave: Wave) -> int:
    return db.session.scalar(select(func.count(Response.id)).where(Response.wave_id == wave.id))


def _history(version: SurveyVersion, seed_value: int, total: int) -> tuple[list[dict], int]:
    """The old provinces' units, the lineage to today's (how many rows were recorded now) and their
    closed waves of 2023 and 2024 (slug, responses, agencies)."""
    old = _old_agencies()
    lineage_rows = _lineage()
    generator = _generator(np.random.default_rng(seed_value), questionnaire_of(version))
    out = []
    for p, (province, units) in enumerate(zip(demo_units.OLD_PROVINCES, old, strict=True)):
        lasting = np.random.default_rng([seed_value, p]).normal(0, 0.3, len(units))  # a unit's own level
        for year, shift in sorted(province.shifts.items()):
            names = (f"Khảo sát SIPAS tỉnh {province.name_vi} năm {year} (dữ liệu mẫu)",
                     f"Provincial SIPAS {year}, {province.name_en} (demo data)")
            wave = _wave(version, units, f"demo-{province.prefix.lower()}-{year}", names,
                         (date(year, 1, 1), date(year, 12, 31)), WAVE_CLOSED)
            stored = _count(wave) or _responses(np.random.default_rng([seed_value, p, year]), wave, units,
                                                total, generator, lasting + shift, least=2)
            out.append({"wave": wave.slug, "responses": stored, "agencies": len(units)})
    return out, lineage_rows


def _accounts(password: str) -> list[User]:
    created = []
    # entry@example.org: desk staff of SNV who key in paper forms (never the rated agency's account)
    for email, role, agency in (("admin@example.org", "admin", None), ("official@example.org", "official", None),
                                ("entry@example.org", "entry", "SNV")):
        if users.find_by_email(email) is None:
            created.append(users.create_user(email, role, password, name=role.title(), agency_code=agency))
    return created


def seed(*, responses: int = 20_000, seed_value: int = 2024, password: str | None = None,
         year: int | None = None, history: bool = True) -> dict:
    """Create (idempotently) the demo province, its wave, the old provinces' waves (unless
    ``history`` is False) and the accounts; returns a summary. The open wave covers ``year`` (this
    year by default; never before the merger: in 2025 it starts on 1 July)."""
    rng = np.random.default_rng(seed_value)
    year = max(year or date.today().year, demo_units.MERGED_ON.year)
    version = _version()
    agency_list = _agencies()
    names = (f"Khảo sát SIPAS tỉnh {demo_units.PROVINCE[0]} năm {year} (dữ liệu mẫu)",
             f"Provincial SIPAS {year}, {demo_units.PROVINCE[1]} (demo data)")
    period = (max(date(year, 1, 1), demo_units.MERGED_ON), date(year, 12, 31))
    wave = _wave(version, agency_list, "demo", names, period, WAVE_OPEN)
    already = _count(wave)
    stored = 0 if already else _responses(rng, wave, agency_list, responses,
                                          _generator(rng, questionnaire_of(wave.survey_version)))
    past, lineage_rows = _history(version, seed_value, max(1, responses // HISTORY_SHARE)) if history else ([], 0)
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    created = _accounts(password)
    return {"agencies": len(agency_list), "wave": wave.slug, "responses": stored or already, "history": past,
            "lineage": lineage_rows, "accounts": [u.email for u in created], "password": password if created else None,
            "password_generated": generated and bool(created)}
