"""Waves: list, create, edit, open, close (after a confirmation step), and the retention of dossier digests."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.accounts.access import admin_only, admin_or_agency, current_user, scoped_agency_id
from app.blueprints import admin as bp
from app.i18n import current_language
from app.models import Wave
from app.models.wave import CHANNELS, WAVE_CLOSED, WAVE_OPEN
from app.programme import agencies, frame, waves
from app.programme.forms import WaveForm
from app.review import integrity_review
from app.shared import confirm
from app.shared.forms import ConfirmForm
from app.shared.web import commit_or_show

CHANNEL_LABELS = {"link": _l("Invitation link / QR code"), "kiosk": _l("Kiosk at the desk"),
                  "paper": _l("Paper form keyed in"), "online": _l("Online / collection app")}


def wave_or_404(slug: str) -> Wave:
    wave = waves.get_wave(slug)
    if wave is None:
        abort(404)
    scoped = scoped_agency_id()
    if scoped is not None and scoped not in {a.id for a in wave.agencies}:
        abort(403)
    return wave


def _choices(form: WaveForm, wave: Wave | None) -> None:
    form.survey_version.choices = [(v.id, f"{v.label} — {v.title_vi}") for v in waves.published_versions()]
    listed = {a.code: a for a in agencies.selectable()}
    for agency in (wave.agencies if wave else []):
        listed.setdefault(agency.code, agency)
    form.agencies.choices = [(a.code, f"{a.code} — {a.name_vi}{_validity(a)}")
                             for a in sorted(listed.values(), key=lambda a: a.code)]
    form.channels.choices = [(c, CHANNEL_LABELS[c]) for c in CHANNELS]


def _validity(agency) -> str:
    if agency.valid_to is not None:
        return " (" + _("until %(day)s", day=agency.valid_to.isoformat()) + ")"
    if agency.valid_from is not None:
        return " (" + _("from %(day)s", day=agency.valid_from.isoformat()) + ")"
    return ""


@bp.get("/waves")
@admin_or_agency
def wave_list():
    return render_template("admin/waves/list.html", waves=waves.list_waves(scoped_agency_id()))


def _save(form: WaveForm, wave: Wave | None):
    def save() -> Wave:
        # "All agencies of block X" boxes add the block's active agencies to those ticked one by one.
        whole_blocks = waves.agencies_of_blocks(request.form.getlist("all_blocks"), form.period_start.data,
                                                form.period_end.data)
        return waves.save(wave, slug=form.slug.data, name_vi=form.name_vi.data, name_en=form.name_en.data or "",
                          period_start=form.period_start.data, period_end=form.period_end.data,
                          survey_version_id=form.survey_version.data,
                          agency_codes=sorted(set(form.agencies.data or []) | set(whole_blocks)),
                          channels=form.channels.data or [], purge_dossiers=form.purge_dossiers.data,
                          nonresponse=form.nonresponse.data, actor=current_user())

    return commit_or_show(form, save, lambda saved: _("Wave %(slug)s saved.", slug=saved.slug),
                          lambda saved: url_for("admin.wave_detail", slug=saved.slug))


@bp.route("/waves/new", methods=["GET", "POST"])
@admin_only
def wave_new():
    form = WaveForm()
    if request.method == "GET":
        form.channels.data = list(CHANNELS)
    _choices(form, None)
    if form.validate_on_submit() and (done := _save(form, None)):
        return done
    status = 400 if form.errors or form.form_errors else 200
    return _form_page(form, None), status


@bp.route("/waves/<slug>/edit", methods=["GET", "POST"])
@admin_only
def wave_edit(slug: str):
    wave = wave_or_404(slug)
    form = WaveForm(obj=wave) if request.method == "GET" else WaveForm()
    if request.method == "GET":
        form.survey_version.data = wave.survey_version_id
        form.agencies.data = [a.code for a in wave.agencies]
        form.purge_dossiers.data = wave.estimation.purge_dossiers_on_close
        form.nonresponse.data = wave.estimation.nonresponse
    _choices(form, wave)
    if form.validate_on_submit() and (done := _save(form, wave)):
        return done
    status = 400 if form.errors or form.form_errors else 200
    return _form_page(form, wave), status


def _form_page(form: WaveForm, wave: Wave | None) -> str:
    return render_template("admin/waves/form.html", form=form, wave=wave, all_blocks=waves.ALL_BLOCKS,
                           blocks=waves.blocks_with_active_agencies(),
                           blocks_ticked=request.form.getlist("all_blocks"))


@bp.get("/waves/<slug>")
@admin_or_agency
def wave_detail(slug: str):
    wave = wave_or_404(slug)
    scoped = scoped_agency_id()
    shown = [a for a in wave.agencies if scoped is None or a.id == scoped]
    counts = {code: n for code, stratum, n in frame.frame_rows(wave) if not stratum}
    return render_template("admin/waves/detail.html", wave=wave, agencies=shown, frame=counts,
                           invitations=waves.invitation_counts(wave),
                           responses=waves.response_counts(wave), confirm=ConfirmForm(),
                           channel_labels=CHANNEL_LABELS, margins=frame.margin_rows(wave) if scoped is None else [])


@bp.post("/waves/<slug>/status")
@admin_only
def wave_status(slug: str):
    wave = wave_or_404(slug)
    target = request.form.get("status", "")
    if ConfirmForm().validate_on_submit():
        if target == WAVE_CLOSED and wave.status == WAVE_OPEN and not confirm.confirmed():
            return _ask_to_close(wave)
        def change():
            if target == WAVE_CLOSED and wave.status == WAVE_OPEN:  # the integrity checks' last run
                integrity_review.before_close(wave, current_user())
            return waves.set_status(wave, target, actor=current_user())

        return commit_or_show(
            None, change,
            lambda purged: _("The wave is open: answers are accepted.") if target == WAVE_OPEN
            else _("The wave is closed.") + " " + _("Dossier digests deleted: %(num)d.", num=purged),
            url_for("admin.wave_detail", slug=slug), back=redirect(url_for("admin.wave_detail", slug=slug), 303))
    return redirect(url_for("admin.wave_detail", slug=slug))


def _ask_to_close(wave: Wave) -> str:
    responses, unanswered, digests = waves.closing_figures(wave)
    contacts = waves.contacts_of(wave)
    purge = wave.estimation.purge_dossiers_on_close
    lines = [_("Citizens can no longer answer: invitation links, kiosks and paper entry stop accepting answers."),
             ngettext("%(num)d response has been collected.", "%(num)d responses have been collected.", responses),
             ngettext("%(num)d invitation not yet answered stops working.",
                      "%(num)d invitations not yet answered stop working.", unanswered),
             ngettext("%(num)d dossier digest will be deleted (the retention rule of this wave).",
                      "%(num)d dossier digests will be deleted (the retention rule of this wave).", digests)
             if purge else _("Dossier digests are kept until you delete them."),
             ngettext("%(num)d citizen's contact address (invitations sent by message) will be deleted; "
                      "messages not yet sent are cancelled.",
                      "%(num)d citizens' contact addresses (invitations sent by message) will be deleted; "
                      "messages not yet sent are cancelled.", contacts),
             _("The integrity checks run a last time; then the submissions' signals (times, hashed "
               "sources and addresses) are deleted. The flags stay for the review."),
             _("You can reopen the wave later.")]
    return confirm.ask(_("Close the wave %(name)s?", name=wave.name(current_language())), lines,
                       _("Yes, close the wave"), url_for("admin.wave_detail", slug=wave.slug), danger=True,
                       hidden={"status": WAVE_CLOSED}, section="waves")


@bp.post("/waves/<slug>/purge-dossiers")
@admin_only
def wave_purge(slug: str):
    wave = wave_or_404(slug)
    if ConfirmForm().validate_on_submit():
        if wave.status != WAVE_CLOSED:
            flash(_("Dossier digests can be deleted only once the wave is closed."), "error")
            return redirect(url_for("admin.wave_detail", slug=slug))
        if not confirm.confirmed():
            digests = waves.closing_figures(wave)[2]
            return confirm.ask(_("Delete the dossier digests of %(name)s?", name=wave.name(current_language())),
                               [ngettext("%(num)d dossier digest will be deleted.",
                                         "%(num)d dossier digests will be deleted.", digests),
                                _("This cannot be undone: it will no longer be possible to tell whether a "
                                  "dossier was invited.")],
                               _("Yes, delete them"), url_for("admin.wave_detail", slug=slug), danger=True,
                               section="waves")
        return commit_or_show(None, lambda: waves.purge_dossier_digests(wave, actor=current_user()),
                              lambda purged: _("Dossier digests deleted: %(num)d.", num=purged),
                              url_for("admin.wave_detail", slug=slug),
                              back=redirect(url_for("admin.wave_detail", slug=slug)))
    return redirect(url_for("admin.wave_detail", slug=slug))
