"""Invitation tokens never reach the request log of the server."""
from __future__ import annotations

import logging
import urllib.error
import urllib.request

from app.collect import invitations
from app.extensions import db
from tests import factories


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_werkzeug_request_log_never_shows_the_token(live_server, caplog):
    wave = factories.wave()
    token = invitations.issue(wave, wave.agencies[0], 1)[0].token
    db.session.commit()
    caplog.set_level(logging.INFO, logger="werkzeug")
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(f"{live_server.url}/s/{token}")
    except urllib.error.HTTPError as exc:
        assert exc.code == 303
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "/s/[redacted]" in logged and token not in logged

