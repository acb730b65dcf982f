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


def test_percent_encoded_tokens_and_keys_are_redacted():
    token, key = "Abc123_-xyzTOKENtoken0123456789", "SECRETKEYsecretkey42"
    for line in (f"GET /%73/{token} HTTP/1.1", "GET /s/%41bc123_-xyzTOKENtoken0123456789 HTTP/1.1",
                 f"GET /%2573/{token} HTTP/1.1", f"GET /k/SNV?%6bey={key} HTTP/1.1",
                 f"GET /k/SNV?lang=en&k%2565y={key} HTTP/1.1", f"k%65y={key}"):
        cleaned = gconf.redact(line)
        assert "Abc123" not in cleaned and "SECRETKEY" not in cleaned, cleaned
    assert "\n" not in gconf.redact("/%73/x%0aFORGED")
    assert gconf.redact("GET /static/app%20x.css HTTP/1.1") == "GET /static/app%20x.css HTTP/1.1"


def test_the_flask_log_filter_decodes_too():
    from app.logfilter import redact

    cleaned = redact('127.0.0.1 - "GET /%73/AbCdEf0123456789xyz?lang=en HTTP/1.1" 303 -')
    assert "AbCdEf" not in cleaned and "/s/[redacted]" in cleaned


def test_gunicorn_access_log_has_no_encoded_tokens(tmp_path):
    """The real server with the repository's gunicorn.conf.py: the access log file is checked."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    root = Path(__file__).resolve().parents[2]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "access.log"
    env = dict(os.environ, SECRET_KEY="x" * 32, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite'}",
               WARM_DASHBOARD="0")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}",
                               "-w", "1", "--access-logfile", str(log), "app:create_app()"],
                              cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        secret = "TopSecretToken0123456789abcdef"
        paths = [f"/%73/{secret}", f"/k/NOPE?%6bey={secret}", f"/s/{secret}", f"/k/NOPE?key={secret}"]
        deadline = time.monotonic() + 30
        for path in paths:
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5)
                    break
                except urllib.error.HTTPError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=20)
    written = log.read_text()
    assert written.count("\n") >= len(paths)
    assert secret not in written and "TopSecret" not in written
