"""A small synthetic ReportInput: 36 firms, 3 periods, every table filled.

One firm is called ``<script>`` and one reason text carries markup, to check escaping.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from finwarn.report import ReportInput

LEVELS = ("none", "light", "moderate", "heavy")
CUTOFFS = (0.05, 0.15, 0.35)
PERIODS = (2021, 2022, 2023)
FEATURES = (
    ("debt_ratio", "Debt ratio", "solvency"),
    ("current_ratio", "Current ratio", "solvency"),
    ("roa", "Return on assets", "profitability"),
    ("asset_turnover", "Asset turnover", "operating_capability"),
    ("sales_growth", "Sales growth", "growth"),
    ("ocf_to_debt", "Operating cash flow to debt", "cash_flow"),
    ("size", "Firm size", "other"),
)
DIMENSIONS = ("solvency", "profitability", "operating_capability", "growth", "cash_flow", "other")
INDUSTRIES = ("manufacturing", "retail", "services")


def _level(p: float) -> str:
    return LEVELS[int(np.searchsorted(CUTOFFS, p, side="right"))]


def make_report_input(folder: Path, *, n_firms: int = 36, seed: int = 0) -> ReportInput:
    """Build the synthetic report input; the 3-D view files are written into ``folder``."""
    rng = np.random.default_rng(seed)
    entities = ["<script>", *[f"F{i:03d}" for i in range(1, n_firms)]]
    probability = np.sort(rng.beta(0.8, 4.0, n_firms))[::-1].round(6)
    probability[0] = 0.912345  # the <script> firm is the riskiest: it has a page
    warnings = pd.DataFrame(
        {
            "entity": entities,
            "period": PERIODS[-1],
            "probability": probability,
            "level": [_level(p) for p in probability],
            "rank": np.arange(1, n_firms + 1),
            "industry": [INDUSTRIES[i % 3] for i in range(n_firms)],
        }
    )
    reasons, contributions, history = [], [], []
    paged = set(warnings.loc[warnings["level"].isin(["moderate", "heavy"]), "entity"])
    for i, entity in enumerate(entities):
        picks = rng.choice(len(FEATURES), size=3 + i % 3, replace=False)
        strengths = np.sort(rng.normal(0, 0.8, len(picks)))[::-1]
        for order, (k, c) in enumerate(zip(picks, strengths, strict=True), start=1):
            feature, name, dimension = FEATURES[k]
            value, pct = float(rng.normal(0.5, 0.3)), float(rng.uniform(0, 100))
            peer = INDUSTRIES[i % 3]
            text = (
                f"{name} is {value:.2f}, {'higher' if c > 0 else 'lower'} than {pct:.0f}% of "
                f"{peer} firms"
            )
            if entity == "F001" and order == 1:
                text = "Debt <b>doubled</b> & cash fell"
            reasons.append(
                {
                    "entity": entity,
                    "period": PERIODS[-1],
                    "order": order,
                    "feature": feature,
                    "name": name,
                    "dimension": dimension,
                    "value": value,
                    "percentile": pct,
                    "peer_group": peer,
                    "contribution": float(c),
                    "effect": "raises" if c > 0 else "lowers",
                    "text": text,
                }
            )
            if entity in paged:
                for j, period in enumerate(PERIODS):
                    history.append(
                        {
                            "entity": entity,
                            "period": period,
                            "feature": feature,
                            "name": name,
                            "value": np.nan if (j == 0 and order == 2) else value - 0.1 * (2 - j),
                            "peer_median": 0.5 + 0.01 * j,
                        }
                    )
        for dimension in DIMENSIONS:
            contributions.append(
                {
                    "entity": entity,
                    "period": PERIODS[-1],
                    "dimension": dimension,
                    "contribution": float(rng.normal(0.1, 0.5)),
                }
            )
    previous = [LEVELS[int(x)] for x in rng.integers(0, 4, n_firms)]
    change = [
        "downgrade"
        if LEVELS.index(now) > LEVELS.index(before)
        else "upgrade"
        if LEVELS.index(now) < LEVELS.index(before)
        else "unchanged"
        for before, now in zip(previous, warnings["level"], strict=True)
    ]
    migrations = pd.DataFrame(
        {
            "entity": entities,
            "previous_period": PERIODS[-2],
            "previous_level": previous,
            "period": PERIODS[-1],
            "level": warnings["level"],
            "change": change,
        }
    )
    clusters = pd.DataFrame(
        {
            "cluster": [1, 2, 3],
            "firms": [20, 10, 6],
            "share": [0.5556, 0.2778, 0.1667],
            "solvency": [0.21, 0.48, 0.77],
            "operating_capability": [0.3, 0.61, 0.52],
            "profitability": [0.25, 0.4, 0.81],
            "description": ["strong solvency", "weak turnover", "weak profitability"],
        }
    )
    from PIL import Image

    png = folder / "view.png"
    Image.new("RGB", (40, 30), (30, 120, 200)).save(png)
    view = folder / "view.html"
    view.write_text("<!DOCTYPE html><html><body><p>3-D view</p></body></html>", encoding="utf-8")
    calibration = pd.DataFrame(
        {
            "bin": np.arange(1, 11),
            "predicted": np.linspace(0.01, 0.6, 10).round(4),
            "observed": (np.linspace(0.01, 0.6, 10) * rng.uniform(0.8, 1.2, 10)).round(4),
            "n": np.full(10, 120),
        }
    )
    return ReportInput(
        title="Early-warning report: test portfolio",
        generated="2024-05-01T12:00:00",
        data_description="SIMULATED panel of 36 firms for the report tests",
        simulated=True,
        levels=LEVELS,
        alert_level="moderate",
        page_level="moderate",
        warnings=warnings,
        reasons=pd.DataFrame(reasons),
        dimension_contributions=pd.DataFrame(contributions),
        history=pd.DataFrame(history),
        migrations=migrations,
        clusters=clusters,
        cluster_view_png=png,
        cluster_view_html=view,
        model_card={
            "model": "lightgbm",
            "data": "SIMULATED demo panel",
            "trained": "2024-04-30T09:00:00",
            "rows": 1200,
            "distressed": 96,
            "protocol": "5-fold stratified cross-validation, repeated twice",
            "metrics": {"roc_auc": 0.8712, "brier": 0.0612, "recall": 0.7},
            "cutoffs": dict(zip(LEVELS[1:], CUTOFFS, strict=True)),
            "calibration_method": "sigmoid",
            "features": 42,
            "limits": ["Simulated data: the figures say nothing about real firms."],
        },
        calibration=calibration,
    )


@pytest.fixture(scope="session")
def report_input(tmp_path_factory) -> ReportInput:
    """The synthetic report input (shared; it is frozen and never mutated)."""
    return make_report_input(tmp_path_factory.mktemp("report-input"))
