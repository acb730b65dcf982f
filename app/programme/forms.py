"""Forms of the programme's admin pages: agencies, waves and questionnaire drafts."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.shared.forms import CODE, SLUG, MultiCheckboxField
from app.shared.forms import TranslatedForm as FlaskForm


class AgencyForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40), CODE])
    name_vi = StringField(_l("Name in Vietnamese"), validators=[DataRequired(), Length(max=300)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=300)])
    block = StringField(_l("Block"), validators=[DataRequired(), Length(max=40), CODE], render_kw={"list": "blocks"})
    parent = SelectField(_l("Parent agency"), choices=[], validate_choice=False)
    level = SelectField(_l("Level"), default="department", choices=lambda: AgencyForm.level_choices())
    unit_code = StringField(_l("Statistics office unit code"), validators=[Optional(), Length(max=20)])
    one_stop_code = StringField(_l("One-stop system unit code (start of its dossier codes)"),
                                validators=[Optional(), Length(max=40)])
    valid_from = DateField(_l("Valid from"), validators=[Optional()])
    valid_to = DateField(_l("Valid to (last day)"), validators=[Optional()])

    @staticmethod
    def level_choices() -> list[tuple[str, str]]:
        return [("province", _l("Province")), ("department", _l("Department or sector")),
                ("district", _l("District (before 1 July 2025)")), ("commune", _l("Commune, ward or special zone"))]


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
    nonresponse = BooleanField(_l("Adjust the weights for nonresponse (by agency and invitation channel)"),
                               default=False)


class DraftForm(FlaskForm):
    source = TextAreaField(_l("Questionnaire (YAML)"), validators=[DataRequired()])


class NewDraftForm(FlaskForm):
    slug = StringField(_l("Short name of the questionnaire"), validators=[Optional(), Length(max=80), SLUG])


class XlsFormImportForm(FlaskForm):
    file = FileField(_l("XLSForm workbook (.xlsx)"), validators=[FileRequired(), FileAllowed(["xlsx"])])
    slug = StringField(_l("Short name (leave empty to use the form_id of the settings sheet)"),
                       validators=[Optional(), Length(max=80), SLUG])
