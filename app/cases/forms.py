"""The staff forms of feedback cases and of the working-day calendar."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.cases import labels
from app.cases.service import MAX_TEXT
from app.models.case import CASE_CATEGORIES, HOLIDAY_KINDS
from app.shared.forms import TranslatedForm


class AnswerForm(TranslatedForm):
    answer = TextAreaField(_l("Answer to the citizen"), validators=[DataRequired(), Length(max=MAX_TEXT)])


class DocumentsForm(TranslatedForm):
    note = TextAreaField(_l("Documents needed"), validators=[DataRequired(), Length(max=MAX_TEXT)])


class RefuseForm(TranslatedForm):
    reason = TextAreaField(_l("Why the case is out of scope"), validators=[DataRequired(), Length(max=MAX_TEXT)])


class AssignForm(TranslatedForm):
    user = SelectField(_l("Handled by"), coerce=int, validate_choice=True)


class CategoryForm(TranslatedForm):
    category = SelectField(_l("Category"), choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = [(c, labels.label(labels.CATEGORIES, c)) for c in CASE_CATEGORIES]


class HolidayForm(TranslatedForm):
    day = DateField(_l("Day"), validators=[DataRequired()])
    kind = SelectField(_l("Kind"), choices=[])
    name_vi = StringField(_l("Name (Vietnamese)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=200)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k, labels.label(labels.HOLIDAY_KINDS, k)) for k in HOLIDAY_KINDS]


class DigestForm(TranslatedForm):
    """The account page's opt-in to the weekly digest of feedback cases (app.cases.notices)."""

    digest = BooleanField(_l("Send me the weekly digest of feedback cases"))
