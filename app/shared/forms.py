"""The base of every form (Flask-WTF: each carries a CSRF token), the fields every feature uses,
and WTForms' built-in messages ("This field is required.", "Number must be between 1 and 5000.")
in the interface language.

Flask-WTF looks them up in WTForms' own catalogs, which have no Vietnamese; these forms read them
from the application's catalog instead (their msgids are listed there, see WTFORMS_MESSAGES in
tests/app/test_messages_translated.py).
"""
from __future__ import annotations

from flask_babel import get_translations
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DecimalField, IntegerField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from app.shared import numbers


class _CatalogTranslations:
    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


TRANSLATIONS = _CatalogTranslations()


class TranslatedForm(FlaskForm):
    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return TRANSLATIONS


CODE = Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Use letters, digits, '-', '_' or '.' only."))
SLUG = Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", message=_l("Use lower-case letters, digits and dashes only."))


class _TypedNumber:
    """A number typed as people write it in the interface language; the error names the field."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = self.parse(valuelist[0])
        except numbers.NumberError as exc:
            self.data = None
            raise ValueError(self.expected()) from exc


class LocaleIntegerField(_TypedNumber, IntegerField):
    """A whole number ("3.500" in Vietnamese, "3,500" in English, "3 500" in either)."""
    parse = staticmethod(numbers.parse_int_text)

    def expected(self) -> str:
        return _("%(field)s: enter a whole number, for example %(example)s.",
                 field=self.label.text, example=numbers.example(3500))


class LocaleDecimalField(_TypedNumber, DecimalField):
    """A decimal number ("1.234,5" in Vietnamese, "1,234.5" in English)."""
    parse = staticmethod(numbers.parse_decimal_text)

    def expected(self) -> str:
        return _("%(field)s: enter a number, for example %(example)s.",
                 field=self.label.text, example=numbers.example(1234.5))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UploadForm(TranslatedForm):
    file = FileField(_l("CSV file (UTF-8)"), validators=[FileRequired(), FileAllowed(["csv", "txt"])])


class ConfirmForm(TranslatedForm):
    """A button that changes something: only the CSRF token."""


class ReasonForm(TranslatedForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(min=3, max=500)])
