"""The production access log never shows invitation tokens or kiosk keys."""
import importlib.util
from pathlib import Path

spec = importlib.util.spec_from_file_location("gconf", Path(__file__).resolve().parents[2] / "gunicorn.conf.py")
gconf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gconf)


def test_invitation_tokens_and_keys_are_redacted():
    line = "GET /s/Abc123_-xyzTOKEN?lang=en HTTP/1.1"
    assert "Abc123" not in gconf.redact(line) and "/s/…" in gconf.redact(line)
    assert gconf.redact("/k/SNV?key=SECRETKEY") == "/k/SNV?key=…"
    assert gconf.redact("/api/v1/responses") == "/api/v1/responses"
