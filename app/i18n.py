"""Locale selection and Babel formatting helpers exposed to templates."""
from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import format_date, format_decimal, format_percent, get_locale, refresh
from sqlalchemy import select

from app.extensions import babel, db
from app.models.wave import Wave, WaveSettings


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    # Command-line diagnostics and API errors for integrations stay English (their scripts and
    # logs read them); the pages, and the services' messages they show, follow the visitor.
    if not has_request_context():
        return "en"
    asked = request.args.get("lang")
    if asked in languages:
        session["lang"] = asked
        return asked
    if session.get("lang") in languages:
        return session["lang"]
    if request.path.startswith("/api/"):
        return "en"
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    return str(get_locale() or "vi")[:2]


def percent(value: float | None, digits: int = 1) -> str:
    """0.954 → '95,4 %' in Vietnamese, '95.4%' in English."""
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    pattern += " %" if current_language() == "vi" else "%"
    return format_percent(value, format=pattern)


def confidence(level: float) -> str:
    """A confidence level as the pages print it: 0.9 → '90 %' in Vietnamese, '90%' in English;
    0.975 → '97.5%'."""
    whole = abs(level * 100 - round(level * 100)) < 1e-9
    return percent(level, 0 if whole else 1)


def wave_levels(slugs: Iterable[str]) -> list[tuple[str, float]]:
    """(name, confidence level) of the waves with these slugs, oldest first: for the tables whose
    rows come from several waves (trends), each wave's intervals computed at its own level."""
    wanted = {str(s) for s in slugs}
    if not wanted:
        return []
    rows = db.session.execute(select(Wave.name_vi, Wave.name_en, Wave.settings).where(Wave.slug.in_(wanted))
                              .order_by(Wave.period_start, Wave.id))
    english = current_language() == "en"
    return [(name_en if english else name_vi, WaveSettings.parse(settings).level)
            for name_vi, name_en, settings in rows]


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(app.root_path + "/../translations"))
    # The locale is cached on the app context, which a request shares with an enclosing one
    # (CLI commands, tests): start every request from a fresh choice.
    app.before_request(refresh)
    app.jinja_env.globals.update(current_language=current_language, wave_levels=wave_levels)
    app.jinja_env.filters.update(percent=percent, confidence=confidence, decimal=format_decimal, date=format_date)
