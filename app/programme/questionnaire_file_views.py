"""Questionnaires in and out: preview as a citizen sees it, differences, YAML and XLSForm."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

import survey_definitions
from app.accounts.access import admin_only, current_user
from app.blueprints import admin as bp
from app.programme import questionnaires
from app.programme.forms import XlsFormImportForm
from app.programme.questionnaire_views import version_or_404
from app.programme.xls_messages import localised
from app.shared.web import commit_or_show, download, upload_bytes
from survey_definitions.xlsform import read_xlsform
from survey_definitions.xlsform_export import write_xlsform
from survey_definitions.xlsform_relevant import to_relevant

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _questionnaire(version):
    """The version's parsed questionnaire; one that does not parse sends the browser back to its draft."""
    questionnaire, _problems = survey_definitions.parse(version.source, questionnaires.filename(version))
    if questionnaire is None:
        flash(_("The draft has problems: fix them first."), "error")
        abort(redirect(url_for("admin.questionnaire_edit", version_id=version.id)))
    return questionnaire


@bp.get("/questionnaires/<int:version_id>/preview")
@admin_only
def questionnaire_preview(version_id: int):
    version = version_or_404(version_id)
    questionnaire = _questionnaire(version)
    lang = "en" if request.args.get("form_lang") == "en" else "vi"
    api = questionnaire.to_api()
    multiple = {q["code"] for q in api["questions"] if q["type"] == "multiple"}
    conditions = {q["code"]: to_relevant(q["show_if"], multiple).replace("${", "").replace("}", "")
                  for q in api["questions"] if q["show_if"]}
    by_code = {q["code"]: q for q in api["questions"]}
    return render_template("admin/questionnaires/preview.html", version=version, form=api, lang=lang,
                           by_code=by_code, conditions=conditions,
                           description=questionnaire.definition.description)


@bp.get("/questionnaires/diff")
@admin_only
def questionnaire_diff():
    a = version_or_404(request.args.get("a", type=int) or 0)
    b = version_or_404(request.args.get("b", type=int) or 0)
    return render_template("admin/questionnaires/diff.html", a=a, b=b, lines=questionnaires.diff(a, b),
                           versions=questionnaires.list_versions())


@bp.get("/questionnaires/<int:version_id>/export.yaml")
@admin_only
def questionnaire_export_yaml(version_id: int):
    version = version_or_404(version_id)
    return download(version.source, questionnaires.filename(version), "application/yaml")


@bp.get("/questionnaires/<int:version_id>/export.xlsx")
@admin_only
def questionnaire_export_xlsform(version_id: int):
    version = version_or_404(version_id)
    questionnaire = _questionnaire(version)
    return download(write_xlsform(questionnaire), f"{version.slug}.v{version.version}.xlsx", XLSX)


@bp.route("/questionnaires/import", methods=["GET", "POST"])
@admin_only
def questionnaire_import():
    form, problems = XlsFormImportForm(), []
    if form.validate_on_submit():
        definition, problems = read_xlsform(upload_bytes(form.file.data), slug=form.slug.data or None, version=1)
        problems = localised(problems)
        if definition is not None and (done := commit_or_show(
                form, lambda: questionnaires.new_from_definition(definition, actor=current_user()),
                lambda draft: _import_notes(draft, [p for p in problems if p.severity == "warning"]),
                lambda draft: url_for("admin.questionnaire_edit", version_id=draft.id))):
            return done
    status = 400 if form.errors or form.form_errors or any(p.severity == "error" for p in problems) else 200
    return render_template("admin/questionnaires/import.html", form=form, problems=problems), status


def _import_notes(draft, warnings: list) -> list[tuple[str, str]]:
    """What an XLSForm import says once done: the new draft, then (some of) what was ignored."""
    return [(ngettext("Imported as draft %(label)s, with %(num)d note on what was ignored.",
                      "Imported as draft %(label)s, with %(num)d notes on what was ignored.",
                      len(warnings), label=draft.label), "success")] + [
        (_("Sheet %(sheet)s, row %(row)s, column %(column)s: %(message)s (ignored)", sheet=warning.sheet,
           row=warning.row or "", column=warning.column or "", message=warning.message), "warning")
        for warning in warnings[:10]]
