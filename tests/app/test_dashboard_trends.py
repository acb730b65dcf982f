"""Trends across two waves: an arrow only where the change is significant, checked against an
independent two-sample z computation on the same estimates."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from app.extensions import db
from app.models import Agency
from app.results import estimates, lineage_trend
from app.results.snapshot import current
from tests import factories


@pytest.fixture
def two_waves(app):
    return factories.two_waves(({"UP": 2, "SAME": 4}, {"UP": 4, "SAME": 4}), per_agency=40, seed=7)


def test_only_the_significant_change_gets_an_arrow(app, two_waves):
    with app.test_request_context("/dashboard/trends?lang=en"):
        units = [(db.session.query(Agency).filter_by(code=c).one(), c.title()) for c in ("UP", "SAME")]
        tables = lineage_trend.province_and_agencies(units, "Province", {})
    agencies = tables["agencies"]
    last = agencies[agencies["wave"] == "w2026"].set_index("agency")
    assert last.loc["UP", "arrow"] == "up" and last.loc["SAME", "arrow"] == ""
    # Independently: z = (r2 − r1) / √(se1² + se2²), two-sided p, Holm over the two changes.
    p = {}
    for code in ("UP", "SAME"):
        rows = [estimates.compute(current(w), ["agency"]) for w in two_waves]
        r1, r2 = (t[(t["agency"] == code) & (t["measure"] == "overall")].iloc[0] for t in rows)
        z = (r2["rate"] - r1["rate"]) / np.hypot(r1["se"], r2["se"])
        p[code] = 2 * stats.norm.sf(abs(z))
        assert last.loc[code, "change"] == pytest.approx(r2["rate"] - r1["rate"], abs=1e-12)
    ordered = sorted(p, key=p.get)
    holm = {ordered[0]: min(1, 2 * p[ordered[0]])}
    holm[ordered[1]] = min(1, max(holm[ordered[0]], p[ordered[1]]))
    for code in p:
        assert last.loc[code, "p_adjusted"] == pytest.approx(holm[code], rel=1e-6)
    assert holm["UP"] < 0.05 <= holm["SAME"]


def test_the_trends_page_shows_the_arrow_to_officials(two_waves, client, login_as):
    login_as("official")
    html = client.get("/dashboard/trends?lang=en").get_data(as_text=True)
    assert "significant increase" in html and "significant decrease" not in html.split("<table")[-1]
