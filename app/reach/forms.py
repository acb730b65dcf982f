"""The administrators' form that sends invitations by e-mail, SMS or Zalo from a CSV of contacts."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField

from app.shared.forms import TranslatedForm as FlaskForm


class SendForm(FlaskForm):
    agency = SelectField(_l("Agency"), choices=[], validate_choice=False)
    channel = SelectField(_l("Send by"), validate_choice=True)
    language = SelectField(_l("Language of the rows without a 'language' column"), validate_choice=True)
    contacts = FileField(_l("CSV of contacts (column 'address'; optional 'dossier' and 'language')"),
                         validators=[FileRequired(_l("Choose a CSV file of contacts.")), FileAllowed(["csv", "txt"])])

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "send")
        super().__init__(*args, **kwargs)
        self.channel.choices = [("email", _l("e-mail")), ("sms", _l("SMS")), ("zalo", _l("Zalo"))]
        self.language.choices = [("vi", "Tiếng Việt"), ("en", "English")]
