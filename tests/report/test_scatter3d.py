from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from finwarn.report import write_cluster_view_html, write_cluster_view_png


@pytest.fixture
def view():
    rng = np.random.default_rng(0)
    scores = pd.DataFrame(
        rng.random((30, 3)), columns=["solvency", "operating_capability", "profitability"]
    )
    clusters = np.repeat([1, 2, 3], 10)
    return scores, clusters, ["strong solvency", "average solvency", "weak solvency"]


def test_html_is_self_contained_and_names_every_cluster(tmp_path, view):
    scores, clusters, words = view
    path = write_cluster_view_html(
        scores, clusters, words, tmp_path / "v.html", hover=pd.Series([f"F{i}" for i in range(30)])
    )
    html = path.read_text()
    assert not re.search(r"<script[^>]+src=", html)  # plotly.js embedded, no CDN
    markup = re.sub(r"<script[^>]*>.*?</script>", "", html, flags=re.DOTALL)
    assert not re.search(r"(src|href)=[\"']?https?:", markup)
    for number, text in enumerate(words, start=1):
        assert f"cluster {number}: {text} (10 firms)" in html
    assert "solvency risk" in html and "profitability risk" in html


def test_png_is_written(tmp_path, view):
    scores, clusters, words = view
    path = write_cluster_view_png(scores, clusters, words, tmp_path / "v.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000


def test_three_columns_are_needed(tmp_path, view):
    scores, clusters, words = view
    with pytest.raises(
        ValueError, match=r"needs three score columns, got \['solvency', 'operating_capability'\]"
    ):
        write_cluster_view_png(scores.iloc[:, :2], clusters, words, tmp_path / "v.png")


@pytest.mark.browser
def test_html_renders_in_chromium_without_network_requests(tmp_path, view, browser):
    scores, clusters, words = view
    path = write_cluster_view_html(scores, clusters, words, tmp_path / "v.html")
    page = browser.new_page(viewport={"width": 1000, "height": 750})
    requests, errors = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
    shot = page.screenshot(path=str(tmp_path / "shot.png"))
    page.close()
    assert requests == [path.as_uri()]
    assert errors == []
    assert len(shot) > 20_000  # a drawn chart, not a blank page
