"""The report job: score a file, explain the warnings, compare with peers and the past,
cluster, and render the early-warning report (C7, C8)."""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from finwarn._io import write_csv
from finwarn._text import did_you_mean
from finwarn.data import LoadResult
from finwarn.exceptions import DataValidationError
from finwarn.explain import history_table, migrations
from finwarn.warning import Warnings
from finwarn.workflow._explain import Explanation, explain_warnings, feature_labels
from finwarn.workflow._features import Prepared, build_features
from finwarn.workflow._jobs import TrainedModel, latest_rows, score

__all__ = ["REPORT_SCOPES", "ReportResult", "build_report_input", "report"]

logger = logging.getLogger(__name__)

#: Which rows a report covers: each firm's latest period, or the data's latest period.
REPORT_SCOPES = ("latest_per_firm", "latest_period")
# Indicators with a history chart on a firm page come from its strongest reasons.
_HISTORY_REASONS = 4
_METRIC_NAMES = {
    "roc_auc": "ROC-AUC",
    "pr_auc": "PR-AUC",
    "ks": "KS",
    "brier": "Brier score",
    "f1": "F1",
    "tp": "true positives",
    "fp": "false positives",
    "tn": "true negatives",
    "fn": "false negatives",
}
_COUNTS = ("tp", "fp", "tn", "fn")


@dataclass(frozen=True)
class ReportResult:
    """What the report job computed and wrote.

    Attributes
    ----------
    folder : Path
        The report folder (``index.html``, ``report.pdf``, ``firms/``, ``assets/``,
        ``warnings.csv``, ``reasons.csv``).
    files : finwarn.report.ReportFiles
    warnings : Warnings
        The scored firms, as in ``warnings.csv``.
    explanation : Explanation
        Contributions and reasons, as in ``reasons.csv``.
    seconds : dict of str to float
        Time per step.
    notes : list of str
        What the report could not show and why.
    """

    folder: Path
    files: Any
    warnings: Warnings
    explanation: Explanation
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _page_entities(warnings: Warnings, page_level: str, max_pages: int | None) -> list[Any]:
    frame = warnings.frame.sort_values("rank", kind="stable")
    position = {level: i for i, level in enumerate(warnings.levels)}
    chosen = frame[frame["level"].map(position) >= position[page_level]]
    if max_pages is not None:
        chosen = chosen.head(max_pages)
    return chosen["entity"].tolist()


def _model_card(trained: TrainedModel, method: str) -> dict[str, Any]:
    meta = trained.metadata
    data = meta.get("training_data", {})
    warning = meta.get("warning", {})
    metrics: dict[str, Any] = {}
    for key, value in meta.get("metrics", {}).items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            counted = key in _COUNTS and float(value).is_integer()
            metrics[_METRIC_NAMES.get(key, key)] = int(value) if counted else value
    levels = list(warning.get("levels", []))
    cutoffs = dict(zip(levels[1:], warning.get("cutoffs", []), strict=False))
    calibration = warning.get("calibration", {})
    described = {
        "tree_shap": "exact TreeSHAP values of the gradient-boosted trees (LightGBM)",
        "linear": "exact linear terms of the logistic regression",
        "gradients": "integrated gradients of the BP network (approximate: they add up to "
        "the log-odds up to a small integration error)",
        "occlusion": "occlusion (each indicator set to the portfolio median in turn)",
        "text_model": "the text branch's exact share of the log-odds (against the average "
        "report) and occlusion of each indicator in the financial branch; the most-attended "
        "passages are quoted as they look after cleaning (no numbers, dates or amounts)",
    }[method]
    return {
        "model": f"{meta.get('model', '?')} (finwarn {meta.get('finwarn_version', '?')})",
        "data": str(data.get("source", "?")),
        "trained": str(meta.get("created", "?")),
        "rows": data.get("rows"),
        "distressed": data.get("distressed"),
        "features": len(meta.get("features", [])),
        "calibration_method": f"{calibration.get('method', '?')}, fitted on "
        f"{calibration.get('folds', '?')}-fold out-of-fold predictions",
        "protocol": str(meta.get("metrics", {}).get("protocol", "")),
        "metrics": metrics,
        "cutoffs": cutoffs,
        "limits": [
            f"Reasons are contributions to the model's log-odds by {described}. They say "
            "what moved this model's estimate, not what caused a firm's difficulties.",
            "Percentiles compare a firm with the firms of the same industry and period in "
            "the scored file (all firms of the period when the industry has fewer than "
            "20), not with a market-wide population.",
            "Metrics are out-of-fold on the training data; a firm's probability is an "
            "estimate for firms like those the model was trained on.",
            "A firm missing more than half of its indicators is scored with a note: its "
            "warning is less reliable.",
        ],
    }


def _clusters(
    trained: TrainedModel, loaded: LoadResult, folder: Path, random_state: int | None
) -> tuple[pd.DataFrame, Path | None, Path | None, list[str]]:
    """Cluster summary and the 3-D view files (written into ``folder``)."""
    from finwarn.report import write_cluster_view_html, write_cluster_view_png
    from finwarn.workflow._rank import rank

    try:
        result = rank(loaded, model=trained, random_state=random_state)
    except (ValueError, DataValidationError) as exc:
        return pd.DataFrame(), None, None, [f"no clusters: {exc}"]
    notes = list(result.notes)
    if not result.view_dimensions:
        return result.cluster_summary, None, None, notes
    columns = list(result.view_dimensions)
    view = result.scores[columns].fillna(result.scores[columns].median())
    labels = result.clusters["cluster"].to_numpy()
    words = list(result.cluster_summary["description"])
    hover = result.clusters["entity"].astype(str)
    html = write_cluster_view_html(view, labels, words, folder / "cluster_view.html", hover=hover)
    png = write_cluster_view_png(view, labels, words, folder / "cluster_view.png")
    return result.cluster_summary, png, html, notes


def build_report_input(
    trained: TrainedModel,
    loaded: LoadResult,
    work: Path,
    *,
    prepared: Prepared | None = None,
    scope: str = "latest_per_firm",
    page_level: str | None = None,
    max_firm_pages: int | None = 200,
    clusters: bool = True,
    title: str | None = None,
    data_description: str | None = None,
    simulated: bool = False,
    random_state: int | None = 0,
    step: Callable[[str], None] | None = None,
) -> tuple[Any, Warnings, Explanation, dict[str, float], list[str]]:
    """Compute every table of the report; the 3-D view files go into ``work``.

    Returns ``(ReportInput, warnings, explanation, seconds per step, notes)``.
    """
    from finwarn.report import ReportInput

    say = step or (lambda text: None)
    if scope not in REPORT_SCOPES:
        raise ValueError(
            f"scope must be one of {REPORT_SCOPES}, got {scope!r}."
            f"{did_you_mean(scope, REPORT_SCOPES)}"
        )
    levels = tuple(str(level) for level in trained.classifier.levels_)
    alert_level = levels[trained.classifier.alert_index_]
    page_level = page_level or alert_level
    if page_level not in levels:
        raise DataValidationError(
            f"page level '{page_level}' is not a warning level of this model "
            f"({', '.join(levels)}).{did_you_mean(page_level, levels)}"
        )
    seconds: dict[str, float] = {}
    notes: list[str] = []
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[name] = round(now - clock, 3)
        clock = now

    say("scoring")
    prepared = prepared or build_features(loaded, spec=trained.spec)
    keep = latest_rows(prepared.ids, scope)
    warnings = score(trained, loaded, prepared=prepared, scope=scope)
    if "industry" in prepared.ids.columns:
        industry = prepared.ids.loc[keep, ["entity", "industry"]].drop_duplicates("entity")
        frame = warnings.frame.merge(industry, on="entity", how="left")
        warnings = Warnings(frame=frame, levels=warnings.levels)
    model = trained.classifier
    all_levels = model.predict_level(prepared.model_input())
    moves = migrations(prepared.ids, all_levels, levels)
    reported = warnings.frame[["entity", "period"]] if "period" in moves else None
    if reported is not None and len(moves):
        # only the reported firms, from their previous period to the reported one
        moves = moves.merge(reported, on=["entity", "period"], how="inner")
    lap("scoring")

    say("explaining the warnings")
    explanation = explain_warnings(trained, prepared, keep, random_state=random_state)
    lap("explaining")

    say("comparing firms with their own past")
    paged = _page_entities(warnings, page_level, max_firm_pages)
    reasons = explanation.reasons.frame
    strongest = reasons[reasons["entity"].isin(paged) & (reasons["order"] <= _HISTORY_REASONS)]
    features = [f for f in dict.fromkeys(strongest["feature"]) if f in prepared.X.columns]
    names, _, _ = feature_labels(trained)
    history = history_table(prepared.X, prepared.ids, features, paged, names=names)
    lap("history")

    cluster_summary, png, html = pd.DataFrame(), None, None
    if clusters:
        say("clustering firms in the solvency / turnover / profitability space")
        cluster_summary, png, html, cluster_notes = _clusters(trained, loaded, work, random_state)
        notes += cluster_notes
        lap("clusters")

    card = _model_card(trained, explanation.attribution.method)
    calibration = pd.DataFrame(trained.metadata.get("calibration", []))
    description = data_description or f"{loaded.source}: {len(loaded.data):,} accepted rows"
    if len(loaded.quarantine):
        description += f", {len(loaded.quarantine):,} quarantined"
    data = ReportInput(
        title=title or f"Early-warning report: {Path(str(loaded.source)).name}",
        generated=datetime.now(UTC).isoformat(timespec="seconds"),
        data_description=description,
        simulated=simulated,
        levels=levels,
        alert_level=alert_level,
        page_level=page_level,
        warnings=warnings.table(),
        reasons=explanation.reasons.table(),
        dimension_contributions=explanation.dimensions,
        history=history,
        migrations=moves,
        clusters=cluster_summary,
        cluster_view_png=png,
        cluster_view_html=html,
        model_card=card,
        calibration=calibration,
    )
    return data, warnings, explanation, seconds, notes


def report(
    trained: TrainedModel,
    loaded: LoadResult,
    out: str | Path,
    *,
    pdf: bool = True,
    scope: str = "latest_per_firm",
    page_level: str | None = None,
    max_firm_pages: int | None = 200,
    top_n: int = 20,
    clusters: bool = True,
    title: str | None = None,
    data_description: str | None = None,
    simulated: bool = False,
    random_state: int | None = 0,
    step: Callable[[str], None] | None = None,
) -> ReportResult:
    """Score ``loaded`` with ``trained`` and write the early-warning report to ``out``.

    The folder gets ``index.html`` (open it), ``firms/`` (one page per firm at or
    above ``page_level``, riskiest first, at most ``max_firm_pages``), ``assets/``,
    ``cluster_view.html``, ``report.pdf`` (unless ``pdf=False``), and the tables behind
    it: ``warnings.csv`` and ``reasons.csv``. An existing report in ``out`` is replaced
    only when the new one is complete.

    Parameters
    ----------
    trained : TrainedModel
        A warning model (``finwarn train``).
    loaded : LoadResult
        The portfolio to report on, all periods (earlier periods give the history and
        the migrations).
    out : str or Path
        The report folder.
    pdf : bool, default True
    scope : {"latest_per_firm", "latest_period"}
        Report each firm's latest period, or only firms of the data's latest period.
    page_level : str, optional
        Lowest level with a firm page (default: the model's alert level).
    max_firm_pages : int or None, default 200
        None: a page for every firm at or above ``page_level``.
    top_n : int, default 20
        Rows of the riskiest-firms table.
    clusters : bool, default True
        Cluster the firms and include the 3-D view.
    title, data_description : str, optional
    simulated : bool
        Marks the report as made from simulated data (a banner on every page).
    random_state : int or None
    step : callable, optional
        Called with a short text before each step (progress).
    """
    from finwarn.report import render_report

    say = step or (lambda text: None)
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="finwarn-report-") as work:
        data, warnings, explanation, seconds, notes = build_report_input(
            trained,
            loaded,
            Path(work),
            scope=scope,
            page_level=page_level,
            max_firm_pages=max_firm_pages,
            clusters=clusters,
            title=title,
            data_description=data_description,
            simulated=simulated,
            random_state=random_state,
            step=say,
        )
        say("writing the report" + (" and its PDF" if pdf else ""))
        started = time.perf_counter()
        files = render_report(data, out, pdf=pdf, top_n=top_n, max_firm_pages=max_firm_pages)
    write_csv(data.warnings, out / "warnings.csv")
    write_csv(data.reasons, out / "reasons.csv")
    seconds["rendering"] = round(time.perf_counter() - started, 3)
    if files.firms_left_out:
        notes.append(
            f"{files.firms_left_out:,} firms at or above level {data.page_level} have no page "
            f"(at most {max_firm_pages} pages); all are in warnings.csv and reasons.csv"
        )
    return ReportResult(out, files, warnings, explanation, seconds, notes)
