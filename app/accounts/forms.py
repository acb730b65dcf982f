"""Login, password and account forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional

from app.shared.forms import LocaleIntegerField
from app.shared.forms import TranslatedForm as FlaskForm


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class NewPasswordForm(FlaskForm):
    """A new password, typed twice (the reset link's page)."""

    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])


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


class ApiKeyForm(FlaskForm):
    name = StringField(_l("Name of the integration"), validators=[DataRequired(), Length(max=200)])
    agency = SelectField(_l("Limited to agency"), choices=[], validate_choice=False)
    daily_limit = LocaleIntegerField(_l("Invitations a day (blank: the platform's setting)"),
                               validators=[Optional(), NumberRange(1, 1_000_000)])
