"""gunicorn settings read from the working directory: access logs never contain invitation
tokens or kiosk keys (they are redacted from the request line, path and query string)."""
from gunicorn.glogging import Logger

from app.logfilter import redact as _redact


def redact(text: str) -> str:
    """Tokens and keys out of the line, also percent-encoded ones (app/logfilter.py)."""
    return _redact(text, "…")


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "f", "{raw_uri}e"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms


logger_class = RedactingLogger


def post_worker_init(worker):
    """Each worker computes the newest waves' dashboard figures in the background as it starts
    (WARM_DASHBOARD=0 turns this off), so that the first official after a restart does not wait."""
    import os
    import threading

    if os.environ.get("WARM_DASHBOARD", "1") == "0":
        return
    app = worker.wsgi
    if getattr(app, "import_name", None) != "app":  # another WSGI app (the benchmark's baseline)
        return
    from app.reports.refresh import warm_recent

    threading.Thread(target=warm_recent, args=(app,), name="sipas-warm", daemon=True).start()
