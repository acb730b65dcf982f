"""The respondent-facing text for each answer validation code from survey_definitions.answers."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

MESSAGES = {
    "required": _l("Please answer this question."),
    "unknown_question": _l("This question is not part of the questionnaire."),
    "not_shown": _l("This question does not apply given your earlier answers, so it must be left blank."),
    "invalid_choice": _l("Please choose one of the options offered."),
    "out_of_range": _l("The value is outside the allowed range."),
    "not_a_number": _l("Please enter a number."),
    "too_long": _l("The text is too long."),
    "invalid_format": _l("The format is not valid."),
    "not_applicable_not_offered": _l("“Not applicable” is not an option for this question."),
}


def message_for(error) -> str:
    """Translate a FieldError (code + params) into the current locale."""
    template = MESSAGES.get(error.code)
    if template is None:
        return _("The answer is not valid.")
    return str(template)
