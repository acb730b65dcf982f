"""A second step before an action that cannot be taken back, without JavaScript.

The action's button posts as before; the view answers with a page that says what will happen and a
second form carrying the same fields plus `confirmed=yes`. Only that second post acts. (A JS
confirm() dialog would be blocked by the CSP's inline-script rule, and lost without JavaScript.)
"""
from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _

FIELD = "confirmed"


def confirmed() -> bool:
    return request.form.get(FIELD) == "yes"


def ask(title: str, consequences: list[str], button: str, cancel_url: str, *, danger: bool = False,
        hidden: dict[str, str] | None = None, section: str = "") -> str:
    """The confirmation page for the current POST (same address, same fields)."""
    return render_template("admin/confirm.html", title=title, consequences=consequences, button=button,
                           cancel_url=cancel_url, danger=danger, action=request.path,
                           hidden=dict(hidden or {}, **{FIELD: "yes"}), section=section)


# The questions asked before publishing or deleting a questionnaire draft (the views live in
# app/programme/questionnaire_views.py; the text lives here to keep those views short).
def ask_publish(draft) -> str:
    cancel = url_for("admin.questionnaire_edit", version_id=draft.id)
    return ask(_("Publish %(label)s?", label=draft.label),
               [_("Once published, this version can no longer change: a correction needs a new version."),
                _("Waves can then collect answers with it.")],
               _("Yes, publish"), cancel, section="questionnaires")


def ask_delete_draft(draft) -> str:
    cancel = url_for("admin.questionnaire_edit", version_id=draft.id)
    return ask(_("Delete the draft %(label)s?", label=draft.label),
               [_("The draft and its text are deleted. This cannot be undone."),
                _("Download its YAML first if you may need it again.")],
               _("Yes, delete the draft"), cancel, danger=True, section="questionnaires")
