"""shared/web.commit_or_show: the admin views' one way to run a service call that may refuse."""
from __future__ import annotations

from flask import get_flashed_messages, redirect
from wtforms import StringField

from app.extensions import db
from app.models import Block
from app.shared.csvio import ImportRejected, RowError
from app.shared.forms import TranslatedForm
from app.shared.refusal import Refusal
from app.shared.web import commit_or_show


class NameForm(TranslatedForm):
    name = StringField()


def _add_block(code: str) -> Block:
    block = Block(code=code, name_vi=code, name_en=code, position=0)
    db.session.add(block)
    db.session.flush()
    return block


def _refuse(field: str | None):
    def action():
        _add_block("REFUSED")
        raise Refusal(field, "not this one")
    return action


def _blocks() -> set[str]:
    return set(db.session.scalars(db.select(Block.code)))


def test_done_commits_flashes_and_redirects(app):
    with app.test_request_context(method="POST"):
        answer = commit_or_show(NameForm(meta={"csrf": False}), lambda: _add_block("B1"),
                                lambda block: f"saved {block.code}", lambda block: f"/blocks/{block.code}")
        assert answer.status_code == 302 and answer.location == "/blocks/B1"
        assert get_flashed_messages(with_categories=True) == [("success", "saved B1")]
    db.session.rollback()
    assert "B1" in _blocks()


def test_a_refusal_rolls_back_and_shows_under_its_field(app):
    with app.test_request_context(method="POST"):
        form = NameForm(meta={"csrf": False})
        assert commit_or_show(form, _refuse("name"), "saved", "/done") is None
        assert form.name.errors == ["not this one"] and not get_flashed_messages()
        other = NameForm(meta={"csrf": False})
        assert commit_or_show(other, _refuse("nowhere"), "saved", "/done") is None
        assert other.form_errors == ["not this one"]
    assert "REFUSED" not in _blocks()


def test_without_a_form_the_refusal_is_flashed_and_the_browser_goes_back(app):
    with app.test_request_context(method="POST"):
        back = redirect("/back", 303)
        assert commit_or_show(None, _refuse(None), "saved", "/done", back=back) is back
        assert get_flashed_messages(with_categories=True) == [("error", "not this one")]
    assert "REFUSED" not in _blocks()


def test_a_file_refused_line_by_line_fills_the_row_errors(app):
    def rejected():
        _add_block("ROWS")
        raise ImportRejected([RowError(2, "code", "bad")])

    with app.test_request_context(method="POST"):
        errors: list[RowError] = []
        form = NameForm(meta={"csrf": False})
        assert commit_or_show(form, rejected, "saved", "/done", row_errors=errors) is None
        assert [(e.line, e.column) for e in errors] == [(2, "code")]
    assert "ROWS" not in _blocks()


def test_several_flashes_in_order_and_another_status(app):
    with app.test_request_context(method="POST"):
        answer = commit_or_show(None, lambda: None, [("one", "success"), ("two", "warning")], "/done",
                                back=redirect("/back"), code=303)
        assert answer.status_code == 303
        assert get_flashed_messages(with_categories=True) == [("success", "one"), ("warning", "two")]
