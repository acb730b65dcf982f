"""gunicorn settings read from the working directory: access logs never contain invitation
tokens or kiosk keys (they are redacted from the request line, path and query string)."""
import re

from gunicorn.glogging import Logger

SECRET_IN_PATH = re.compile(r"(/(?:s|k)/)([^/?\s]+)")
SECRET_IN_QUERY = re.compile(r"((?:^|[?&])(?:key|token)=)[^&\s]*")


def redact(text: str) -> str:
    text = SECRET_IN_PATH.sub(lambda m: m.group(1) + ("…" if m.group(1) == "/s/" else m.group(2)), text)
    return SECRET_IN_QUERY.sub(r"\1…", text)


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "{raw_uri}e"):
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
    from app.services.dashboard import warm_recent

    threading.Thread(target=warm_recent, args=(app,), name="sipas-warm", daemon=True).start()
