"""WTForms' built-in messages ("This field is required.", "Number must be between 1 and 5000.")
in the interface language.

Flask-WTF looks them up in WTForms' own catalogs, which have no Vietnamese; these forms read them
from the application's catalog instead (their msgids are listed there, see WTFORMS_MESSAGES in
tests/app/test_messages_translated.py).
"""
from __future__ import annotations

from flask_babel import get_translations
from flask_wtf import FlaskForm


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
