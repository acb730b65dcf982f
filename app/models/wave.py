from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Float, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.agency import Agency
from app.models.base import Base, utcnow
from app.models.survey import SurveyVersion

CHANNELS = ("link", "kiosk", "paper", "online")
WAVE_DRAFT, WAVE_OPEN, WAVE_CLOSED = "draft", "open", "closed"



@dataclass(frozen=True)
class WaveSettings:
    """A wave's settings, typed, with their defaults in one place (stored as JSON in wave.settings)."""

    ci: str = "logit"  # confidence interval method for proportions: logit, wald, ...
    level: float = 0.95  # confidence level of every interval
    fpc: bool = False  # finite population correction from the frame's transaction counts
    rake: bool = True  # calibrate to the wave's population margins when it has some
    paper_double_entry: bool = False  # a paper form counts when two keyings agree
    purge_dossiers_on_close: bool = True  # delete invitations' dossier digests when the wave closes
    # weighting-class adjustment on the funnel cells (agency × invitation channel) before raking:
    # w = design weight × issued_c / completed_c (app.results.funnel, analysis.nonresponse)
    nonresponse: bool = False

    @classmethod
    def parse(cls, data: dict[str, Any] | None) -> WaveSettings:
        data = data or {}
        values = {f.name: data[f.name] for f in fields(cls) if data.get(f.name) is not None}
        if "level" in values:
            values["level"] = float(values["level"])
        for name in ("fpc", "rake", "paper_double_entry", "purge_dossiers_on_close", "nonresponse"):
            if name in values:
                values[name] = bool(values[name])
        return cls(**values)

    def key(self) -> tuple:
        """What cached figures depend on."""
        return tuple(sorted(asdict(self).items()))


wave_agency = Table(
    "wave_agency",
    Base.metadata,
    Column("wave_id", ForeignKey("wave.id", ondelete="CASCADE"), primary_key=True),
    Column("agency_id", ForeignKey("agency.id"), primary_key=True),
)


class Wave(Base):
    """A survey period on one questionnaire version, over a set of agencies."""

    __tablename__ = "wave"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_vi: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_version.id"))
    period_start: Mapped[date]
    period_end: Mapped[date]
    status: Mapped[str] = mapped_column(String(12), default=WAVE_DRAFT)
    channels: Mapped[list[str]] = mapped_column(JSON, default=lambda: list(CHANNELS))
    # Estimation settings: ci method, level, fpc, raking, trimming, minimum group size.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    results_public: Mapped[bool] = mapped_column(default=False)
    # Bumped on every change to the wave's responses; keys the cache of computed results.
    data_version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    survey_version: Mapped[SurveyVersion] = relationship(lazy="joined")
    agencies: Mapped[list[Agency]] = relationship(secondary=wave_agency, order_by=Agency.code)

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_vi

    @property
    def is_open(self) -> bool:
        return self.status == WAVE_OPEN

    @property
    def estimation(self) -> WaveSettings:
        return WaveSettings.parse(self.settings)

    def change_settings(self, **changes: Any) -> None:
        # a new dict: changes inside a JSON column are not tracked
        self.settings = {**(self.settings or {}), **changes}

    def mark_data_changed(self) -> None:
        """The responses, their weights or their exclusions changed: cached figures are stale."""
        self.data_version = (self.data_version or 0) + 1


class FrameCount(Base):
    """Transactions in the sampling frame: N_h for the design weights N_h / n_h."""

    __tablename__ = "frame_count"
    __table_args__ = (UniqueConstraint("wave_id", "agency_id", "stratum"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    stratum: Mapped[str] = mapped_column(String(80), default="")
    transactions: Mapped[int]


class Margin(Base):
    """A population total for raking: variable (a question code or 'agency') × category."""

    __tablename__ = "margin"
    __table_args__ = (UniqueConstraint("wave_id", "variable", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"))
    variable: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(80))
    total: Mapped[float] = mapped_column(Float)


# An open-data release (issue 20): a wave's figures frozen at one moment, served at stable URLs
# (/open/<wave>/<number>.csv|json) once an administrator publishes it (at once, or at the end of an
# embargo). Never free text; figures of small groups and their complements suppressed.
class OpenRelease(Base):
    __tablename__ = "open_release"
    __table_args__ = (UniqueConstraint("wave_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]  # 1, 2, … per wave: the stable URL's version
    methodology_version: Mapped[str] = mapped_column(String(40))
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    checksum: Mapped[str] = mapped_column(String(64))  # SHA-256 of the CSV
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    embargo_until: Mapped[datetime | None]  # UTC; published only from then on
    published_at: Mapped[datetime | None]  # set by the publish step (may lie in the future: the embargo)
    withdrawn_at: Mapped[datetime | None]

    wave: Mapped[Wave] = relationship()
