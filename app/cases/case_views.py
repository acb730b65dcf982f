"""Staff pages of feedback cases: the list (filters: state, unit, overdue), one case with its
history, and the actions. Administrators and officials read every unit's cases, an agency
account its own unit's only (another unit's case is a 404, as if it did not exist); officials only
read. No page ever shows the citizen's contact or leads to the response a case came from."""
from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts.access import current_user, roles_required
from app.blueprints import admin as bp
from app.cases import calendar, labels, messages, queries, service
from app.cases.forms import AnswerForm, AssignForm, CategoryForm, DocumentsForm, RefuseForm
from app.extensions import db
from app.models import FeedbackCase, User
from app.programme import agencies
from app.shared.forms import ConfirmForm
from app.shared.web import commit_or_show, page_arg

readers = roles_required(*queries.READERS)
handlers = roles_required("admin", "agency")


def _case_or_404(case_id: int) -> FeedbackCase:
    case = queries.case_for(current_user(), case_id)
    if case is None:
        abort(404)
    return case


@bp.get("/cases")
@readers
def case_list():
    user = current_user()
    state = request.args.get("state", "open")
    state = state if state in labels.FILTERS else "open"
    agency_code = request.args.get("agency", "").strip()[:40] if user.role != "agency" else ""
    page = queries.case_list(user, state=state or None, agency_code=agency_code or None, page=page_arg())
    if page is None:
        abort(403)
    units = agencies.active_agencies() if user.role != "agency" else []
    return render_template("admin/cases/list.html", page=page, state=state, agency_code=agency_code,
                           units=units, today=calendar.today(), labels=labels)


def _forms(case: FeedbackCase) -> dict:
    assign = AssignForm(prefix="assign")
    assign.user.choices = [(u.id, u.email) for u in queries.handlers_of(case)]
    if request.method == "GET" and case.assigned_to_id:
        assign.user.data = case.assigned_to_id
    category = CategoryForm(prefix="category")
    if request.method == "GET":
        category.category.data = case.category
    return {"assign_form": assign, "answer_form": AnswerForm(prefix="answer"),
            "documents_form": DocumentsForm(prefix="documents"), "refuse_form": RefuseForm(prefix="refuse"),
            "category_form": category, "confirm": ConfirmForm()}


def _page(case: FeedbackCase, forms: dict, status: int = 200):
    user = current_user()
    today = calendar.today()
    return render_template(
        "admin/cases/detail.html", case=case, events=queries.events_of(case), labels=labels,
        may_handle=service.may_handle(user, case), is_admin=user.role == "admin", today=today,
        open_states=service.OPEN_STATES, refuse_until=service.refuse_until(case),
        reopen_until=service.reopen_until(case), case_messages=messages.history(case), **forms), status


@bp.get("/cases/<int:case_id>")
@readers
def case_detail(case_id: int):
    case = _case_or_404(case_id)
    return _page(case, _forms(case))


def _act(case_id: int, form_name: str, action, done):
    """Run one action from the case page: the service decides, a refusal shows on the page."""
    case = _case_or_404(case_id)
    forms = _forms(case)
    form = forms[form_name]
    here = url_for("admin.case_detail", case_id=case.id)
    if form.validate_on_submit():
        result = commit_or_show(form, lambda: action(case, form), done, here, code=303)
        if result is not None:
            return result
    return _page(case, forms, 400)


@bp.post("/cases/<int:case_id>/assign")
@handlers
def case_assign(case_id: int):
    return _act(case_id, "assign_form", lambda case, form: service.assign(
        case, db.session.get(User, form.user.data), current_user()), _("The case was assigned."))


@bp.post("/cases/<int:case_id>/answer")
@handlers
def case_answer(case_id: int):
    return _act(case_id, "answer_form", lambda case, form: service.answer(case, form.answer.data, current_user()),
                lambda case: _("The answer was saved and will be sent to the citizen, who can also read it at "
                               "the status link.") if messages.has_contact(case)
                else _("The answer was saved; the citizen reads it at the status link."))


@bp.post("/cases/<int:case_id>/documents")
@handlers
def case_documents(case_id: int):
    return _act(case_id, "documents_form",
                lambda case, form: service.ask_documents(case, form.note.data, current_user()),
                _("The request for documents was saved and the deadline moved."))


@bp.post("/cases/<int:case_id>/refuse")
@handlers
def case_refuse(case_id: int):
    return _act(case_id, "refuse_form", lambda case, form: service.refuse(case, form.reason.data, current_user()),
                _("The case was refused as out of scope and closed."))


@bp.post("/cases/<int:case_id>/close")
@handlers
def case_close(case_id: int):
    return _act(case_id, "confirm", lambda case, form: service.close(case, current_user()), _("The case was closed."))


@bp.post("/cases/<int:case_id>/category")
@roles_required("admin")
def case_category(case_id: int):
    return _act(case_id, "category_form",
                lambda case, form: service.reclassify(case, form.category.data, current_user()),
                _("The case was reclassified."))
