"""Locale selection and Babel formatting helpers exposed to templates."""
from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import format_date, format_decimal, format_percent, get_locale, refresh

from app.extensions import babel


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


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(app.root_path + "/../translations"))
    # The locale is cached on the app context, which a request shares with an enclosing one
    # (CLI commands, tests): start every request from a fresh choice.
    app.before_request(refresh)
    app.jinja_env.globals.update(current_language=current_language)
    app.jinja_env.filters.update(percent=percent, decimal=format_decimal, date=format_date)
