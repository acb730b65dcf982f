from sqlalchemy import create_engine

from app import create_app
from app.extensions import db
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
