"""The report job end to end: scoring, reasons, peers, history, migrations, HTML and PDF."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from finwarn.data import load_polish, validate_frame
from finwarn.datasets import make_demo_panel
from finwarn.exceptions import DataValidationError
from finwarn.workflow import REPORT_SCOPES, build_features, report, score, train

PANEL = {"n_firms": 300, "n_years": 5, "random_state": 4}


@pytest.fixture(scope="module")
def loaded():
    return validate_frame(make_demo_panel(**PANEL), source="simulated panel")


@pytest.fixture(scope="module")
def trained(loaded):
    return train(loaded, model="lightgbm", random_state=0)


@pytest.fixture(scope="module")
def built(trained, loaded, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report"
    return report(trained, loaded, out, simulated=True, random_state=0)


@pytest.fixture(scope="module")
def warnings_csv(built) -> pd.DataFrame:
    return pd.read_csv(built.folder / "warnings.csv", dtype={"entity": str})


@pytest.fixture(scope="module")
def reasons_csv(built) -> pd.DataFrame:
    return pd.read_csv(built.folder / "reasons.csv", dtype={"entity": str})


def _int(text: str) -> int:
    return int(text.replace(",", ""))


def _listed(built) -> set[str]:
    """Firms named in the report: the riskiest-firms table and the firm pages."""
    table = built.warnings.frame.sort_values("rank")
    top = set(table["entity"].head(20))
    pages = {path.stem for path in built.files.firm_pages}
    return top | pages


def test_the_report_folder_holds_everything_it_promises(built):
    for name in ("index.html", "report.pdf", "warnings.csv", "reasons.csv", "cluster_view.html"):
        assert (built.folder / name).is_file(), name
    assert (built.folder / "assets" / "cluster_view.png").is_file()
    assert built.files.firm_pages
    assert built.explanation.attribution.method == "tree_shap"
    assert set(built.seconds) == {"scoring", "explaining", "history", "clusters", "rendering"}


def test_warnings_csv_is_the_scoring_step_with_the_industry(built, trained, loaded, warnings_csv):
    scored = score(trained, loaded).table()
    assert warnings_csv["entity"].tolist() == scored["entity"].tolist()
    assert np.allclose(warnings_csv["probability"], scored["probability"])
    assert warnings_csv["level"].tolist() == scored["level"].tolist()
    industry = loaded.data.drop_duplicates("entity", keep="last").set_index("entity")["industry"]
    assert warnings_csv["industry"].tolist() == industry.loc[warnings_csv["entity"]].tolist()


def test_every_listed_firm_has_at_least_three_reasons_agreeing_in_sign(built, reasons_csv):
    listed = _listed(built)
    counts = reasons_csv.groupby("entity")["order"].count()
    assert (counts.loc[sorted(listed)] >= 3).all()
    assert (counts == 5).all()  # every scored firm keeps five
    sign = np.sign(reasons_csv["contribution"])
    effect = reasons_csv["effect"].map({"raises": 1.0, "lowers": -1.0, "neutral": 0.0})
    assert (sign == effect).all()
    # the texts say the same as the effect column
    assert reasons_csv["text"].str.endswith("raises the risk").eq(effect == 1).all()


def test_reasons_add_up_to_the_model_log_odds(built, trained, loaded):
    attribution = built.explanation.attribution
    prepared = build_features(loaded, spec=trained.spec)
    keep = (
        prepared.ids["period"] == prepared.ids.groupby("entity")["period"].transform("max")
    ).to_numpy()
    estimator = trained.classifier.estimator_
    p = estimator.predict_proba(prepared.X[keep])[:, 1]
    total = attribution.values.sum(axis=1).to_numpy() + attribution.base_value
    assert np.allclose(total, np.log(p / (1 - p)), atol=1e-6)


def test_migrations_compare_each_firm_with_its_previous_period(built, trained, loaded):
    prepared = build_features(loaded, spec=trained.spec)
    levels = trained.classifier.predict_level(prepared.X)
    frame = prepared.ids.assign(level=levels).sort_values(["entity", "period"])
    order = {level: i for i, level in enumerate(trained.classifier.levels_)}
    expected = {"upgrade": 0, "downgrade": 0, "unchanged": 0}
    for _, rows in frame.groupby("entity"):
        if len(rows) < 2:
            continue
        before, now = (order[level] for level in rows["level"].iloc[-2:])
        expected["downgrade" if now > before else "upgrade" if now < before else "unchanged"] += 1
    index = (built.folder / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr data-change="(\w+)">.*?<td class="num">([\d,]+)</td>', index)
    assert {k: v for k, v in expected.items() if v} == {k: _int(v) for k, v in rows}


def test_pdf_has_the_portfolio_pages_then_one_page_per_firm(built):
    pages = [" ".join(page.extract_text().split()) for page in PdfReader(built.files.pdf).pages]
    assert "SIMULATED" in pages[0]
    firm_pages = [i for i, text in enumerate(pages) if "Why: the reasons behind" in text]
    assert len(firm_pages) == len(built.files.firm_pages)
    expected = built.warnings.frame.sort_values("rank")["entity"].head(len(firm_pages))
    for i, entity in zip(firm_pages, expected, strict=True):
        assert pages[i].startswith(f"{entity} ")


@pytest.mark.browser
def test_report_renders_offline_in_chromium_with_the_numbers_of_warnings_csv(
    built, warnings_csv, reasons_csv, browser
):
    root = built.folder.resolve().as_uri() + "/"
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    requests, failed, errors = [], [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(built.files.index.as_uri())
    page.wait_for_load_state("load")

    assert _int(page.locator("#firms-scored").inner_text()) == len(warnings_csv)
    counts = warnings_csv["level"].value_counts()
    for row in page.locator("#level-counts tbody tr").all():
        level = row.get_attribute("data-level")
        assert _int(row.locator("td.firms").inner_text()) == counts.get(level, 0), level
    for row, expected in zip(
        page.locator("#top-firms tbody tr").all(), warnings_csv.head(20).itertuples(), strict=True
    ):
        assert row.locator("td.entity").inner_text() == expected.entity
        assert row.locator("td.probability").inner_text() == f"{expected.probability:.3f}"
        assert row.locator("td.level").inner_text() == expected.level
        shown = row.locator("td.reasons li").all_inner_texts()
        texts = reasons_csv[reasons_csv["entity"] == expected.entity].sort_values("order")["text"]
        assert shown == texts.head(3).tolist()
    assert all(img.evaluate("i => i.naturalWidth > 0") for img in page.locator("img").all())

    by_entity = warnings_csv.set_index("entity")
    for path in built.files.firm_pages[:5]:
        page.goto(path.as_uri())
        entity = page.locator("h2.firm-title .entity").inner_text()
        cell = page.locator("td.probability")
        assert cell.inner_text() == f"{by_entity.loc[entity, 'probability']:.3f}"
        assert len(page.locator("table.reasons td.text").all_inner_texts()) >= 3
    page.close()

    assert failed == [] and errors == []
    assert requests and all(url.startswith(root) for url in requests), requests


def test_latest_period_scope_reports_only_firms_of_the_last_period(trained, loaded, tmp_path):
    built = report(
        trained, loaded, tmp_path / "r", pdf=False, clusters=False, scope="latest_period"
    )
    last = loaded.data["period"].max()
    assert (built.warnings.frame["period"] == last).all()
    # migrations only of the reported firms, into the reported period
    index = (built.folder / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr data-change="(\w+)">.*?<td class="num">([\d,]+)</td>', index)
    reported = built.warnings.frame["entity"]
    earlier = loaded.data[loaded.data["period"] < last]
    assert sum(_int(n) for _, n in rows) == reported.isin(set(earlier["entity"])).sum()
    assert built.files.cluster_view is None and built.files.pdf is None
    assert "clusters" not in built.seconds


def test_bad_options_are_refused_before_anything_is_written(trained, loaded, tmp_path):
    with pytest.raises(DataValidationError, match=r"page level 'severe' is not a warning level"):
        report(trained, loaded, tmp_path / "a", page_level="severe")
    with pytest.raises(ValueError, match=r"scope must be one of .*Did you mean 'latest_period'"):
        report(trained, loaded, tmp_path / "b", scope="latest_periods")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    assert REPORT_SCOPES == ("latest_per_firm", "latest_period")


@pytest.mark.shared_data
@pytest.mark.usefixtures("shared_data")
def test_report_on_real_ratio_data_without_periods_or_industries(tmp_path):
    loaded = load_polish("5year")
    trained = train(loaded, model="logit", random_state=0)
    built = report(
        trained, loaded, tmp_path / "polish", pdf=False, clusters=False, max_firm_pages=20
    )
    reasons = built.explanation.reasons.frame
    assert built.explanation.attribution.method == "linear"
    assert len(built.warnings.frame) == len(loaded.data)
    assert (reasons.groupby("entity").size() == 5).all()
    assert set(reasons["peer_group"]) == {"all firms"}
    assert reasons["name"].str.contains("total assets").any()  # readable Attr names
    assert len(built.files.firm_pages) == 20
    assert any("have no page" in note for note in built.notes)
