"""Admin forms (Flask-WTF: every form carries a CSRF token)."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from app import numbers
from app.forms_i18n import TranslatedForm as FlaskForm

CODE = Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Use letters, digits, '-', '_' or '.' only."))
SLUG = Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", message=_l("Use lower-case letters, digits and dashes only."))


class LocaleIntegerField(IntegerField):
    """A whole number typed as people write it in the interface language ("3.500" in Vietnamese,
    "3,500" in English, "3 500" in either); the error names the field."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = numbers.parse_int_text(valuelist[0])
        except numbers.NumberError as exc:
            self.data = None
            raise ValueError(_("%(field)s: enter a whole number, for example %(example)s.",
                               field=self.label.text, example=numbers.example(3500))) from exc


class LocaleDecimalField(DecimalField):
    """A decimal number in the interface language ("1.234,5" in Vietnamese, "1,234.5" in English)."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = numbers.parse_decimal_text(valuelist[0])
        except numbers.NumberError as exc:
            self.data = None
            raise ValueError(_("%(field)s: enter a number, for example %(example)s.",
                               field=self.label.text, example=numbers.example(1234.5))) from exc


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AgencyForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40), CODE])
    name_vi = StringField(_l("Name in Vietnamese"), validators=[DataRequired(), Length(max=300)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=300)])
    block = StringField(_l("Block"), validators=[DataRequired(), Length(max=40), CODE], render_kw={"list": "blocks"})
    parent = SelectField(_l("Parent agency"), choices=[], validate_choice=False)
    level = LocaleIntegerField(_l("Level"), default=1, validators=[DataRequired(), NumberRange(1, 9)])


class UploadForm(FlaskForm):
    file = FileField(_l("CSV file (UTF-8)"), validators=[FileRequired(), FileAllowed(["csv", "txt"])])


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(min=3, max=500)])


class WaveForm(FlaskForm):
    slug = StringField(_l("Short name (in addresses and exports)"), validators=[DataRequired(), Length(max=80), SLUG])
    name_vi = StringField(_l("Name in Vietnamese"), validators=[DataRequired(), Length(max=300)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=300)])
    period_start = DateField(_l("Period starts"), validators=[DataRequired()])
    period_end = DateField(_l("Period ends"), validators=[DataRequired()])
    survey_version = SelectField(_l("Questionnaire version"), coerce=int, validate_choice=False)
    agencies = MultiCheckboxField(_l("Agencies in scope"), choices=[], validate_choice=False)
    channels = MultiCheckboxField(_l("Channels"), choices=[], validate_choice=False)
    purge_dossiers = BooleanField(_l("Delete the dossier digests of invitations when the wave closes"),
                                  default=True)


class KioskKeyForm(FlaskForm):
    agency = SelectField(_l("Agency"), choices=[], validate_choice=False)
    label = StringField(_l("Label (e.g. desk or tablet)"), validators=[Optional(), Length(max=200)])


class ApiKeyForm(FlaskForm):
    name = StringField(_l("Name of the integration"), validators=[DataRequired(), Length(max=200)])
    agency = SelectField(_l("Limited to agency"), choices=[], validate_choice=False)
    daily_limit = LocaleIntegerField(_l("Invitations a day (blank: the platform's setting)"),
                               validators=[Optional(), NumberRange(1, 1_000_000)])


class InvitationForm(FlaskForm):
    agency = SelectField(_l("Agency"), choices=[], validate_choice=False)
    count = LocaleIntegerField(_l("Number of invitations (without dossier codes)"),
                         validators=[Optional(), NumberRange(min=1)])
    dossiers = FileField(_l("Or a CSV of dossier codes (one column 'dossier')"),
                         validators=[FileAllowed(["csv", "txt"])])
    output = SelectField(_l("Give me"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.output.choices = [("sheet", _l("a printable sheet of QR codes")), ("csv", _l("a CSV file of links"))]


class DraftForm(FlaskForm):
    source = TextAreaField(_l("Questionnaire (YAML)"), validators=[DataRequired()])


class AccountForm(FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"))
    agency = SelectField(_l("Agency"), choices=[], validate_choice=False)
    password = PasswordField(_l("Initial password (at least 10 characters)"), validators=[Optional(), Length(max=200)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [("admin", _l("Administrator")), ("official", _l("Official")),
                             ("agency", _l("Agency (one agency only)")),
                             ("entry", _l("Paper entry staff (one agency only)"))]


class NewDraftForm(FlaskForm):
    slug = StringField(_l("Short name of the questionnaire"), validators=[Optional(), Length(max=80), SLUG])


class XlsFormImportForm(FlaskForm):
    file = FileField(_l("XLSForm workbook (.xlsx)"), validators=[FileRequired(), FileAllowed(["xlsx"])])
    slug = StringField(_l("Short name (leave empty to use the form_id of the settings sheet)"),
                       validators=[Optional(), Length(max=80), SLUG])
