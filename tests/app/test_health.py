import contextlib
import logging
import socket
import threading
import time

import pytest
from sqlalchemy import create_engine

from app import create_app
from app.extensions import db, limiter
from tests.conftest import make_config


def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    # A SQLite path inside a directory that does not exist cannot be opened.
    app = create_app(make_config(f"sqlite:///{tmp_path}/missing/dir/db.sqlite"))
    with app.app_context():
        response = app.test_client().get("/healthz")
        db.engine.dispose()
    assert response.status_code == 503
    assert response.get_json()["database"] != "ok"
    create_engine("sqlite://").dispose()


def test_unexpected_errors_give_a_translated_500_page(tmp_path):
    app = create_app(make_config(f"sqlite:///{tmp_path}/x.sqlite"))

    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    client = app.test_client()
    vi = client.get("/boom")
    assert vi.status_code == 500 and "Đã có lỗi xảy ra" in vi.get_data(as_text=True)
    assert "kaboom" not in vi.get_data(as_text=True)
    assert "Something went wrong" in client.get("/boom?lang=en").get_data(as_text=True)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens here once the socket is closed


@contextlib.contextmanager
def hung_redis():
    """A server that accepts connections and never answers: a hung Redis."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.1)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()


def redis_app(database_url, url):
    return create_app(make_config(database_url, REDIS_URL=url, RATELIMIT_STORAGE_URI=url, RATELIMIT_ENABLED=True,
                                  RATE_LIMIT_LOGIN="3/minute", RATE_LIMIT_SUBMIT="3/minute"))


def test_healthz_reports_redis_ok_when_it_answers(_schema):
    app = redis_app(_schema, "redis://127.0.0.1:6379/15")
    with app.app_context():
        response = app.test_client().get("/healthz")
        db.engine.dispose()
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_limits_count_in_redis_in_a_moving_window(_schema):
    """Real Redis: the login limit and the failure counter are kept there (another worker process
    sees them) and count any 60 seconds, not calendar minutes."""
    import redis

    store = redis.Redis.from_url("redis://127.0.0.1:6379/15")
    store.flushdb()
    app = redis_app(_schema, "redis://127.0.0.1:6379/15")
    limiter._storage_dead = False
    with app.app_context():
        assert type(limiter.limiter).__name__ == "MovingWindowRateLimiter"
        logins = [app.test_client().post("/login", data={"email": "moving@b.cd", "password": "x"}).status_code
                  for _ in range(4)]
        guesses = [app.test_client().post("/api/v1/responses", json={"invitation": "y" * 30, "answers": {}})
                   .status_code for _ in range(4)]
        db.engine.dispose()
    assert logins == [401, 401, 401, 429] and guesses == [404, 404, 404, 429]
    # a moving window is a sorted list per key in Redis, not a counter per minute
    kinds = {store.type(key).decode() for key in store.keys("LIMITS*")}
    store.flushdb()
    assert kinds == {"list"}, kinds


@pytest.mark.parametrize("kind", ["down", "hung"])
def test_with_redis_down_or_hung_limited_pages_work_and_healthz_says_so(_schema, kind):
    """Measured before: every limited page 500 while /healthz said ok; a hung Redis 30 s a request."""
    warnings: list[logging.LogRecord] = []
    catch = logging.Handler(logging.WARNING)
    catch.emit = warnings.append
    for name in ("flask-limiter", "app"):
        logging.getLogger(name).addHandler(catch)
    logging.getLogger("flask-limiter").disabled = False  # Alembic's fileConfig (schema fixture) disables it
    with contextlib.ExitStack() as stack:
        url = f"redis://127.0.0.1:{closed_port()}/0" if kind == "down" else stack.enter_context(hung_redis())
        app = redis_app(_schema, url)
        # The extension object lives as long as the process: start as a fresh worker starts, with the
        # storage assumed up (an earlier test's app may have switched it to memory).
        limiter._storage_dead = False
        with app.app_context():
            client = app.test_client()
            started = time.monotonic()
            health = client.get("/healthz")
            logins = [client.post("/login", data={"email": "a@b.cd", "password": "x"}).status_code
                      for _ in range(5)]
            guesses = [client.post("/api/v1/responses", json={"invitation": "x" * 30, "answers": {}}).status_code
                       for _ in range(5)]
            elapsed = time.monotonic() - started
            db.engine.dispose()
    assert health.status_code == 200 and health.get_json() == {"status": "ok", "database": "ok", "redis": "down"}
    # Limits fail open to memory: still limited, never a 500. (Flask-Limiter may count the request
    # during which it switches to memory twice.)
    assert set(logins) == {401, 429} and logins[0] == 401 and logins[-1] == 429
    assert guesses == [404, 404, 404, 429, 429]
    assert elapsed < 8, elapsed  # was 30 s a request with a hung Redis
    for name in ("flask-limiter", "app"):
        logging.getLogger(name).removeHandler(catch)
    assert any("storage unreachable" in r.getMessage().lower() for r in warnings)
