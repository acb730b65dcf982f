"""Officials' computations stay in their place: per-account limits, caches no one can empty, and
citizens' submissions that never wait for a computation."""
from __future__ import annotations

import threading
import time

import pytest

from app.extensions import db
from app.programme.questionnaires import questionnaire_of
from app.results import estimates, heavy, snapshot
from app.results.snapshot import current
from tests import factories
from tests.conftest import login


@pytest.fixture
def app_config():
    # per hour, not per minute: four slow reads on a loaded machine may straddle a minute's boundary
    return {"RATELIMIT_ENABLED": True, "RATE_LIMIT_ESTIMATES": "3/hour"}


@pytest.fixture
def wave(app):
    return factories.demo_wave(responses=200)


def bearer(client, user, password) -> dict:
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": password})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_estimate_reads_are_limited_per_account_not_per_address(client, make_user, wave):
    first, second = make_user("official"), make_user("official")
    headers = bearer(client, *first)
    url = f"/api/v1/waves/{wave.slug}/estimates?by="
    breakdowns = ("agency", "channel", "language", "block")  # each one a new computation
    assert [client.get(url + by, headers=headers).status_code for by in breakdowns] == [200, 200, 200, 429]
    assert client.get(url + "agency", headers=bearer(client, *second)).status_code == 200  # other account


def test_figures_already_computed_cost_nothing(client, make_user, wave):
    """Twenty officials reading the same dashboard all morning are never refused: only reads that
    compute something cold count against an account."""
    user, password = make_user("official")
    headers = bearer(client, user, password)
    url = f"/api/v1/waves/{wave.slug}/estimates?by=agency"
    assert {client.get(url, headers=headers).status_code for _ in range(10)} == {200}
    login(client, user.email, password)
    assert {client.get(f"/dashboard/{wave.slug}").status_code for _ in range(10)} == {200}


def test_dashboard_pages_share_the_per_account_limit(client, make_user, wave):
    user, password = make_user("official")
    login(client, user.email, password)
    codes = [client.get(f"/dashboard/{wave.slug}?channel={c}").status_code for c in ("", "link", "kiosk", "paper")]
    assert codes == [200, 200, 200, 429]


def test_a_full_cache_forgets_its_oldest_entry_never_everything():
    cache = heavy.LRU(3)
    for key in "abc":
        cache[key] = key
    assert cache.get("a") == "a"  # a is now the most recently used
    cache["d"] = "d"
    assert sorted(cache.keys()) == ["a", "c", "d"]
    for key in range(100):  # an account asking for a hundred breakdowns
        cache[key] = key
        cache.get("a")  # while the pages go on using theirs
    assert "a" in cache and len(cache) == 3


def test_the_same_breakdown_in_another_order_is_one_cache_entry(app, wave):
    before = len(snapshot.ESTIMATES)
    one = estimates.compute(current(wave), ["channel", "agency"])
    after = len(snapshot.ESTIMATES)
    two = estimates.compute(current(wave), ["agency", "channel"])
    assert len(snapshot.ESTIMATES) == after and after - before == 1
    assert list(one.columns[:2]) == ["channel", "agency"] and list(two.columns[:2]) == ["agency", "channel"]
    key = ["agency", "channel", "measure"]
    merged = one.merge(two, on=key, suffixes=("", "_2"))
    assert len(merged) == len(one) and (merged["n"] == merged["n_2"]).all()


def test_a_submission_never_waits_for_a_computation(client, wave):
    """A computation holds the worker's computation slot (and no database lock); a citizen's
    submission needs neither and is stored while the slot is held."""
    from app.collect import invitations

    agency = wave.agencies[0]
    issued = invitations.issue(wave, agency, 1)[0]
    db.session.commit()
    token = issued.url.rsplit("/", 1)[-1]
    answers = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    held, release = threading.Event(), threading.Event()

    def official_computing():
        with heavy.one_at_a_time():
            held.set()
            release.wait(10)

    thread = threading.Thread(target=official_computing)
    thread.start()
    try:
        assert held.wait(5)
        started = time.monotonic()
        response = client.post("/api/v1/responses", json={"invitation": token, "answers": answers, "language": "vi"})
        assert response.status_code == 201, response.get_json()
        assert time.monotonic() - started < 5  # (not a timing test: it would otherwise wait the full 10 s)
    finally:
        release.set()
        thread.join()
