"""Questionnaire versions: validate, publish (immutable), look up.

Questionnaire drafts edited in the browser: stored as SurveyVersion rows with status draft.

A draft keeps its YAML source even while invalid, so that no work is lost; its definition and
checksum are filled in only when the source validates. Publishing goes through
``publish_source``, after which the version never changes.
"""
from __future__ import annotations

import difflib
import re
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import func, select

import survey_definitions
from app.extensions import db
from app.models import SurveyVersion, User
from app.models.base import utcnow
from app.models.survey import DRAFT, PUBLISHED
from app.shared import audit
from app.shared.refusal import Refusal
from survey_definitions import Problem, Questionnaire, from_dict
from survey_definitions.xlsform import to_yaml


def find(slug: str, version: int) -> SurveyVersion | None:
    return db.session.scalar(select(SurveyVersion).where(SurveyVersion.slug == slug,
                                                         SurveyVersion.version == version))


def publish_source(source: str, filename: str, actor: User | None = None) -> tuple[SurveyVersion, bool]:
    """Store a published version. Returns (version, created). Raises DefinitionError, or Refusal for a
    published version with other content."""
    questionnaire, problems = survey_definitions.parse(source, filename)
    if problems or questionnaire is None:
        raise survey_definitions.DefinitionError(problems)
    slug, number = questionnaire.id, questionnaire.version
    existing = find(slug, number)
    if existing is not None and existing.status == PUBLISHED:
        if existing.checksum == questionnaire.checksum:
            return existing, False
        raise Refusal("source", _(
            "%(file)s: %(slug)s v%(number)s is already published with different content (checksum "
            "%(old)s…, this file %(new)s…). Published versions never change: save the edited file as "
            "%(slug)s.v%(next)s.yaml.", file=filename, slug=slug, number=number, old=existing.checksum[:12],
            new=questionnaire.checksum[:12], next=number + 1))
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
        questionnaire = _parsed[version.checksum] = from_dict(version.definition)
    return questionnaire


def questionnaire_by_checksum(version_id: int, checksum: str) -> Questionnaire:
    """questionnaire_of without loading the version row when its checksum is already parsed."""
    questionnaire = _parsed.get(checksum)
    if questionnaire is None:
        questionnaire = questionnaire_of(db.session.get(SurveyVersion, version_id))
    return questionnaire


SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MAX_SOURCE = 500_000
BLANK = """id: {slug}
version: {version}
title: {{vi: Phiếu khảo sát mới, en: New questionnaire}}
languages: [vi, en]

scales:
  satisfaction5:
    points:
      - {{value: 1, label: {{vi: Rất không hài lòng, en: Very dissatisfied}}}}
      - {{value: 2, label: {{vi: Không hài lòng, en: Dissatisfied}}}}
      - {{value: 3, label: {{vi: Bình thường, en: Neither satisfied nor dissatisfied}}}}
      - {{value: 4, label: {{vi: Hài lòng, en: Satisfied}}}}
      - {{value: 5, label: {{vi: Rất hài lòng, en: Very satisfied}}}}
    satisfied: [4, 5]

sections:
  - code: service
    title: {{vi: Dịch vụ, en: Service}}
    questions:
      - code: overall
        type: scale
        scale: satisfaction5
        required: true
        text: {{vi: Ông/Bà hài lòng với sự phục vụ ở mức nào?, en: How satisfied are you with the service?}}
"""


def filename(version: SurveyVersion) -> str:
    return f"{version.slug}.v{version.version}.yaml"


def list_versions() -> list[SurveyVersion]:
    return list(db.session.scalars(select(SurveyVersion).order_by(SurveyVersion.slug, SurveyVersion.version.desc())))


def next_version(slug: str) -> int:
    return (db.session.scalar(select(func.max(SurveyVersion.version)).where(SurveyVersion.slug == slug)) or 0) + 1


def problems_of(draft: SurveyVersion) -> list[Problem]:
    return survey_definitions.parse(draft.source, filename(draft))[1]


def _retarget(source: str, slug: str, version: int) -> str:
    """The same source with a new top-level id and version (comments and layout kept)."""
    out, ids = re.subn(r"^id:[^\n]*$", f"id: {slug}", source, count=1, flags=re.M)
    out, versions = re.subn(r"^version:[^\n]*$", f"version: {version}", out, count=1, flags=re.M)
    if ids and versions:
        return out
    questionnaire, _unused = survey_definitions.parse(source, "<source>")
    if questionnaire is None:
        raise Refusal("source", _("the source has no top-level id and version to change"))
    return to_yaml(dict(questionnaire.to_dict(), id=slug, version=version))


def _store(slug: str, source: str, actor: User | None, origin: str) -> SurveyVersion:
    if not SLUG_RE.match(slug) or len(slug) > 80:
        raise Refusal("slug", _("use lower-case letters, digits and dashes only"))
    number = next_version(slug)
    draft = SurveyVersion(slug=slug, version=number, status=DRAFT, title_vi=slug, title_en=slug,
                          definition={}, checksum="", source="")
    db.session.add(draft)
    _apply(draft, _retarget(source, slug, number))
    db.session.flush()
    audit.record("survey.draft", "survey_version", draft.id, user=actor,
                 after={"slug": slug, "version": number, "from": origin})
    return draft


def _apply(draft: SurveyVersion, source: str) -> list[Problem]:
    questionnaire, problems = survey_definitions.parse(source, filename(draft))
    draft.source = source
    if questionnaire is not None:
        draft.definition = questionnaire.to_dict()
        draft.checksum = questionnaire.checksum
        draft.title_vi, draft.title_en = questionnaire.definition.title.vi, questionnaire.definition.title.en
    else:
        draft.definition, draft.checksum = {}, ""
    return problems


def new_from(version: SurveyVersion, slug: str = "", actor: User | None = None) -> SurveyVersion:
    """A new draft copied from any version, as the next version of its questionnaire (or of a new slug)."""
    return _store((slug or version.slug).strip(), version.source, actor, version.label)


def new_blank(slug: str, actor: User | None = None) -> SurveyVersion:
    return _store(slug.strip(), BLANK.format(slug=slug.strip(), version=1), actor, "blank")


def new_from_definition(definition: dict, actor: User | None = None, origin: str = "xlsform") -> SurveyVersion:
    return _store(str(definition.get("id", "")), to_yaml(definition), actor, origin)


def save_source(draft: SurveyVersion, source: str, actor: User | None = None) -> list[Problem]:
    """Store an edited source (even an invalid one); returns its problems."""
    if draft.status != DRAFT:
        raise Refusal("source", _("a published version never changes: start a new draft from it"))
    if len(source) > MAX_SOURCE:
        raise Refusal("source", _("the source is longer than %(n)s characters", n=MAX_SOURCE))
    before = draft.checksum
    problems = _apply(draft, source.replace("\r\n", "\n"))
    db.session.flush()
    audit.record("survey.edit", "survey_version", draft.id, user=actor,
                 before={"checksum": before}, after={"checksum": draft.checksum, "problems": len(problems)})
    return problems


def publish(draft: SurveyVersion, actor: User | None = None) -> SurveyVersion:
    if draft.status != DRAFT:
        raise Refusal("source", _("only a draft can be published"))
    problems = problems_of(draft)
    if problems:
        raise Refusal("source", _("the draft has %(count)s problem(s): fix them before publishing",
                                     count=len(problems)))
    return publish_source(draft.source, filename(draft), actor)[0]


def delete_draft(draft: SurveyVersion, actor: User | None = None) -> None:
    if draft.status != DRAFT:
        raise Refusal("source", _("only a draft can be deleted"))
    audit.record("survey.delete_draft", "survey_version", draft.id, user=actor,
                 before={"slug": draft.slug, "version": draft.version})
    db.session.delete(draft)
    db.session.flush()


def diff(a: SurveyVersion, b: SurveyVersion) -> list[tuple[str, str]]:
    """(kind, line) pairs of a unified diff of two sources; kind is add, remove, hunk or same."""
    lines = difflib.unified_diff(a.source.splitlines(), b.source.splitlines(),
                                 fromfile=a.label, tofile=b.label, lineterm="", n=3)
    out = []
    for line in lines:
        if line.startswith(("---", "+++")):
            continue
        kind = {"+": "add", "-": "remove", "@": "hunk"}.get(line[:1], "same")
        out.append((kind, line))
    return out
