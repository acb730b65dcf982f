"""Questionnaire versions: validate, publish (immutable), look up."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

import survey_definitions
from app.extensions import db
from app.models import SurveyVersion, User
from app.models.base import utcnow
from app.models.survey import PUBLISHED
from app.services import audit
from survey_definitions import Questionnaire


class PublishRefused(ValueError):
    pass


def find(slug: str, version: int) -> SurveyVersion | None:
    return db.session.scalar(select(SurveyVersion).where(SurveyVersion.slug == slug,
                                                         SurveyVersion.version == version))


def publish_source(source: str, filename: str, actor: User | None = None) -> tuple[SurveyVersion, bool]:
    """Store a published version. Returns (version, created). Raises DefinitionError or PublishRefused."""
    questionnaire, problems = survey_definitions.parse(source, filename)
    if problems or questionnaire is None:
        raise survey_definitions.DefinitionError(problems)
    slug, number = questionnaire.id, questionnaire.version
    existing = find(slug, number)
    if existing is not None and existing.status == PUBLISHED:
        if existing.checksum == questionnaire.checksum:
            return existing, False
        raise PublishRefused(
            f"{filename}: {slug} v{number} is already published with different content "
            f"(checksum {existing.checksum[:12]}…, this file {questionnaire.checksum[:12]}…). "
            f"Published versions never change: save the edited file as {slug}.v{number + 1}.yaml."
        )
    version = existing or SurveyVersion(slug=slug, version=number)
    version.definition = questionnaire.to_dict()
    version.title_vi = version.definition["title"]["vi"]
    version.title_en = version.definition["title"]["en"]
    version.source = source
    version.checksum = questionnaire.checksum
    version.status = PUBLISHED
    version.published_at = utcnow()
    db.session.add(version)
    db.session.flush()
    audit.record("survey.publish", "survey_version", version.id, user=actor,
                 after={"slug": slug, "version": number, "checksum": version.checksum})
    return version, True


def publish_file(path: Path, actor: User | None = None) -> tuple[SurveyVersion, bool]:
    return publish_source(Path(path).read_text(encoding="utf-8"), Path(path).name, actor)


def publish_shipped() -> list[SurveyVersion]:
    return [publish_file(path)[0] for path in survey_definitions.shipped()]


_parsed: dict[str, Questionnaire] = {}


def questionnaire_of(version: SurveyVersion) -> Questionnaire:
    """The parsed questionnaire of a stored version, cached by checksum (versions are immutable)."""
    questionnaire = _parsed.get(version.checksum)
    if questionnaire is None:
        questionnaire = _parsed[version.checksum] = Questionnaire.from_dict(version.definition)
    return questionnaire


def questionnaire_by_checksum(version_id: int, checksum: str) -> Questionnaire:
    """questionnaire_of without loading the version row when its checksum is already parsed."""
    questionnaire = _parsed.get(checksum)
    if questionnaire is None:
        questionnaire = questionnaire_of(db.session.get(SurveyVersion, version_id))
    return questionnaire
