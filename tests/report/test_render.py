from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pandas as pd
import pytest
from markupsafe import escape
from pypdf import PdfReader

from finwarn.exceptions import DataValidationError
from finwarn.report import ReportFiles, ReportInput, render_report

PAGE_LEVELS = ("moderate", "heavy")
URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']*)["']""")


@pytest.fixture(scope="module")
def report(report_input, tmp_path_factory) -> ReportFiles:
    return render_report(report_input, tmp_path_factory.mktemp("built") / "report")


def _paged(data: ReportInput) -> pd.DataFrame:
    return data.warnings[data.warnings["level"].isin(PAGE_LEVELS)].sort_values("rank")


def _reasons(data: ReportInput, entity: str) -> list[str]:
    rows = data.reasons[data.reasons["entity"] == entity].sort_values("order")
    return rows["text"].tolist()


def _words(text: str) -> str:
    return " ".join(text.split())


def test_writes_one_page_per_firm_at_or_above_the_page_level(report, report_input):
    paged = _paged(report_input)
    assert len(report.firm_pages) == len(paged) == 17
    assert report.firms_left_out == 0
    for path in report.paths():
        assert path.is_file() and report.folder in path.parents
    assert {p.name for p in report.assets} == {
        "report.css", "levels.png", "dimensions.png", "calibration.png", "cluster_view.png"
    }  # fmt: skip
    assert report.pdf == report.folder / "report.pdf"
    assert report.cluster_view == report.folder / "cluster_view.html"
    assert [p.name for p in report.folder.parent.iterdir()] == ["report"]  # no temp left


def test_every_firm_page_shows_its_reasons_and_figures(report, report_input):
    for path, row in zip(report.firm_pages, _paged(report_input).itertuples(), strict=True):
        html = path.read_text(encoding="utf-8")
        assert f'<span class="entity">{escape(row.entity)}</span>' in html
        assert f'data-value="{row.probability}">{row.probability:.3f}<' in html
        assert f'<td class="rank">{row.rank} of 36</td>' in html
        reasons = _reasons(report_input, row.entity)
        assert len(reasons) >= 3
        for text in reasons:
            assert f'<td class="text">{escape(text)}</td>' in html
        assert html.count('class="trend"') >= 1  # history exists for every paged firm
        assert 'class="profile"' in html


def test_text_is_escaped(report):
    pages = [report.index, *report.firm_pages]
    html = "".join(p.read_text(encoding="utf-8") for p in pages)
    assert "<script" not in html  # the firm named <script> is text, and pages carry no JS
    assert "&lt;script&gt;" in html
    assert "Debt &lt;b&gt;doubled&lt;/b&gt; &amp; cash fell" in html
    assert "<b>doubled" not in html
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+\.html", p.name) for p in report.firm_pages)


def test_no_page_refers_to_the_network(report):
    files = [*report.folder.rglob("*.html"), *report.folder.rglob("*.css")]
    assert len(files) == 17 + 3
    for path in files:
        text = path.read_text(encoding="utf-8")
        markup = re.sub(r"<script[^>]*>.*?</script>", "", text, flags=re.DOTALL)
        assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:|//)""", markup), path
        assert not re.search(r"""url\(\s*["']?\s*(?:https?:|//)""", markup), path
        assert "@import" not in markup, path


def test_links_between_pages_resolve_to_files_in_the_report(report):
    checked = 0
    for page in [report.index, *report.firm_pages]:
        html = page.read_text(encoding="utf-8")
        for url in URL.findall(html):
            if url.startswith("data:"):
                continue
            parts = urlsplit(url)
            if not parts.path:  # an anchor in the same page
                assert f'id="{parts.fragment}"' in html, (page.name, url)
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            assert target.is_file(), (page.name, url)
            assert report.folder.resolve() in target.parents, (page.name, url)
            checked += 1
    assert checked > 17 * 3


def test_pdf_has_the_portfolio_pages_then_one_page_per_firm(report, report_input):
    pages = [_words(page.extract_text()) for page in PdfReader(report.pdf).pages]
    assert report_input.title in pages[0]
    assert "SIMULATED" in pages[0]
    assert "Portfolio summary" in pages[0]
    paged = _paged(report_input)
    firm_pages = [i for i, text in enumerate(pages) if "Why: the reasons behind" in text]
    assert len(firm_pages) == len(paged)
    portfolio = firm_pages[0]
    assert portfolio >= 4  # summary, dimensions, 3-D view, methods at least
    assert len(pages) >= portfolio + len(paged)
    for i, row in zip(firm_pages, paged.itertuples(), strict=True):
        assert pages[i].startswith(f"{row.entity} {row.level} Probability of distress")
        for text in _reasons(report_input, row.entity):
            assert _words(text) in pages[i]
    links = [
        annotation.get_object().get("/A", {})
        for page in PdfReader(report.pdf).pages
        for annotation in page.get("/Annots") or []
    ]
    assert links and not [link for link in links if "/URI" in link]  # internal links only
    assert "Alerts by dimension" in " ".join(pages[:portfolio])
    assert "Methods and model card" in " ".join(pages[:portfolio])


def test_max_firm_pages_keeps_the_riskiest_and_says_how_many_were_left_out(report_input, tmp_path):
    files = render_report(report_input, tmp_path / "r", pdf=False, max_firm_pages=3)
    assert files.pdf is None and not (tmp_path / "r" / "report.pdf").exists()
    assert len(files.firm_pages) == 3
    assert files.firms_left_out == 14
    html = files.index.read_text(encoding="utf-8")
    assert '<strong id="firm-pages-left-out">14</strong>' in html
    linked = re.findall(r'href="firms/([^"]+)"', html)
    assert sorted(set(linked)) == sorted(p.name for p in files.firm_pages)


def test_a_failed_build_leaves_the_previous_report_untouched(report_input, tmp_path, monkeypatch):
    out = tmp_path / "report"
    render_report(report_input, out, pdf=False)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def broken(*args, **kwargs):
        raise RuntimeError("chart failed")

    monkeypatch.setattr("finwarn.report._charts.calibration_chart", broken)
    changed = dataclasses.replace(report_input, title="A new title")
    with pytest.raises(RuntimeError, match=r"^chart failed$"):
        render_report(changed, out, pdf=False)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def test_a_new_build_replaces_the_previous_report(report_input, tmp_path):
    out = tmp_path / "report"
    render_report(report_input, out, pdf=False)
    smaller = dataclasses.replace(report_input, title="Second run", page_level="heavy")
    files = render_report(smaller, out, pdf=False)
    assert "Second run" in files.index.read_text(encoding="utf-8")
    assert sorted((out / "firms").iterdir()) == sorted(files.firm_pages)
    assert len(files.firm_pages) == (report_input.warnings["level"] == "heavy").sum()
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def test_refuses_to_replace_a_folder_that_is_not_a_report(report_input, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(
        FileExistsError,
        match=r"mine holds files that are not a finwarn report; the report replaces its "
        r"folder, so choose a new or empty folder\.",
    ):
        render_report(report_input, tmp_path / "mine", pdf=False)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError, match=r"file is a file; give a folder for the report\."):
        render_report(report_input, tmp_path / "file", pdf=False)


def test_sections_without_data_say_so(tmp_path):
    warnings = pd.DataFrame(
        {
            "entity": ["A", "B", "C"],
            "period": [pd.NA] * 3,
            "probability": [0.5, 0.2, 0.01],
            "level": ["heavy", "moderate", "none"],
            "rank": [1, 2, 3],
        }
    )
    data = ReportInput(
        title="Bare report",
        generated="2024-01-01T00:00:00",
        data_description="three firms",
        simulated=False,
        levels=("none", "light", "moderate", "heavy"),
        alert_level="moderate",
        page_level="heavy",
        warnings=warnings,
    )
    files = render_report(data, tmp_path / "r")
    html = files.index.read_text(encoding="utf-8")
    for note in (
        "No migrations: the data has no previous period to compare with.",
        "No dimension contributions were given for this portfolio.",
        "The clusters were not computed for this report.",
        "No model card was given.",
        "No calibration table was given.",
    ):
        assert note in html
    assert "simulated-banner" not in html
    firm = files.firm_pages[0].read_text(encoding="utf-8")
    assert "No reasons were given for this firm." in firm
    assert "No history was given for this firm." in firm
    assert "SIMULATED" not in _words(PdfReader(files.pdf).pages[0].extract_text())


def _without(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return frame.drop(columns=[column])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: {"warnings": _without(d.warnings, "rank")},
            r"ReportInput\.warnings lacks the column\(s\) \['rank'\]; it has \['entity', "
            r"'period', 'probability', 'level', 'industry'\] and needs \['entity', "
            r"'probability', 'level', 'rank'\] \(see ReportInput's docstring\)\.",
        ),
        (
            lambda d: {"reasons": _without(d.reasons, "text")},
            r"ReportInput\.reasons lacks the column\(s\) \['text'\]",
        ),
        (
            lambda d: {"alert_level": "moderat"},
            r"ReportInput\.alert_level 'moderat' is not one of the levels \['none', 'light', "
            r"'moderate', 'heavy'\]\. Did you mean 'moderate'\?",
        ),
        (
            lambda d: {"warnings": d.warnings.replace({"level": {"heavy": "severe"}})},
            r"ReportInput\.warnings has levels that are not in ReportInput\.levels \['none', "
            r"'light', 'moderate', 'heavy'\]: 'severe'; build both from the same warning "
            r"config\.",
        ),
        (
            lambda d: {"warnings": pd.concat([d.warnings, d.warnings.iloc[[1, 2]]])},
            r"ReportInput\.warnings has more than one row for the firm\(s\) 'F001', 'F002'; "
            r"the report shows one row per firm: pass the latest period's warnings only\.",
        ),
        (
            lambda d: {"cluster_view_png": Path("/nonexistent/view.png")},
            r"ReportInput\.cluster_view_png /nonexistent/view\.png is not a file\.",
        ),
        (
            lambda d: {"levels": ("none",), "alert_level": "none", "page_level": "none"},
            r"ReportInput\.levels must be two or more distinct names, got \['none'\]\.",
        ),
    ],
)
def test_input_the_report_cannot_show_is_refused(report_input, tmp_path, change, message):
    data = dataclasses.replace(report_input, **change(report_input))
    with pytest.raises(DataValidationError, match=message):
        render_report(data, tmp_path / "r", pdf=False)
    assert not (tmp_path / "r").exists()


@pytest.mark.browser
def test_report_opens_offline_in_chromium_and_shows_the_warnings_table(
    report, report_input, browser
):
    root = report.folder.resolve().as_uri() + "/"
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    requests, failed, errors = [], [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(report.index.as_uri())
    page.wait_for_load_state("load")

    warnings = report_input.warnings
    counts = warnings["level"].value_counts()
    shown = {
        row.get_attribute("data-level"): int(row.locator("td.firms").inner_text())
        for row in page.locator("#level-counts tbody tr").all()
    }
    assert shown == {level: int(counts.get(level, 0)) for level in report_input.levels}
    assert page.locator("#firms-scored").inner_text() == str(len(warnings))
    alerted = int(warnings["level"].isin(PAGE_LEVELS).sum())
    assert page.locator("#firms-alerted").inner_text() == str(alerted)
    assert page.locator("#dimension-total").inner_text() == str(alerted)

    rows = page.locator("#top-firms tbody tr").all()
    top = warnings.sort_values("rank").head(20)
    assert len(rows) == len(top) == 20
    for row, expected in zip(rows, top.itertuples(), strict=True):
        assert row.locator("td.entity").inner_text() == expected.entity
        assert row.locator("td.rank").inner_text() == str(expected.rank)
        cell = row.locator("td.probability")
        assert cell.inner_text() == f"{expected.probability:.3f}"
        assert float(cell.get_attribute("data-value")) == expected.probability
        assert row.locator("td.level").inner_text() == expected.level
        reasons = row.locator("td.reasons li").all_inner_texts()
        assert reasons == _reasons(report_input, expected.entity)[:3]
    assert page.locator("script").count() == 0
    assert all(img.evaluate("i => i.naturalWidth > 0") for img in page.locator("img").all())

    page.locator("#top-firms tbody tr").first.locator("a").click()
    page.wait_for_load_state("load")
    assert page.url == report.firm_pages[0].as_uri()
    assert page.locator("h2.firm-title .entity").inner_text() == "<script>"
    shown_reasons = page.locator("table.reasons td.text").all_inner_texts()
    assert shown_reasons == _reasons(report_input, "<script>")
    assert page.locator("svg.trend").count() >= 1
    page.close()

    assert failed == []
    assert errors == []
    assert requests and all(url.startswith(root) for url in requests), requests


def test_an_empty_portfolio_renders_with_a_note(tmp_path):
    empty = pd.DataFrame(
        {
            "entity": pd.Series([], dtype=object),
            "probability": pd.Series([], dtype=float),
            "level": pd.Series([], dtype=object),
            "rank": pd.Series([], dtype=int),
        }
    )
    data = ReportInput(
        title="Nobody",
        generated="2024-01-01T00:00:00",
        data_description="no firms",
        simulated=False,
        levels=("none", "alert"),
        alert_level="alert",
        page_level="alert",
        warnings=empty,
    )
    files = render_report(data, tmp_path / "r")
    assert "No firm was scored." in files.index.read_text(encoding="utf-8")
    assert files.firm_pages == () and files.pdf is not None and files.pdf.is_file()
    assert [p.name for p in files.assets] == ["report.css"]
