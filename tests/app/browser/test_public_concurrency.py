"""Exactly once under concurrent double submits, over real HTTP, on PostgreSQL.

20 invitations × 16 simultaneous submissions each, through the JSON API and through the web
form (one browser posting its last page 16 times at once): one response per invitation.
"""
from __future__ import annotations

import http.cookiejar
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from app.collect import invitations
from app.extensions import db
from app.models import Invitation, Response
from app.programme.questionnaires import questionnaire_of
from tests import factories

INVITATIONS, CONCURRENT = 20, 16
pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _send(opener, request) -> int:
    try:
        with opener.open(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _all_at_once(calls) -> list[int]:
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _check_one_each(tokens):
    hashes = [invitations.token_hash(t) for t in tokens]
    db.session.expire_all()
    per_invitation = db.session.execute(
        select(Invitation.id, func.count(Response.id)).join(Response, Response.invitation_id == Invitation.id)
        .where(Invitation.token_hash.in_(hashes)).group_by(Invitation.id)).all()
    assert len(per_invitation) == len(tokens) and all(n == 1 for _, n in per_invitation)


def test_concurrent_api_submissions_store_exactly_one_per_invitation(live_server):
    wave = factories.wave()
    tokens = [i.token for i in invitations.issue(wave, wave.agencies[0], INVITATIONS)]
    answers = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    db.session.commit()
    opener = urllib.request.build_opener()
    statuses = Counter()
    for token in tokens:
        body = json.dumps({"invitation": token, "answers": answers, "language": "vi"}).encode()

        def call(body=body):
            request = urllib.request.Request(f"{live_server.url}/api/v1/responses", data=body,
                                             headers={"Content-Type": "application/json"})
            return _send(opener, request)

        statuses.update(_all_at_once([call] * CONCURRENT))
    assert statuses == {201: INVITATIONS, 409: INVITATIONS * (CONCURRENT - 1)}
    _check_one_each(tokens)
    assert db.session.scalar(select(func.count(Response.id))) == INVITATIONS


def _browser(base: str):
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def test_concurrent_web_form_submissions_store_exactly_one_per_invitation(live_server):
    wave = factories.wave(slug="per-case", survey="per-case-61")
    tokens = [i.token for i in invitations.issue(wave, wave.agencies[0], INVITATIONS)]
    db.session.commit()
    form = {"_page": "0", "action": "next", "on_time": "1", "visits": "1", "staff_attitude": "3",
            "satisfaction": "2"}
    statuses = Counter()
    for token in tokens:
        # Opening the link on another device takes the unfinished form over (the earlier device is
        # told no form is open: tests/app/test_resume_link.py), so the double submits that remain
        # are one browser's: a double tap, or a phone retrying, 16 times at once.
        browser = _browser(live_server.url)
        page = browser.open(f"{live_server.url}/s/{token}", timeout=30).read().decode()
        shown = re.search(r'name="_shown" value="([^"]*)"', page).group(1)
        answered = urllib.parse.urlencode(dict(form, _shown=shown)).encode()
        step = browser.open(urllib.request.Request(f"{live_server.url}/answer", data=answered), timeout=30).read().decode()
        # the questions answered, the optional last step ("I want an answer about this") is left empty and sent
        last = re.search(r'name="_page" value="([^"]*)"', step).group(1)
        data = urllib.parse.urlencode({"_page": last, "action": "next"}).encode()
        call = lambda b=browser, d=data: _send(b, urllib.request.Request(f"{live_server.url}/answer", data=d))  # noqa: E731
        statuses.update(_all_at_once([call] * CONCURRENT))
    # The winner is redirected to the thank-you page (urllib follows to 200); the others are told 409.
    assert statuses == {200: INVITATIONS, 409: INVITATIONS * (CONCURRENT - 1)}
    _check_one_each(tokens)
