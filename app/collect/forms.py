"""Forms of the administrators' collection pages: kiosk keys and invitations."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField
from wtforms import SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from app.shared.forms import LocaleIntegerField
from app.shared.forms import TranslatedForm as FlaskForm


class KioskKeyForm(FlaskForm):
    agency = SelectField(_l("Agency"), choices=[], validate_choice=False)
    label = StringField(_l("Label (e.g. desk or tablet)"), validators=[Optional(), Length(max=200)])


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
