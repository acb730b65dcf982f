"""Demo data: a province, an open wave on the 2017–2020 questionnaire, ~20,000 responses.

Answers come from a seeded latent-satisfaction model with real differences between agencies,
blocks and factors, so that rankings, intervals and tiers have something to show.

The demo province: 41 agencies in 3 blocks, modelled on a provincial SIPAS (Quảng Ninh).
"""
from __future__ import annotations

import secrets
from datetime import date

import numpy as np
from sqlalchemy import func, select

from app import demo_rows
from app.accounts import users
from app.collect import store
from app.extensions import db
from app.models import Agency, FrameCount, Response, SurveyVersion, User, Wave
from app.models.wave import CHANNELS, WAVE_OPEN
from app.programme import agencies, questionnaires
from app.programme.questionnaires import questionnaire_of

SURVEY_SLUG = "sipas-2017"
BLOCK_EFFECT = {"departments": 0.25, "districts": -0.1, "central": 0.1}


def is_empty() -> bool:
    return not db.session.scalar(select(func.count(Response.id)))


def _agencies() -> list[Agency]:
    for position, (code, vi, en) in enumerate(BLOCKS):
        block = agencies.ensure_block(code, vi, en)
        block.position = position
    out = []
    for block_code, code, vi, en in AGENCIES:
        agency = agencies.by_code(code)
        if agency is None:
            agency = Agency(code=code, name_vi=vi, name_en=en, block=agencies.ensure_block(block_code))
            db.session.add(agency)
        out.append(agency)
    db.session.flush()
    return out


def _version() -> SurveyVersion:
    version = db.session.scalar(select(SurveyVersion).where(SurveyVersion.slug == SURVEY_SLUG)
                                .order_by(SurveyVersion.version.desc()))
    if version is None:
        questionnaires.publish_shipped()
        return _version()
    return version


def _wave(version: SurveyVersion, agency_list: list[Agency], year: int) -> Wave:
    wave = db.session.scalar(select(Wave).where(Wave.slug == "demo"))
    if wave is None:
        wave = Wave(slug="demo", name_vi=f"Khảo sát SIPAS tỉnh năm {year} (dữ liệu mẫu)",
                    name_en=f"Provincial SIPAS {year} (demo data)", survey_version=version,
                    period_start=date(year, 1, 1), period_end=date(year, 12, 31), status=WAVE_OPEN,
                    channels=list(CHANNELS), settings={"ci": "logit", "level": 0.95})
        wave.agencies = agency_list
        db.session.add(wave)
        db.session.flush()
    return wave


def local_today() -> date:
    return store.local_today()


def _responses(rng, wave: Wave, agency_list: list[Agency], total: int) -> int:
    """Generate and write the wave's responses (app/demo_rows.py: the answer model, a column at a
    time, written with COPY on PostgreSQL)."""
    questionnaire = questionnaire_of(wave.survey_version)
    factor_of = {item: f for f, items in questionnaire.factor_items().items() for item in items}
    factor_effect = {f: e for f, e in zip(questionnaire.factor_items(), rng.normal(0, 0.35, 10), strict=False)}
    item_effect = {code: rng.normal(0, 0.2) for code in factor_of}
    generator = demo_rows.Generator(questionnaire, factor_effect, item_effect)
    frame_n = rng.lognormal(9.3, 0.8, len(agency_list)).round().astype(int) + 500
    share = np.sqrt(frame_n) / np.sqrt(frame_n).sum()
    floor = max(5, min(30, total // (2 * len(agency_list))))
    sample_n = np.maximum((share * total).round().astype(int), floor)
    # never after today: a demo seeded in March has no answers dated in December
    days = max(0, (min(wave.period_end, local_today()) - wave.period_start).days)
    stored = 0
    for agency, big_n, n in zip(agency_list, frame_n, sample_n, strict=True):
        db.session.add(FrameCount(wave_id=wave.id, agency_id=agency.id, transactions=int(big_n)))
        effect = rng.normal(0, 0.35) + BLOCK_EFFECT.get(agency.block.code, 0)
        meta = demo_rows.Meta(wave.id, wave.survey_version_id, agency.id, wave.period_start, days)
        for rows in demo_rows.chunks(rng, generator, meta, effect, int(n), list(CHANNELS)):
            demo_rows.write(rows)
            stored += len(rows)
    db.session.flush()
    return stored


def _accounts(password: str) -> list[User]:
    created = []
    # entry@example.org: desk staff of SNV who key in paper forms (never the rated agency's account)
    for email, role, agency in (("admin@example.org", "admin", None), ("official@example.org", "official", None),
                                ("entry@example.org", "entry", "SNV")):
        if users.find_by_email(email) is None:
            created.append(users.create_user(email, role, password, name=role.title(), agency_code=agency))
    return created


def seed(*, responses: int = 20_000, seed_value: int = 2024, password: str | None = None,
         year: int | None = None) -> dict:
    """Create (idempotently) the demo province, wave and accounts; returns a summary."""
    rng = np.random.default_rng(seed_value)
    year = year or date.today().year
    agency_list = _agencies()
    wave = _wave(_version(), agency_list, year)
    already = db.session.scalar(select(func.count(Response.id)).where(Response.wave_id == wave.id))
    stored = 0 if already else _responses(rng, wave, agency_list, responses)
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    created = _accounts(password)
    return {"agencies": len(agency_list), "wave": wave.slug, "responses": stored or already,
            "accounts": [u.email for u in created], "password": password if created else None,
            "password_generated": generated and bool(created)}


BLOCKS = [
    ("departments", "Sở, ban, ngành", "Departments and boards"),
    ("districts", "UBND cấp huyện", "District People's Committees"),
    ("central", "Cơ quan ngành dọc Trung ương", "Central agencies in the province"),
]

AGENCIES = [
    ("departments", "SNV", "Sở Nội vụ", "Department of Home Affairs"),
    ("departments", "STP", "Sở Tư pháp", "Department of Justice"),
    ("departments", "SKHDT", "Sở Kế hoạch và Đầu tư", "Department of Planning and Investment"),
    ("departments", "STC", "Sở Tài chính", "Department of Finance"),
    ("departments", "SCT", "Sở Công Thương", "Department of Industry and Trade"),
    ("departments", "SNNPTNT", "Sở Nông nghiệp và Phát triển nông thôn", "Department of Agriculture and Rural Development"),
    ("departments", "SGTVT", "Sở Giao thông vận tải", "Department of Transport"),
    ("departments", "SXD", "Sở Xây dựng", "Department of Construction"),
    ("departments", "STNMT", "Sở Tài nguyên và Môi trường", "Department of Natural Resources and Environment"),
    ("departments", "STTTT", "Sở Thông tin và Truyền thông", "Department of Information and Communications"),
    ("departments", "SLDTBXH", "Sở Lao động - Thương binh và Xã hội", "Department of Labour, Invalids and Social Affairs"),
    ("departments", "SVHTT", "Sở Văn hóa và Thể thao", "Department of Culture and Sports"),
    ("departments", "SKHCN", "Sở Khoa học và Công nghệ", "Department of Science and Technology"),
    ("departments", "SGDDT", "Sở Giáo dục và Đào tạo", "Department of Education and Training"),
    ("departments", "SYT", "Sở Y tế", "Department of Health"),
    ("departments", "SDL", "Sở Du lịch", "Department of Tourism"),
    ("departments", "BQLKKT", "Ban Quản lý Khu kinh tế", "Economic Zone Authority"),
    ("departments", "BDT", "Ban Dân tộc", "Ethnic Minorities Committee"),
    ("departments", "TTT", "Thanh tra tỉnh", "Provincial Inspectorate"),
    ("departments", "VPUBND", "Văn phòng UBND tỉnh", "Office of the Provincial People's Committee"),
    ("districts", "HALONG", "UBND thành phố Hạ Long", "Hạ Long City People's Committee"),
    ("districts", "CAMPHA", "UBND thành phố Cẩm Phả", "Cẩm Phả City People's Committee"),
    ("districts", "UONGBI", "UBND thành phố Uông Bí", "Uông Bí City People's Committee"),
    ("districts", "MONGCAI", "UBND thành phố Móng Cái", "Móng Cái City People's Committee"),
    ("districts", "QUANGYEN", "UBND thị xã Quảng Yên", "Quảng Yên Town People's Committee"),
    ("districts", "DONGTRIEU", "UBND thành phố Đông Triều", "Đông Triều City People's Committee"),
    ("districts", "VANDON", "UBND huyện Vân Đồn", "Vân Đồn District People's Committee"),
    ("districts", "TIENYEN", "UBND huyện Tiên Yên", "Tiên Yên District People's Committee"),
    ("districts", "DAMHA", "UBND huyện Đầm Hà", "Đầm Hà District People's Committee"),
    ("districts", "HAIHA", "UBND huyện Hải Hà", "Hải Hà District People's Committee"),
    ("districts", "BINHLIEU", "UBND huyện Bình Liêu", "Bình Liêu District People's Committee"),
    ("districts", "BACHE", "UBND huyện Ba Chẽ", "Ba Chẽ District People's Committee"),
    ("districts", "COTO", "UBND huyện Cô Tô", "Cô Tô District People's Committee"),
    ("central", "CTHUE", "Cục Thuế tỉnh", "Provincial Tax Department"),
    ("central", "CHQ", "Cục Hải quan tỉnh", "Provincial Customs Department"),
    ("central", "KBNN", "Kho bạc Nhà nước tỉnh", "Provincial State Treasury"),
    ("central", "BHXH", "Bảo hiểm xã hội tỉnh", "Provincial Social Insurance"),
    ("central", "CATINH", "Công an tỉnh", "Provincial Police"),
    ("central", "NHNN", "Ngân hàng Nhà nước chi nhánh tỉnh", "State Bank, provincial branch"),
    ("central", "CTK", "Cục Thống kê tỉnh", "Provincial Statistics Office"),
    ("central", "CQLTT", "Cục Quản lý thị trường tỉnh", "Provincial Market Surveillance Department"),
]
