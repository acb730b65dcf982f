"""What the interface calls the states, categories, kinds and events of a case (translated)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATES = {"new": _l("new"), "assigned": _l("assigned"), "answered": _l("answered"), "closed": _l("closed")}
CATEGORIES = {"access": _l("Access to services"), "procedures": _l("Administrative procedures"),
              "civil_servants": _l("Civil servants"), "results": _l("Results of the service"),
              "feedback": _l("Handling of feedback"), "other": _l("Other")}
KINDS = {"request": _l("asked for an answer"), "dissatisfied": _l("dissatisfied rating with a comment")}
ACTIONS = {"open": _l("opened"), "assign": _l("assigned"), "answer": _l("answered"),
           "documents": _l("more documents asked for"), "refuse": _l("refused as out of scope"),
           "close": _l("closed"), "reclassify": _l("reclassified"), "rate": _l("rated by the citizen"),
           "reopen": _l("reopened by the citizen")}
FILTERS = {"": _l("all"), "open": _l("not closed"), "overdue": _l("overdue"), **STATES}
MESSAGE_KINDS = {"case_answer": _l("the answer"), "case_update": _l("an update (documents, refusal)")}
MESSAGE_STATUSES = {"queued": _l("waiting to be sent"), "sending": _l("being sent"), "sent": _l("sent"),
                    "delivered": _l("delivered"), "bounced": _l("not delivered (bounced)"),
                    "failed": _l("could not be sent"), "cancelled": _l("cancelled")}
HOLIDAY_KINDS = {"holiday": _l("day off"), "workday": _l("working day (weekend swap)")}


def label(table: dict, key: str | None) -> str:
    return str(table.get(key, key or ""))
