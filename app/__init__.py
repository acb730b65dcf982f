"""SIPAS survey platform: the application factory."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except that a request without the cookie (an API call, a
    first visit) gets its empty session without building a signing serializer first."""

    def open_session(self, app: Flask, request) -> SecureCookieSession | None:
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.session_interface = CookieSessions()

    from app import config


    config.configure(app, test_config)
    if app.config["TRUSTED_PROXIES"]:
        # The client address every limit, throttle and audit record uses: the one the trusted
        # proxies saw (X-Forwarded-For, counted from the right). Without proxies it is ignored.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["TRUSTED_PROXIES"]), x_proto=0,
                                x_host=0, x_port=0, x_prefix=0)

    from app import cli, errors, health, i18n, security, static_files, transport
    from app.extensions import csrf, db, limiter, migrate

    db.init_app(app)
    from app import dbpool

    with app.app_context():
        for engine in db.engines.values():
            dbpool.install(engine, app.config["POOL_PING_AFTER_IDLE"])
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    i18n.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    security.init_app(app)
    transport.init_app(app)
    errors.init_app(app)
    health.init_app(app)
    cli.init_app(app)
    static_files.init_app(app)  # compressed, content-hashed static URLs

    # Each feature's view modules add their routes to the blueprints (app/blueprints.py).
    from app import blueprints, homes  # noqa: F401
    from app.accounts import account_views, audit_views, login_views  # noqa: F401
    from app.api import case_routes, delivery_routes, integrity_routes, routes  # noqa: F401
    from app.api import funnel_routes as _funnel_api  # noqa: F401
    from app.cases import calendar_views, case_views, citizen_views, digest_views  # noqa: F401
    from app.collect import answer_views, invitation_views, key_views, kiosk_views, paper_views  # noqa: F401
    from app.opendata import open_views, release_views  # noqa: F401
    from app.outbox import outbox_views  # noqa: F401
    from app.programme import (  # noqa: F401
        agency_views,
        frame_views,
        questionnaire_file_views,
        questionnaire_views,
        reorganise_views,
        wave_views,
    )
    from app.reach import optout_views  # noqa: F401
    from app.reports import agency_views as _agency_pages  # noqa: F401
    from app.reports import (  # noqa: F401
        case_manager_views,
        download_views,
        public_views,
        theme_views,
    )
    from app.reports import funnel_views as _funnel_pages  # noqa: F401
    from app.reports import wave_views as _wave_pages  # noqa: F401
    from app.review import comment_views, integrity_views, response_views  # noqa: F401

    for blueprint in blueprints.ALL:
        app.register_blueprint(blueprint)
    return app
