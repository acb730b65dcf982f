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
