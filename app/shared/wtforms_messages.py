"""WTForms' and Flask-WTF's built-in messages, marked here so that `make messages` (pybabel
extract) keeps them in the application's catalog, where app/shared/forms.py looks them up:
those libraries have no Vietnamese catalog of their own. Never called."""
from __future__ import annotations

from flask_babel import gettext, ngettext


def _catalogue() -> list[str]:
    return [
        gettext('This field is required.'),
        gettext('Field must be equal to %(other_name)s.'),
        gettext('Field must be between %(min)d and %(max)d characters long.'),
        gettext('Number must be at least %(min)s.'),
        gettext('Number must be at most %(max)s.'),
        gettext('Number must be between %(min)s and %(max)s.'),
        gettext('Date must be at least %(min)s.'),
        gettext('Date must be at most %(max)s.'),
        gettext('Date must be between %(min)s and %(max)s.'),
        gettext('Invalid input.'),
        gettext('Invalid email address.'),
        gettext('Not a valid choice.'),
        gettext('Invalid Choice: could not coerce.'),
        gettext('Invalid choice(s): one or more data inputs could not be coerced.'),
        gettext('Not a valid date value.'),
        gettext('Not a valid datetime value.'),
        gettext('Not a valid integer value.'),
        gettext('Not a valid decimal value.'),
        gettext('Not a valid float value.'),
        gettext('File does not have an approved extension: {extensions}'),
        gettext('File does not have an approved extension.'),
        gettext("Invalid field name '%s'."),
        gettext('Invalid IP address.'),
        gettext('Invalid Mac address.'),
        gettext('Invalid URL.'),
        gettext('Invalid UUID.'),
        gettext('Invalid value, must be one of: %(values)s.'),
        gettext("Invalid value, can't be any of: %(values)s."),
        gettext('This field cannot be edited.'),
        gettext('This field is disabled and cannot have a value.'),
        gettext('Invalid CSRF Token.'),
        gettext('CSRF token missing.'),
        gettext('CSRF failed.'),
        gettext('CSRF token expired.'),
        gettext('Choices cannot be None.'),
        gettext('Not a valid time value.'),
        gettext('Not a valid week value.'),
        ngettext('Field must be at least %(min)d character long.',
                 'Field must be at least %(min)d characters long.', 1),
        ngettext('Field cannot be longer than %(max)d character.',
                 'Field cannot be longer than %(max)d characters.', 1),
        ngettext('Field must be exactly %(max)d character long.',
                 'Field must be exactly %(max)d characters long.', 1),
        ngettext("'%(value)s' is not a valid choice for this field.",
                 "'%(value)s' are not valid choices for this field.", 1),
    ]
