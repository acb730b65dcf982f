"""Questionnaire versions: list, view, new draft, edit a draft's YAML with problems by line, publish."""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts.access import admin_only, current_user
from app.blueprints import admin as bp
from app.extensions import db
from app.models import SurveyVersion
from app.models.survey import DRAFT
from app.programme import questionnaires
from app.programme.forms import DraftForm, NewDraftForm
from app.shared import confirm
from app.shared.forms import ConfirmForm
from app.shared.refusal import Refusal
from app.shared.web import commit_or_show


def version_or_404(version_id: int) -> SurveyVersion:
    return db.session.get(SurveyVersion, version_id) or abort(404)


@bp.get("/questionnaires")
@admin_only
def questionnaire_list():
    return render_template("admin/questionnaires/list.html", versions=questionnaires.list_versions(),
                           form=NewDraftForm(), confirm=ConfirmForm())


@bp.post("/questionnaires/new")
@admin_only
def questionnaire_new():
    form = NewDraftForm()
    source = db.session.get(SurveyVersion, request.form.get("from", type=int) or 0)

    def create() -> SurveyVersion:
        if source is not None:
            return questionnaires.new_from(source, form.slug.data or "", actor=current_user())
        if form.slug.data:
            return questionnaires.new_blank(form.slug.data, actor=current_user())
        raise Refusal("slug", _("Give the short name of the new questionnaire."))

    if form.validate_on_submit() and (done := commit_or_show(
            form, create, lambda draft: _("Draft %(label)s created.", label=draft.label),
            lambda draft: url_for("admin.questionnaire_edit", version_id=draft.id))):
        return done
    return render_template("admin/questionnaires/list.html", versions=questionnaires.list_versions(), form=form,
                           confirm=ConfirmForm()), 400


@bp.get("/questionnaires/<int:version_id>")
@admin_only
def questionnaire_detail(version_id: int):
    version = version_or_404(version_id)
    if version.status == DRAFT:
        return redirect(url_for("admin.questionnaire_edit", version_id=version.id))
    others = [v for v in questionnaires.list_versions() if v.id != version.id]
    return render_template("admin/questionnaires/detail.html", version=version, others=others,
                           form=NewDraftForm(), confirm=ConfirmForm())


@bp.route("/questionnaires/<int:version_id>/edit", methods=["GET", "POST"])
@admin_only
def questionnaire_edit(version_id: int):
    draft = version_or_404(version_id)
    if draft.status != DRAFT:
        return redirect(url_for("admin.questionnaire_detail", version_id=draft.id))
    form = DraftForm(data={"source": draft.source}) if request.method == "GET" else DraftForm()
    problems = questionnaires.problems_of(draft)
    if form.validate_on_submit() and (done := commit_or_show(
            form, lambda: questionnaires.save_source(draft, form.source.data, actor=current_user()),
            lambda found: [(_("Draft saved. It has problems to fix before it can be published."), "error")]
            if found else _("Draft saved. It is valid and can be previewed and published."),
            url_for("admin.questionnaire_edit", version_id=draft.id))):
        return done
    lines = (form.source.data or draft.source).splitlines()
    by_line: dict[int, list] = {}
    for problem in problems:
        by_line.setdefault(problem.line or 0, []).append(problem)
    return render_template("admin/questionnaires/edit.html", draft=draft, form=form, problems=problems,
                           lines=lines, by_line=by_line, confirm=ConfirmForm()), 400 if form.errors else 200


@bp.post("/questionnaires/<int:version_id>/publish")
@admin_only
def questionnaire_publish(version_id: int):
    draft = version_or_404(version_id)
    if ConfirmForm().validate_on_submit():
        if draft.status == DRAFT and not confirm.confirmed():
            return confirm.ask_publish(draft)
        return commit_or_show(None, lambda: questionnaires.publish(draft, actor=current_user()),
                              _("%(label)s is published. It can no longer change.", label=draft.label),
                              url_for("admin.questionnaire_detail", version_id=draft.id),
                              back=redirect(url_for("admin.questionnaire_edit", version_id=draft.id)))
    return redirect(url_for("admin.questionnaire_detail", version_id=draft.id))


@bp.post("/questionnaires/<int:version_id>/delete")
@admin_only
def questionnaire_delete(version_id: int):
    draft = version_or_404(version_id)
    if ConfirmForm().validate_on_submit():
        if draft.status == DRAFT and not confirm.confirmed():
            return confirm.ask_delete_draft(draft)
        return commit_or_show(None, lambda: questionnaires.delete_draft(draft, actor=current_user()),
                              _("Draft deleted."), url_for("admin.questionnaire_list"),
                              back=redirect(url_for("admin.questionnaire_detail", version_id=draft.id)))
    return redirect(url_for("admin.questionnaire_list"))
