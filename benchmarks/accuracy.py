"""Accuracy of every finwarn model on the real data sets (capabilities C5 and C6).

Regenerates ``docs/benchmarks/accuracy.md`` and ``accuracy_horizons.png`` (and the raw
figures in ``accuracy.json``). What runs:

1. every model of ``finwarn.models.MODEL_NAMES`` on Polish 1year, 3year, 5year and the
   Taiwan subset, through ``finwarn.workflow.compare``: 5-fold stratified CV repeated
   twice (seed 0), each model wrapped in the calibrated ``WarningClassifier`` exactly as
   ``finwarn train`` builds it, every fitted step inside the training fold;
2. LightGBM with its hyperparameters searched inside every training fold (nested; the
   reported figure is not the tuning figure), 5-fold CV x 1;
3. the imbalance strategies (class weights, none, undersampling, SMOTE) for LightGBM
   and the BP network on Polish 5year, 5-fold CV x 1;
4. the temporal protocol (train on years up to t, test on t+1) on the simulated demo
   panel, the only data set here with periods.

It takes about an hour on two cores; it is a script, not a test. Usage (from the
project root)::

    .venv/bin/python benchmarks/accuracy.py                   # everything
    .venv/bin/python benchmarks/accuracy.py --render-only     # tables from the cache
    .venv/bin/python benchmarks/accuracy.py --only cv:polish-5year --models lightgbm,bp

Each part's result is cached in ``build/accuracy/`` as it finishes, so an interrupted
run resumes where it stopped (``--fresh`` starts over). The shared data sets are read
from ``../shared/data`` (``FINWARN_DATA_DIR`` to change it).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from finwarn.evaluation import METRICS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks"
CACHE = ROOT / "build" / "accuracy"
SEED = 0

# name -> (loader argument, years between the statements and the outcome)
DATASETS: dict[str, tuple[str, int | None]] = {
    "polish-1year": ("1year", 5),
    "polish-3year": ("3year", 3),
    "polish-5year": ("5year", 1),
    "taiwan": ("taiwan", None),
}
# the targets: best model's mean ROC-AUC, and an ordinary LightGBM for reference
TARGETS = {"polish-1year": 0.965, "polish-3year": 0.945, "polish-5year": 0.970, "taiwan": 0.940}
REFERENCE_LGBM = {
    "polish-1year": 0.957,
    "polish-3year": 0.936,
    "polish-5year": 0.962,
    "taiwan": 0.933,
}
TUNE_SECONDS = 30.0
IMBALANCE_DATA = "polish-5year"
IMBALANCE_MODELS = ("lightgbm", "bp")


def _load(name: str):
    from finwarn.data import load_polish, load_taiwan

    argument, _ = DATASETS[name]
    return load_taiwan() if argument == "taiwan" else load_polish(argument)


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    names = ("finwarn", "scikit-learn", "lightgbm", "torch", "optuna", "imbalanced-learn")
    return {n: version(n) for n in names}


# --------------------------------------------------------------------------- parts


def part_cv(data: str, models: str) -> dict[str, Any]:
    """Every model on one data set, 5-fold CV x 2."""
    from finwarn.workflow import compare

    comparison = compare(_load(data), models=models, folds=5, repeats=2, random_state=SEED)
    return comparison.to_dict()


def part_tuned(data: str) -> dict[str, Any]:
    """LightGBM with a search nested in each training fold; ranking metrics only."""
    from finwarn.evaluation import cross_validate
    from finwarn.models import make_tuned_model
    from finwarn.workflow import build_features, labelled_rows

    loaded = _load(data)
    prepared = build_features(loaded)
    use, _ = labelled_rows(loaded, prepared)
    model = make_tuned_model(
        "lightgbm", budget_seconds=TUNE_SECONDS, random_state=SEED, dimensions=None
    )
    result = cross_validate(
        model,
        prepared.model_input(use),
        prepared.y[use].astype(int),  # type: ignore[index]
        folds=5,
        repeats=1,
        random_state=SEED,
    )
    out = result.to_dict()
    out["protocol"]["search"] = (
        f"Optuna TPE, {TUNE_SECONDS:g} s per training fold, 3 inner folds, starting "
        "from the shipped defaults"
    )
    return out


def part_imbalance(strategy: str) -> dict[str, Any]:
    """LightGBM and BP under one imbalance strategy on Polish 5year, 5-fold CV x 1."""
    from finwarn.workflow import compare

    comparison = compare(
        _load(IMBALANCE_DATA),
        models=list(IMBALANCE_MODELS),
        folds=5,
        repeats=1,
        imbalance=strategy,
        random_state=SEED,
    )
    return comparison.to_dict()


def part_temporal() -> dict[str, Any]:
    """Every model on the simulated demo panel: train on years up to t, test on t+1."""
    from finwarn.data import load_data
    from finwarn.datasets import make_demo_panel
    from finwarn.workflow import compare

    path = CACHE / "demo_panel.csv"
    make_demo_panel(random_state=SEED).to_csv(path, index=False)
    loaded = load_data(path)
    comparison = compare(loaded, models="all", protocol="temporal", horizon=1, random_state=SEED)
    return comparison.to_dict()


def _run(key: str, models: str) -> tuple[str, dict[str, Any], float]:
    logging.basicConfig(level=logging.WARNING, format=f"[{key}] %(levelname)s %(message)s")
    start = time.perf_counter()
    kind, _, arg = key.partition(":")
    if kind == "cv":
        result = part_cv(arg, models)
    elif kind == "tuned":
        result = part_tuned(arg)
    elif kind == "imbalance":
        result = part_imbalance(arg)
    else:
        result = part_temporal()
    return key, result, time.perf_counter() - start


def all_parts() -> list[str]:
    """Every part, the longest first so the two workers finish together."""
    return [
        "cv:polish-3year",
        "cv:polish-1year",
        "cv:polish-5year",
        "cv:taiwan",
        *(f"tuned:{d}" for d in DATASETS),
        *(f"imbalance:{s}" for s in ("weights", "none", "undersample", "smote")),
        "temporal:demo",
    ]


# --------------------------------------------------------------------------- tables


def _summary(result: dict[str, Any]) -> dict[str, dict[str, dict[str, float | None]]]:
    return result["summary"]


def _fmt(cell: dict[str, float | None] | None, digits: int = 3) -> str:
    if not cell or cell.get("mean") is None:
        return "n/a"
    sd = cell.get("sd")
    return f"{cell['mean']:.{digits}f}" + ("" if sd is None else f" ± {sd:.{digits}f}")


def _short(reason: str) -> str:
    """The first clause of a skip reason, and its explanation of the data if it has one."""
    head = reason.split(": ", 1)[0]
    tail = reason.split(". X looks like ", 1)
    return head + (f". Looks like {tail[1]}" if len(tail) == 2 else ".")


def _model_table(summary: dict[str, dict[str, Any]], metrics: list[str]) -> str:
    """Model x metric, "mean ± sd", from a JSON summary (the CLI's table layout)."""
    from finwarn.report import comparison_frame, markdown_table

    tidy = pd.DataFrame(
        [
            {
                "model": model,
                "metric": metric,
                "mean": np.nan if cell["mean"] is None else cell["mean"],
                "sd": np.nan if cell["sd"] is None else cell["sd"],
            }
            for model, figures in summary.items()
            for metric, cell in figures.items()
        ]
    )
    return markdown_table(comparison_frame(tidy, metrics))


# every reported metric but specificity and accuracy (the base rate makes them uninformative)
CV_METRICS = [
    *(m for m in METRICS if m not in ("specificity", "accuracy")),
    "fit_seconds",
]


def _best(summary: dict[str, dict[str, Any]]) -> tuple[str, float]:
    scored = {m: f["roc_auc"]["mean"] for m, f in summary.items() if f["roc_auc"]["mean"]}
    model = max(scored, key=lambda m: scored[m])
    return model, scored[model]


def _checks(results: dict[str, dict[str, Any]]) -> list[str]:
    from finwarn.report import markdown_table

    rows = []
    for data in DATASETS:
        summary = _summary(results[f"cv:{data}"])
        best, auc = _best(summary)
        bp = summary["bp"]["roc_auc"]
        ens_pr = summary["ensemble"]["pr_auc"]["mean"]
        lgb_pr = summary["lightgbm"]["pr_auc"]["mean"]
        rows.append(
            {
                "data set": data,
                "best model": best,
                "its ROC-AUC": f"{auc:.4f}",
                "target": f"{TARGETS[data]:.3f}",
                "met": "yes" if auc >= TARGETS[data] else "no",
                "BP ROC-AUC": _fmt(bp, 4),
                "BP within 0.02, sd <= 0.02": "yes"
                if auc - bp["mean"] <= 0.02 and bp["sd"] <= 0.02
                else "no",
                "ensemble PR-AUC": f"{ens_pr:.4f}",
                "LightGBM PR-AUC": f"{lgb_pr:.4f}",
                "ensemble >= LightGBM": "yes" if ens_pr >= lgb_pr else "no",
            }
        )
    return [markdown_table(pd.DataFrame(rows))]


def _horizons(results: dict[str, dict[str, Any]]) -> tuple[list[str], dict[str, Any]]:
    from finwarn.report import markdown_table

    polish = [d for d, (_, years) in DATASETS.items() if years is not None]
    models = list(_summary(results[f"cv:{polish[0]}"]))
    rows, series = [], {}
    for model in models:
        row: dict[str, str] = {"model": model}
        means, sds = [], []
        for data in polish:
            figures = _summary(results[f"cv:{data}"]).get(model)
            years = DATASETS[data][1]
            roc = figures["roc_auc"] if figures else None
            pr = figures["pr_auc"] if figures else None
            row[f"{years} yr ROC-AUC"] = _fmt(roc)
            row[f"{years} yr PR-AUC"] = _fmt(pr)
            means.append(roc["mean"] if roc else np.nan)
            sds.append(roc["sd"] if roc else np.nan)
        rows.append(row)
        series[model] = (means, sds)
    years = [DATASETS[d][1] for d in polish]
    order = np.argsort(years)[::-1]  # from the longest horizon to the shortest
    rising = [m for m, (means, _) in series.items() if means[order[-1]] > means[order[0]]]
    monotone = [
        m for m, (means, _) in series.items() if np.all(np.diff(np.asarray(means)[order]) > 0)
    ]
    note = (
        f"From {years[order[0]]} years to {years[order[-1]]} year(s) before the outcome, "
        f"ROC-AUC rose for {len(rising)} of {len(series)} models; it rose at every step "
        f"for {len(monotone)} ({', '.join(monotone) or 'none'}). The three files hold "
        "different firms with different base rates, so the horizons are not a panel "
        "of the same firms followed through time."
    )
    return [markdown_table(pd.DataFrame(rows)), "", note], {"years": years, "series": series}


def _calibration_section(results: dict[str, dict[str, Any]]) -> list[str]:
    """The ensemble's confusion counts and decile calibration on every data set."""
    from finwarn.report import markdown_table

    confusion_rows, calibration = [], {}
    for data in DATASETS:
        result = results[f"cv:{data}"].get("results", {}).get("ensemble")
        if not result:
            continue
        c = result["confusion"]
        confusion_rows.append(
            {
                "data set": data,
                "distressed warned": f"{c['distressed']['warned']:,.1f}",
                "distressed not warned": f"{c['distressed']['not warned']:,.1f}",
                "healthy warned": f"{c['healthy']['warned']:,.1f}",
                "healthy not warned": f"{c['healthy']['not warned']:,.1f}",
            }
        )
        calibration[data] = result["calibration"]
    if not confusion_rows:
        return []
    deciles = pd.DataFrame(
        {
            "decile": [row["bin"] for row in next(iter(calibration.values()))],
            **{
                f"{data} predicted / observed": [
                    f"{row['predicted']:.3f} / {row['observed']:.3f}" for row in rows
                ]
                for data, rows in calibration.items()
            },
        }
    )
    return [
        "## The ensemble's decisions and calibration",
        "",
        "Confusion counts at the alert level, summed over the test folds of a repeat and "
        "averaged over the two repeats:",
        "",
        markdown_table(pd.DataFrame(confusion_rows)),
        "",
        "Mean calibrated probability against the observed distress rate, by decile of "
        "the out-of-fold predictions (both repeats pooled):",
        "",
        markdown_table(deciles),
        "",
    ]


def render(results: dict[str, dict[str, Any]], seconds: dict[str, float]) -> str:
    from finwarn.report import METRIC_LABELS, horizon_chart, markdown_table

    versions = _versions()
    lines = [
        "# Accuracy of finwarn's models on the real data sets",
        "",
        "Generated by `benchmarks/accuracy.py` on "
        f"{datetime.now(UTC).strftime('%Y-%m-%d')}; do not edit by hand.",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; "
        + ", ".join(f"{k} {v}" for k, v in versions.items())
        + ". Two parts ran at a time, each fit on one thread; fit times are wall-clock "
        "seconds of one fit of the whole calibrated model (its inner calibration fits "
        "included) and vary with what else the machine was doing.",
        "",
        "## Protocol",
        "",
        "- 5-fold stratified cross-validation repeated twice (`RepeatedStratifiedKFold`, "
        "seed 0); every model sees exactly the same splits. Figures are mean ± sd over "
        "the 10 test folds.",
        "- Each model is what `finwarn train --model NAME` builds: its cleaning "
        "(paper 001's rule drops features over 30% missing; imputation, missing-value "
        "flags, scaling where the model needs them), class weighting, the model, then "
        "Platt calibration on 5 inner out-of-fold predictions and the warning-level "
        "cut-offs from the training base rate. All of it is fitted on the training "
        "fold only.",
        "- Decision metrics (recall, precision, F1, F2, type I = distressed firms not "
        "warned, type II = healthy firms warned) are at the alert level `moderate` or "
        "above, whose cut-off comes from the training fold. `recall/precision top k%` "
        "flag the k% of test firms with the highest probability (an alert budget).",
        "- Rows with more than half their ratios missing are left out of training and "
        "test (1 row of Polish 5year); nothing else is dropped.",
        "- The shipped defaults (LightGBM's especially) were chosen on these same data "
        "sets; the nested search in the second table is the figure that is free of "
        "that choice.",
        "",
        "## Data sets",
        "",
    ]
    data_rows = []
    for data in DATASETS:
        protocol = results[f"cv:{data}"]["protocol"]
        data_rows.append(
            {
                "data set": data,
                "years to outcome": DATASETS[data][1] or "n/a",
                "rows": f"{protocol['rows']:,}",
                "distressed": f"{protocol['distressed']:,}",
                "base rate": f"{protocol['base_rate']:.2%}",
                "features": protocol["features"],
                "left out (sparse)": protocol["rows_left_out"]["too_sparse"],
                "minutes": f"{seconds.get(f'cv:{data}', float('nan')) / 60:.0f}",
            }
        )
    lines += [markdown_table(pd.DataFrame(data_rows)), ""]
    lines += ["## The issue's targets", "", *_checks(results), ""]
    lines += [
        "`accuracy_levers.md` (`benchmarks/accuracy_levers.py`) tries further LightGBM "
        "settings, ensemble weights and members on these same splits.",
        "",
    ]
    for data in DATASETS:
        result = results[f"cv:{data}"]
        lines += [f"## {data}", "", _model_table(_summary(result), CV_METRICS), ""]
        for model, reason in result.get("skipped", {}).items():
            lines.append(f"- `{model}` could not run: {_short(reason)}")
        lines.append("")
    tuned_rows = []
    for data in DATASETS:
        key = f"tuned:{data}"
        if key not in results:
            continue
        s = results[key]["summary"]
        default = _summary(results[f"cv:{data}"])["lightgbm"]
        tuned_rows.append(
            {
                "data set": data,
                "shipped defaults ROC-AUC (CV x 2)": _fmt(default["roc_auc"]),
                "nested search ROC-AUC (CV x 1)": _fmt(s["roc_auc"]),
                "nested search PR-AUC": _fmt(s["pr_auc"]),
                "nested search KS": _fmt(s["ks"]),
                "fit s (search included)": _fmt(s["fit_seconds"], 0),
            }
        )
    if tuned_rows:
        lines += [
            "## LightGBM with a search nested in every training fold",
            "",
            f"Optuna's TPE sampler, {TUNE_SECONDS:g} s per training fold, each candidate "
            "scored by ROC-AUC on 3 inner folds of the training fold, starting from the "
            "shipped defaults; the best candidate is refitted on the whole training fold "
            "and scored on the test fold. 5-fold CV x 1 (seed 0), uncalibrated, so only "
            "the ranking metrics are shown (calibration does not change them).",
            "",
            markdown_table(pd.DataFrame(tuned_rows)),
            "",
        ]
    lines += _calibration_section(results)
    horizon_lines, chart = _horizons(results)
    chart_path = horizon_chart(
        chart["years"], chart["series"], DOCS / "accuracy_horizons.png", ylabel="ROC-AUC"
    )
    lines += [
        "## Horizon: quality as distress approaches",
        "",
        "The Polish files hold statements from 5 (1year), 3 (3year) and 1 (5year) years "
        "before the bankruptcy status. Paper 000 claims quality rises as distress "
        "approaches.",
        "",
        *horizon_lines,
        "",
        f"![ROC-AUC by years to the outcome]({chart_path.name})",
        "",
    ]
    imbalance_rows = []
    for strategy in ("weights", "none", "undersample", "smote"):
        key = f"imbalance:{strategy}"
        if key not in results:
            continue
        for model, figures in _summary(results[key]).items():
            imbalance_rows.append(
                {
                    "strategy": strategy,
                    "model": model,
                    **{
                        METRIC_LABELS[m]: _fmt(figures.get(m), 1 if m == "fit_seconds" else 3)
                        for m in ("roc_auc", "pr_auc", "recall", "precision", "fit_seconds")
                    },
                }
            )
    if imbalance_rows:
        lines += [
            f"## Imbalance strategies ({IMBALANCE_DATA}, 5-fold CV x 1)",
            "",
            "`weights`: class weights (the default); `none`: unweighted; `undersample`: "
            "healthy training rows dropped at random to the distressed count (paper 001); "
            "`smote`: synthetic distressed rows (imbalanced-learn). Resampling happens "
            "inside the training fold only; calibration then maps the scores back to "
            "the training base rate.",
            "",
            markdown_table(pd.DataFrame(imbalance_rows)),
            "",
        ]
    if "temporal:demo" in results:
        result = results["temporal:demo"]
        protocol = result["protocol"]
        lines += [
            "## Temporal protocol (simulated demo panel)",
            "",
            "Neither real data set has periods, so the temporal protocol runs on the "
            f"simulated demo panel ({protocol['rows']:,} firm-years, "
            f"{protocol['distressed']:,} distressed): train on every year up to t, test "
            "on year t+1, for each t from the second year on; mean ± sd over the test "
            "years. Simulated data: a check of the protocol, not evidence about real "
            "firms.",
            "",
            _model_table(_summary(result), ["roc_auc", "pr_auc", "ks", "recall", "precision"]),
            "",
        ]
        for model, reason in result.get("skipped", {}).items():
            lines.append(f"- `{model}` could not run: {_short(reason)}")
        lines.append("")
    total = sum(seconds.values())
    lines += [f"Total compute: {total / 60:.0f} minutes of part time.", ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="Parts to run, e.g. cv:polish-5year.")
    parser.add_argument("--models", default="all", help="Models of the cv parts.")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--fresh", action="store_true", help="Ignore cached parts.")
    parser.add_argument("--render-only", action="store_true")
    args = parser.parse_args(argv)
    from finwarn.data import find_shared_data

    if find_shared_data() is None:
        print("the shared data sets were not found: put them in ../shared/data", file=sys.stderr)
        return 2
    CACHE.mkdir(parents=True, exist_ok=True)
    parts = args.only or all_parts()
    todo = (
        []
        if args.render_only
        else [
            p for p in parts if args.fresh or not (CACHE / f"{p.replace(':', '_')}.json").exists()
        ]
    )
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        futures = {pool.submit(_run, key, args.models): key for key in todo}
        failed = []
        for future in as_completed(futures):
            try:
                key, result, seconds = future.result()
            except Exception:  # one failing part must not lose the others' results
                logging.exception("part %s failed", futures[future])
                failed.append(futures[future])
                continue
            payload = {"result": result, "seconds": seconds}
            (CACHE / f"{key.replace(':', '_')}.json").write_text(
                json.dumps(payload, default=str), encoding="utf-8"
            )
            print(f"{key}: done in {seconds / 60:.1f} min", flush=True)
    if failed:
        print(f"failed parts (not cached): {failed}", file=sys.stderr)
    results, seconds = {}, {}
    for key in all_parts():
        path = CACHE / f"{key.replace(':', '_')}.json"
        if path.exists():
            payload = json.loads(path.read_text(encoding="utf-8"))
            results[key], seconds[key] = payload["result"], payload["seconds"]
    missing = [f"cv:{d}" for d in DATASETS if f"cv:{d}" not in results]
    if missing:
        print(f"not rendered: parts missing from the cache: {missing}", file=sys.stderr)
        return 1
    DOCS.mkdir(parents=True, exist_ok=True)
    (DOCS / "accuracy.md").write_text(render(results, seconds), encoding="utf-8")
    (DOCS / "accuracy.json").write_text(
        json.dumps(
            {k: {"summary": v["summary"], "protocol": v["protocol"]} for k, v in results.items()},
            indent=1,
            default=str,
        ),
        encoding="utf-8",
    )
    print(f"wrote {DOCS / 'accuracy.md'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
