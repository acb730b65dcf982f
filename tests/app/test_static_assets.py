"""What a phone downloads: the small chart bundle only where a chart is drawn, compressed static
files under content-hashed URLs cached for a year, and the public results pages within budget."""
from __future__ import annotations

import gzip
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app.extensions import db
from tests import factories

VENDOR = Path(__file__).resolve().parents[2] / "app" / "static" / "vendor"
BUDGET = 300 * 1024
ASSET = re.compile(r'<(?:script|link)\b[^>]*?\b(?:src|href)="(/static/[^"]+)"')


def first_visit(client, path: str, encoding: str = "gzip") -> dict[str, int]:
    """Bytes on the wire for the page and every script and stylesheet it references."""
    page = client.get(path, headers={"Accept-Encoding": encoding})
    assert page.status_code == 200, path
    sizes = {path: len(page.data)}
    html = gzip.decompress(page.data) if page.headers.get("Content-Encoding") == "gzip" else page.data
    for url in ASSET.findall(html.decode("utf-8")):
        asset = client.get(url.replace("&amp;", "&"), headers={"Accept-Encoding": encoding})
        assert asset.status_code == 200, url
        sizes[urlsplit(url).path] = len(asset.data)
    return sizes


def test_the_empty_public_results_page_loads_no_chart_library_and_stays_under_300_kb(client):
    sizes = first_visit(client, "/results/")
    assert not any("plotly" in url and url.endswith(".js") for url in sizes)
    assert sum(sizes.values()) < BUDGET, sizes


def test_published_results_load_the_basic_chart_bundle_compressed(client, login_as):
    wave = factories.demo_wave(responses=300)
    wave.status = "closed"
    db.session.commit()
    login_as("admin")
    client.post(f"/dashboard/{wave.slug}/publish", data={"public": "1"})
    client.post("/logout")
    gzipped = first_visit(client, f"/results/{wave.slug}")
    assert gzipped["/static/vendor/plotly-basic.min.js"] < 360 * 1024  # the full bundle was 4.56 MB
    assert sum(gzipped.values()) < 400 * 1024, gzipped
    # A phone's browser on HTTPS accepts brotli: the whole first visit fits in 300 KB.
    brotli = first_visit(client, f"/results/{wave.slug}", encoding="br, gzip")
    assert sum(brotli.values()) < BUDGET, brotli
    print(f"\npublic results first visit: gzip {sum(gzipped.values())} B, brotli {sum(brotli.values())} B",
          brotli)


def test_results_pages_are_compressed_only_for_anonymous_readers(client, login_as):
    wave = factories.demo_wave(responses=300)
    wave.status = "closed"
    db.session.commit()
    login_as("admin")
    client.post(f"/dashboard/{wave.slug}/publish", data={"public": "1"})
    signed_in = client.get(f"/results/{wave.slug}", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in signed_in.headers  # the page holds a CSRF token: never compressed
    client.post("/logout")
    anonymous = client.get(f"/results/{wave.slug}", headers={"Accept-Encoding": "gzip"})
    assert anonymous.headers["Content-Encoding"] == "gzip"
    assert "plotly-basic.min.js" in gzip.decompress(anonymous.data).decode("utf-8")


def test_static_urls_carry_a_content_hash_and_are_cached_for_a_year(client):
    html = client.get("/").get_data(as_text=True)
    url = re.search(r'href="(/static/site\.css\?v=[0-9a-f]{12})"', html).group(1)
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert "max-age=31536000" in response.headers["Cache-Control"] and "immutable" in response.headers["Cache-Control"]
    assert response.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in response.headers["Vary"]
    assert gzip.decompress(response.data) == (VENDOR.parent / "site.css").read_bytes()
    stale = client.get("/static/site.css?v=000000000000")
    assert stale.headers["Cache-Control"] == "no-cache" and "Content-Encoding" not in stale.headers
    again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_a_client_without_compression_gets_the_plain_file(client):
    plain = client.get("/static/vendor/plotly-basic.min.js", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and plain.data[:3] == b"/**"
    assert plain.mimetype in ("text/javascript", "application/javascript")


def test_paths_outside_the_static_folder_are_not_served(client):
    assert client.get("/static/../config.py").status_code == 404
    assert client.get("/static/%2e%2e/config.py").status_code == 404
    assert client.get("/static/no-such-file.js").status_code == 404


def test_precompressed_copies_match_their_original():
    original = (VENDOR / "plotly-basic.min.js").read_bytes()
    assert gzip.decompress((VENDOR / "plotly-basic.min.js.gz").read_bytes()) == original
    node = shutil.which("node")
    if node is None:
        pytest.skip("node checks the brotli copy (Python has no brotli decoder here)")
    script = ("const z=require('zlib'),fs=require('fs');process.stdout.write(String("
              "z.brotliDecompressSync(fs.readFileSync(process.argv[1])).equals(fs.readFileSync(process.argv[2]))))")
    result = subprocess.run([node, "-e", script, str(VENDOR / "plotly-basic.min.js.br"),
                             str(VENDOR / "plotly-basic.min.js")], capture_output=True, text=True, check=True)
    assert result.stdout == "true"


def test_the_chart_bundle_has_the_trace_types_the_charts_use():
    """analysis/charts.py draws go.Scatter and go.Bar only; the basic bundle registers both."""
    charts = (VENDOR.parents[2] / "analysis" / "charts.py").read_text(encoding="utf-8")
    assert set(re.findall(r"go\.([A-Z]\w+)\(", charts)) <= {"Figure", "Scatter", "Bar"}
    header = (VENDOR / "plotly-basic.min.js").read_text(encoding="utf-8")[:200]
    assert "plotly.js (basic - minified) v2.35.3" in header  # scatter, bar and pie traces
