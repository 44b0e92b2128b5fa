"""How long does the early-warning report take for a 5,000-firm portfolio (C8)?

Two measurements, both on **simulated** data:

1. **End to end** (the target: under 60 s on this machine): ``finwarn.workflow.report`` on
   the demo generator's panel of 5,000 firms x 8 years (``make_demo_panel``, seed 0) with a
   BP warning model trained on that panel beforehand (training is timed separately and is
   not part of the report). The report job scores each firm's latest period, explains
   every firm (integrated gradients), takes peer percentiles by industry and period,
   builds the firm-page histories and the migrations, clusters the firms with the 3-D
   view, and renders the HTML folder and the PDF. Timed ``--runs`` times, each into a
   fresh folder, with the time per step.
2. **Renderer only**: ``render_report`` on a ``ReportInput`` built with numpy of the shape
   the workflow produces (5,000 firms, 5 periods of history, 4 reasons per firm), with and
   without the PDF; and, as the named peer of the design choice behind the firm pages,
   drawing one firm's small charts with finwarn's inline-SVG helpers against drawing the
   same charts as matplotlib figures.

Usage (from the project root)::

    .venv/bin/python benchmarks/report.py            # writes docs/benchmarks/report.md
    .venv/bin/python benchmarks/report.py --firms 500 --runs 1 --out /tmp/report.md
"""

from __future__ import annotations

import argparse
import datetime
import logging
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from finwarn.report import (
    ReportInput,
    render_report,
    write_cluster_view_html,
    write_cluster_view_png,
)

SEED = 0
OUT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks" / "report.md"
LEVELS = ("none", "light", "moderate", "heavy")
CUTOFFS = (0.05, 0.136, 0.345)
PERIODS = (2019, 2020, 2021, 2022, 2023)
INDUSTRIES = ("manufacturing", "retail", "services", "construction", "utilities")
FEATURES = (
    ("debt_ratio", "Debt ratio", "solvency"),
    ("current_ratio", "Current ratio", "solvency"),
    ("interest_cover", "Interest cover", "solvency"),
    ("roa", "Return on assets", "profitability"),
    ("net_margin", "Net margin", "profitability"),
    ("asset_turnover", "Asset turnover", "operating_capability"),
    ("receivable_days", "Receivable days", "operating_capability"),
    ("sales_growth", "Sales growth", "growth"),
    ("ocf_to_debt", "Operating cash flow to debt", "cash_flow"),
    ("log_assets", "Firm size (log assets)", "other"),
)
DIMENSIONS = ("solvency", "profitability", "operating_capability", "growth", "cash_flow", "other")
REASONS_PER_FIRM = 4


def make_input(n_firms: int, folder: Path, seed: int = SEED) -> ReportInput:
    """A simulated ReportInput with ``n_firms`` firms (3-D view files written to ``folder``)."""
    rng = np.random.default_rng(seed)
    entities = np.array([f"F{i:05d}" for i in range(n_firms)], dtype=object)
    probability = np.sort(rng.beta(0.6, 8.0, n_firms))[::-1].round(6)
    level_index = np.searchsorted(CUTOFFS, probability, side="right")
    level = np.asarray(LEVELS, dtype=object)[level_index]
    industry = np.asarray(INDUSTRIES, dtype=object)[rng.integers(0, len(INDUSTRIES), n_firms)]
    warnings = pd.DataFrame(
        {
            "entity": entities,
            "period": PERIODS[-1],
            "probability": probability,
            "level": level,
            "rank": np.arange(1, n_firms + 1),
            "industry": industry,
        }
    )

    # reasons: REASONS_PER_FIRM distinct features per firm, strongest first
    picks = np.argsort(rng.random((n_firms, len(FEATURES))), axis=1)[:, :REASONS_PER_FIRM]
    contribution = -np.sort(-rng.normal(0.2, 0.6, (n_firms, REASONS_PER_FIRM)), axis=1)
    value = rng.normal(0.4, 0.3, (n_firms, REASONS_PER_FIRM))
    percentile = rng.uniform(0, 100, (n_firms, REASONS_PER_FIRM))
    feature_ids = picks.ravel()
    names = np.array([f[1] for f in FEATURES], dtype=object)[feature_ids]
    higher = np.where(contribution.ravel() > 0, "higher", "lower")
    peer = np.repeat(industry, REASONS_PER_FIRM)
    text = [
        f"{n} is {v:.2f}, {h} than {p:.0f}% of {g} firms"
        for n, v, h, p, g in zip(
            names, value.ravel(), higher, percentile.ravel(), peer, strict=True
        )
    ]
    reasons = pd.DataFrame(
        {
            "entity": np.repeat(entities, REASONS_PER_FIRM),
            "period": PERIODS[-1],
            "order": np.tile(np.arange(1, REASONS_PER_FIRM + 1), n_firms),
            "feature": np.array([f[0] for f in FEATURES], dtype=object)[feature_ids],
            "name": names,
            "dimension": np.array([f[2] for f in FEATURES], dtype=object)[feature_ids],
            "value": value.ravel().round(4),
            "percentile": percentile.ravel().round(1),
            "peer_group": peer,
            "contribution": contribution.ravel().round(4),
            "effect": np.where(contribution.ravel() > 0, "raises", "lowers"),
            "text": text,
        }
    )
    contributions = pd.DataFrame(
        {
            "entity": np.repeat(entities, len(DIMENSIONS)),
            "period": PERIODS[-1],
            "dimension": np.tile(np.asarray(DIMENSIONS, dtype=object), n_firms),
            "contribution": rng.normal(0.05, 0.5, n_firms * len(DIMENSIONS)).round(4),
        }
    )

    # history of each reason feature for firms at or above the page level
    paged = reasons[reasons["entity"].isin(set(entities[level_index >= 2]))]
    n_rows = len(paged)
    steps = len(PERIODS)
    drift = rng.normal(0, 0.05, (n_rows, steps)).cumsum(axis=1)
    history = pd.DataFrame(
        {
            "entity": np.repeat(paged["entity"].to_numpy(), steps),
            "period": np.tile(PERIODS, n_rows),
            "feature": np.repeat(paged["feature"].to_numpy(), steps),
            "name": np.repeat(paged["name"].to_numpy(), steps),
            "value": (paged["value"].to_numpy()[:, None] + drift - drift[:, -1:]).ravel().round(4),
            "peer_median": np.tile(np.linspace(0.38, 0.42, steps), n_rows).round(4),
        }
    )

    previous_index = np.clip(level_index + rng.integers(-1, 2, n_firms), 0, len(LEVELS) - 1)
    migrations = pd.DataFrame(
        {
            "entity": entities,
            "previous_period": PERIODS[-2],
            "previous_level": np.asarray(LEVELS, dtype=object)[previous_index],
            "period": PERIODS[-1],
            "level": level,
            "change": np.select(
                [level_index > previous_index, level_index < previous_index],
                ["downgrade", "upgrade"],
                "unchanged",
            ),
        }
    )

    # 3 clusters in the solvency / operating capability / profitability space
    cluster = np.clip(level_index, 1, 3)
    scores = pd.DataFrame(
        {
            d: np.clip(rng.normal(0.25 * cluster, 0.12), 0, 1)
            for d in ("solvency", "operating_capability", "profitability")
        }
    )
    words = ["strong on all three", "average solvency, weak turnover", "weak profitability"]
    png = write_cluster_view_png(scores, cluster, words, folder / "cluster_view.png")
    html = write_cluster_view_html(
        scores, cluster, words, folder / "cluster_view.html", hover=pd.Series(entities)
    )
    centres = scores.groupby(cluster).mean().round(4)
    sizes = np.bincount(cluster)[1:]
    clusters = pd.DataFrame(
        {
            "cluster": [1, 2, 3],
            "firms": sizes,
            "share": (sizes / sizes.sum()).round(4),
            **{c: centres[c].to_numpy() for c in centres.columns},
            "description": words,
        }
    )
    predicted = np.linspace(0.01, 0.5, 10)
    calibration = pd.DataFrame(
        {
            "bin": np.arange(1, 11),
            "predicted": predicted.round(4),
            "observed": (predicted * rng.uniform(0.85, 1.15, 10)).round(4),
            "n": np.full(10, n_firms // 10),
        }
    )
    return ReportInput(
        title=f"Early-warning report: simulated portfolio of {n_firms:,} firms",
        generated=datetime.datetime.now().isoformat(timespec="seconds"),
        data_description=f"SIMULATED portfolio of {n_firms:,} firms (benchmarks/report.py)",
        simulated=True,
        levels=LEVELS,
        alert_level="moderate",
        page_level="moderate",
        warnings=warnings,
        reasons=reasons,
        dimension_contributions=contributions,
        history=history,
        migrations=migrations,
        clusters=clusters,
        cluster_view_png=png,
        cluster_view_html=html,
        model_card={
            "model": "lightgbm (simulated card)",
            "data": "SIMULATED",
            "trained": "2024-01-01T00:00:00",
            "rows": 20_000,
            "distressed": 1_000,
            "protocol": "5-fold stratified cross-validation, repeated twice (simulated)",
            "metrics": {"roc_auc": 0.87, "pr_auc": 0.41, "brier": 0.043, "ks": 0.58},
            "cutoffs": dict(zip(LEVELS[1:], CUTOFFS, strict=True)),
            "calibration_method": "sigmoid",
            "features": len(FEATURES),
            "limits": ["Simulated data: the figures say nothing about real firms."],
        },
        calibration=calibration,
    )


def _time_builds(data: ReportInput, root: Path, runs: int, **options) -> list[float]:
    seconds = []
    for run in range(runs):
        start = time.perf_counter()
        render_report(data, root / f"run-{run}-{int(options.get('pdf', True))}", **options)
        seconds.append(time.perf_counter() - start)
    return seconds


def _peer(data: ReportInput, firms: int) -> tuple[float, float]:
    """Seconds per firm for its charts: inline SVG helpers against matplotlib figures."""
    import io

    from matplotlib.figure import Figure

    from finwarn.report import _svg

    entities = data.warnings["entity"].head(firms)
    history = data.history[data.history["entity"].isin(set(entities))]
    contributions = data.dimension_contributions
    groups = [
        (
            [
                g.sort_values("period")
                for _, g in history[history["entity"] == e].groupby("feature")
            ],
            contributions[contributions["entity"] == e],
        )
        for e in entities
    ]
    start = time.perf_counter()
    for trends, profile in groups:
        for g in trends:
            _svg.trend(
                g["period"].tolist(), g["value"].tolist(), g["peer_median"].tolist(), title="t"
            )
        _svg.dimension_profile(profile["dimension"].tolist(), profile["contribution"].tolist())
    svg_seconds = (time.perf_counter() - start) / firms
    start = time.perf_counter()
    for trends, profile in groups:
        for g in trends:
            figure = Figure(figsize=(2.5, 0.9))
            axes = figure.subplots()
            axes.plot(g["period"], g["value"])
            axes.plot(g["period"], g["peer_median"], linestyle="--")
            figure.savefig(io.BytesIO(), format="svg")
        figure = Figure(figsize=(4.4, 1.6))
        axes = figure.subplots()
        axes.barh(profile["dimension"], profile["contribution"])
        figure.savefig(io.BytesIO(), format="svg")
    return svg_seconds, (time.perf_counter() - start) / firms


def _end_to_end(firms: int, root: Path, runs: int) -> dict:
    """Train a BP model on a simulated panel, then time the whole report job."""
    from finwarn.data import validate_frame
    from finwarn.datasets import make_demo_panel
    from finwarn.workflow import report, train

    panel = make_demo_panel(n_firms=firms, n_years=8, random_state=SEED)
    loaded = validate_frame(panel, source=f"SIMULATED demo panel, {firms} firms x 8 years")
    start = time.perf_counter()
    trained = train(loaded, model="bp", random_state=SEED)
    train_seconds = time.perf_counter() - start
    totals, steps, built = [], [], None
    for run in range(runs):
        start = time.perf_counter()
        built = report(trained, loaded, root / f"e2e-{run}", simulated=True, random_state=SEED)
        totals.append(time.perf_counter() - start)
        steps.append(built.seconds)
        print(f"end to end run {run + 1}: {totals[-1]:.1f} s {built.seconds}")
    assert built is not None
    from pypdf import PdfReader

    return {
        "rows": len(loaded.data),
        "train_rows": trained.metadata["training_data"]["rows"],
        "train_seconds": train_seconds,
        "totals": totals,
        "steps": {k: statistics.median(s[k] for s in steps) for k in steps[0]},
        "firms": len(built.warnings.frame),
        "levels": built.warnings.counts().set_index("level")["firms"].to_dict(),
        "pages": len(built.files.firm_pages),
        "left_out": built.files.firms_left_out,
        "pdf_pages": len(PdfReader(built.files.pdf).pages),
        "method": built.explanation.attribution.method,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--firms", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()

    with tempfile.TemporaryDirectory(prefix="finwarn-report-bench-") as tmp:
        root = Path(tmp)
        e2e = _end_to_end(args.firms, root, args.runs)
        data = make_input(args.firms, root)
        counts = data.warnings["level"].value_counts().reindex(LEVELS, fill_value=0)
        at_page_level = int((data.warnings["level"].isin(["moderate", "heavy"])).sum())
        print(f"input: {args.firms} firms, levels {counts.to_dict()}")

        with_pdf = _time_builds(data, root, args.runs, pdf=True)
        print("with PDF:", [f"{s:.1f}" for s in with_pdf])
        html_only = _time_builds(data, root, args.runs, pdf=False)
        print("HTML only:", [f"{s:.1f}" for s in html_only])
        files = render_report(data, root / "inspect", pdf=True)
        from pypdf import PdfReader

        pdf_pages = len(PdfReader(files.pdf).pages)
        pdf_mb = files.pdf.stat().st_size / 1e6
        folder_mb = sum(p.stat().st_size for p in files.paths()) / 1e6
        svg_s, mpl_s = _peer(data, 20)
        print(f"per firm charts: svg {svg_s * 1000:.1f} ms, matplotlib {mpl_s * 1000:.1f} ms")
    import jinja2
    import matplotlib
    import weasyprint

    def row(name: str, seconds: list[float]) -> str:
        return (
            f"| {name} | {len(seconds)} | {statistics.median(seconds):.1f} | {max(seconds):.1f} "
            f"| {'yes' if max(seconds) < 60 else 'no'} |"
        )

    lines = [
        f"# Early-warning report: build time for a {args.firms:,}-firm portfolio",
        "",
        f"Generated by `benchmarks/report.py` on {datetime.date.today().isoformat()}, "
        f"{platform.machine()} with {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, weasyprint {weasyprint.__version__}, jinja2 "
        f"{jinja2.__version__}, matplotlib {matplotlib.__version__}; total run time "
        f"{(time.perf_counter() - started) / 60:.1f} minutes.",
        "",
        f"## End to end: `finwarn report` on a {args.firms:,}-firm portfolio",
        "",
        f"**Input: simulated.** `make_demo_panel(n_firms={args.firms}, n_years=8, "
        f"random_state={SEED})`: {e2e['rows']:,} firm-years of raw statements. A BP warning "
        f"model was trained on its {e2e['train_rows']:,} labelled firm-years first "
        f"({e2e['train_seconds']:.0f} s, not part of the report time). The report covers "
        f"each firm's latest period: {e2e['firms']:,} firms, levels "
        + ", ".join(f"{k} {v:,}" for k, v in e2e["levels"].items())
        + f"; {e2e['pages']} firm pages ({e2e['left_out']:,} more firms at or above "
        f"`moderate` are in the tables only), a PDF of {e2e['pdf_pages']} pages. Reasons by "
        f"`{e2e['method']}`.",
        "",
        "| step | median s |",
        "|---|---:|",
        *[f"| {k} | {v:.1f} |" for k, v in e2e["steps"].items()],
        f"| **whole report job** (runs: {', '.join(f'{t:.1f}' for t in e2e['totals'])}) "
        f"| **{statistics.median(e2e['totals']):.1f}** |",
        "",
        f"Under 60 s: **{'yes' if max(e2e['totals']) < 60 else 'no'}** (slowest run "
        f"{max(e2e['totals']):.1f} s).",
        "",
        "## Renderer only",
        "",
        "**Input: simulated.** A `ReportInput` built with numpy (seed 0), the shape the "
        "workflow produces for a large portfolio: "
        f"{args.firms:,} firms scored in one period with {len(PERIODS)} periods of history; "
        "probabilities from Beta(0.6, 8), levels from the cut-offs "
        f"{' / '.join(map(str, CUTOFFS))}; {REASONS_PER_FIRM} reasons per firm "
        f"({len(data.reasons):,} rows), contributions in {len(DIMENSIONS)} dimensions "
        f"({len(data.dimension_contributions):,} rows), a {len(PERIODS)}-period history of "
        f"the reason features for every firm at or above the page level "
        f"({len(data.history):,} rows), {len(data.migrations):,} migrations, 3 clusters with "
        "the real 3-D view files (PNG and plotly HTML, written before the timing), a model "
        "card and a 10-bin calibration table. No real company is described.",
        "",
        "| level | firms |",
        "|---|---:|",
        *[f"| {level} | {n:,} |" for level, n in counts.items()],
        "",
        f"**Build.** `render_report(data, out)` with the defaults: top 20 firms, at most 200 "
        f"firm pages (riskiest first): {at_page_level:,} firms are at or above the page level "
        f"`moderate`, {len(files.firm_pages)} got a page and {files.firms_left_out:,} were "
        "left out (the index says so). Each run writes a fresh folder; the time covers "
        "checking the input, the three matplotlib charts, the HTML pages and, with the PDF, "
        f"weasyprint. The PDF has {pdf_pages} pages ({pdf_mb:.1f} MB); the folder holds "
        f"{len(files.paths())} files ({folder_mb:.1f} MB, most of it the plotly 3-D view).",
        "",
        "| build | runs | median s | max s | under 60 s |",
        "|---|---:|---:|---:|---|",
        row("HTML folder + PDF", with_pdf),
        row("HTML folder only (`pdf=False`)", html_only),
        "",
        "**Peer: how firm charts are drawn.** One firm's charts (its trend lines and its "
        "dimension profile), averaged over 20 firms: finwarn's inline SVG helpers "
        f"{svg_s * 1000:.2f} ms per firm, the same charts as matplotlib figures saved as SVG "
        f"{mpl_s * 1000:.0f} ms per firm ({mpl_s / svg_s:,.0f} times slower; for 200 firm "
        f"pages {200 * mpl_s:.0f} s against {200 * svg_s:.2f} s).",
        "",
        "Most of the build with the PDF is weasyprint laying out the pages; a firm page "
        "costs about "
        f"{(statistics.median(with_pdf) - statistics.median(html_only)) / pdf_pages:.2f} s "
        "of PDF per page here. Raising `max_firm_pages` grows the build time about in "
        "proportion to the pages.",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
