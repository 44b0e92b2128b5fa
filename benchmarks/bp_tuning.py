"""Tune the BP network and its cleaning against the baselines (capability C5).

Protocol: 5-fold stratified cross-validation repeated twice (``RepeatedStratifiedKFold``,
``random_state=0``); every cleaning step and model is fitted inside the training fold;
ROC-AUC of ``predict_proba`` on the test fold. The table gives mean ± sd over the 10 folds
and the mean wall-clock time of one fit.

Usage (from the project root)::

    .venv/bin/python benchmarks/bp_tuning.py                      # every configuration
    .venv/bin/python benchmarks/bp_tuning.py --only bp lightgbm   # configurations by name
    .venv/bin/python benchmarks/bp_tuning.py --data polish5 --out docs/bp_tuning.md

The data sets are read from ``../shared/data`` (``--data-dir`` to change it).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import arff
import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from finwarn.cleaning import make_cleaner
from finwarn.models import DEFAULTS, make_model

DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SEED = 0


def load_polish(path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    """Polish ARFF file: ``?`` is missing, label ``class`` is '0'/'1'."""
    with path.open() as handle:
        raw = arff.load(handle)
    names = [name for name, _ in raw["attributes"]]
    frame = pd.DataFrame(raw["data"], columns=names)
    y = frame.pop("class").astype(int).to_numpy()
    return frame.astype(float), y


def load_taiwan(path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    frame = pd.read_parquet(path)
    y = frame.pop("bankrupt").astype(int).to_numpy()
    return frame.astype(float), y


def datasets(data_dir: Path) -> dict[str, Callable[[], tuple[pd.DataFrame, np.ndarray]]]:
    return {
        "polish5": lambda: load_polish(data_dir / "polish" / "5year.arff"),
        "polish1": lambda: load_polish(data_dir / "polish" / "1year.arff"),
        "taiwan": lambda: load_taiwan(data_dir / "taiwan" / "taiwan_vif22.parquet"),
    }


def bp(cleaner: dict | None = None, pipe_params: dict | None = None, **params) -> Pipeline:
    """The default "bp" pipeline with some cleaner arguments or network parameters changed."""
    pipe = make_model("bp", random_state=SEED)
    if cleaner is not None:
        pipe.set_params(
            clean=make_cleaner(random_state=SEED, **{**DEFAULTS["bp"]["cleaner"], **cleaner})
        )
    pipe.set_params(**{f"model__{k}": v for k, v in params.items()}, **(pipe_params or {}))
    return pipe


def sklearn_mlp() -> Pipeline:
    """The off-the-shelf reference: sklearn's MLPClassifier behind the paper-001 cleaner."""
    return Pipeline(
        [
            ("clean", make_cleaner(scaler="minmax", random_state=SEED)),
            ("model", MLPClassifier(random_state=SEED, max_iter=300)),
        ]
    )


def sklearn_mlp_standard() -> Pipeline:
    """sklearn's MLPClassifier after median imputation and standard scaling only."""
    return Pipeline(
        [
            ("clean", make_cleaner(winsorize=None, scaler="standard", random_state=SEED)),
            ("model", MLPClassifier(random_state=SEED, max_iter=300)),
        ]
    )


def plain_logit() -> Pipeline:
    return Pipeline(
        [
            ("clean", make_cleaner(scaler=None, random_state=SEED)),
            ("scale", StandardScaler()),
            ("model", LogisticRegression(max_iter=2000)),
        ]
    )


# name -> factory. Every "bp ..." entry changes one thing of the default "bp" pipeline
# (DEFAULTS["bp"] in finwarn/models/_registry.py).
CONFIGS: dict[str, Callable[[], object]] = {
    # references and baselines
    "sklearn_mlp (paper-001 cleaning)": sklearn_mlp,
    "sklearn_mlp (median + standard)": sklearn_mlp_standard,
    "logit (plain)": plain_logit,
    "logit": lambda: make_model("logit", random_state=SEED),
    "logit C=1": lambda: make_model("logit", random_state=SEED, C=1.0),
    "logit C=0.01": lambda: make_model("logit", random_state=SEED, C=0.01),
    "logit winsorize 1%": lambda: make_model(
        "logit", random_state=SEED, clean__winsorize=(0.01, 0.99)
    ),
    "logit standard": lambda: make_model("logit", random_state=SEED, clean__scaler="standard"),
    "lightgbm": lambda: make_model("lightgbm", random_state=SEED),
    "lightgbm 500 trees": lambda: make_model("lightgbm", random_state=SEED, n_estimators=500),
    "lightgbm no class weight": lambda: make_model(
        "lightgbm", random_state=SEED, class_weight=None
    ),
    "lightgbm winsorize 1%": lambda: make_model(
        "lightgbm", random_state=SEED, clean__winsorize=(0.01, 0.99)
    ),
    "lightgbm keep sparse columns": lambda: make_model(
        "lightgbm", random_state=SEED, clean__max_feature_missing=1.0
    ),
    # the chosen default
    "bp": lambda: make_model("bp", random_state=SEED),
    # cleaning
    "bp paper 001 (winsorize 1% + minmax)": lambda: bp(
        cleaner={"scaler": "minmax", "winsorize": (0.01, 0.99)}
    ),
    "bp minmax": lambda: bp(cleaner={"scaler": "minmax"}),
    "bp standard": lambda: bp(cleaner={"scaler": "standard"}),
    "bp quantile uniform": lambda: bp(pipe_params={"clean__scale__output_distribution": "uniform"}),
    "bp winsorize 1%": lambda: bp(cleaner={"winsorize": (0.01, 0.99)}),
    "bp no missing flags": lambda: bp(cleaner={"missing_indicator": False}),
    "bp mean_noise fill": lambda: bp(cleaner={"imputer": "mean_noise"}),
    # architecture and regularisation
    "bp relu": lambda: bp(activation="relu"),
    "bp sigmoid": lambda: bp(activation="sigmoid"),
    "bp (64, 32)": lambda: bp(hidden_layer_sizes=(64, 32)),
    "bp (256,)": lambda: bp(hidden_layer_sizes=(256,)),
    "bp (128, 64)": lambda: bp(hidden_layer_sizes=(128, 64)),
    "bp batch_norm": lambda: bp(batch_norm=True),
    "bp dropout 0": lambda: bp(dropout=0.0),
    "bp dropout 0.3": lambda: bp(dropout=0.3),
    "bp weight_decay 0": lambda: bp(weight_decay=0.0),
    "bp weight_decay 1e-2": lambda: bp(weight_decay=1e-2),
    # training: optimiser x learning-rate schedule, loss weights, length
    "bp adam constant": lambda: bp(lr_schedule="constant"),
    "bp adam bold_driver": lambda: bp(lr_schedule="bold_driver"),
    "bp sgd constant": lambda: bp(optimizer="sgd", learning_rate=0.01, lr_schedule="constant"),
    "bp sgd plateau": lambda: bp(optimizer="sgd", learning_rate=0.01, lr_schedule="plateau"),
    "bp sgd bold_driver": lambda: bp(
        optimizer="sgd", learning_rate=0.01, lr_schedule="bold_driver"
    ),
    "bp no class weight": lambda: bp(class_weight=None),
    "bp 30 epochs": lambda: bp(max_epochs=30),
    "bp 100 epochs": lambda: bp(max_epochs=100),
    # early stopping on an inner validation split, and averaging networks
    "bp early stopping (patience 20, <= 200 epochs)": lambda: bp(
        early_stopping=True, max_epochs=200
    ),
    "bp early stopping, 3 networks": lambda: bp(early_stopping=True, max_epochs=200, n_networks=3),
    "bp 3 networks": lambda: bp(n_networks=3),
}


def evaluate(factory: Callable[[], object], X: pd.DataFrame, y: np.ndarray) -> dict:
    cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=2, random_state=SEED)
    scores, seconds = [], []
    for train, test in cv.split(X, y):
        model = clone(factory())
        start = time.perf_counter()
        model.fit(X.iloc[train], y[train])
        seconds.append(time.perf_counter() - start)
        scores.append(roc_auc_score(y[test], model.predict_proba(X.iloc[test])[:, 1]))
    return {
        "mean": float(np.mean(scores)),
        "sd": float(np.std(scores, ddof=1)),
        "min": float(np.min(scores)),
        "fit_s": float(np.mean(seconds)),
    }


def _header(data: list[str]) -> str:
    """What the table is, how it was measured, and on what machine."""
    import datetime
    import os
    import platform

    return (
        "# BP network tuning against the baselines\n\n"
        "Generated by `benchmarks/bp_tuning.py` on "
        f"{datetime.date.today().isoformat()}, {platform.machine()} with {os.cpu_count()} "
        f"cores, Python {platform.python_version()}; data: {', '.join(data)} "
        "(`../shared/data`).\n\n"
        "Protocol: 5-fold stratified cross-validation repeated twice (random_state=0); every "
        "cleaning step and model fitted inside the training fold; cells are ROC-AUC of "
        "`predict_proba` on the test fold, mean ± sd over the 10 folds, and the mean time of "
        "one fit on one thread. These are the uncalibrated estimators; `finwarn evaluate` "
        "measures the calibrated warning models.\n\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="*", default=["polish5", "polish1", "taiwan"])
    parser.add_argument("--only", nargs="*", help="configuration names to run (default: all)")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--out", type=Path, help="also write the table as Markdown here")
    args = parser.parse_args()

    loaders = datasets(args.data_dir)
    names = args.only or list(CONFIGS)
    unknown = sorted(set(names) - set(CONFIGS))
    if unknown:
        parser.error(f"unknown configurations {unknown}; choose from {list(CONFIGS)}")
    # every model runs on one thread (BPNetClassifier and LightGBM do so by default), so
    # that fit times compare like with like; BLAS threads only contend on a busy 2-core box
    with threadpool_limits(limits=1):
        rows = run(loaders, args.data, names)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(_header(args.data) + markdown_table(pd.DataFrame(rows)))
        print(f"wrote {args.out}")


def run(loaders, data_names: list[str], names: list[str]) -> list[dict]:
    rows = []
    for data_name in data_names:
        X, y = loaders[data_name]()
        print(f"# {data_name}: {X.shape[0]} rows x {X.shape[1]} columns, {y.mean():.1%} positive")
        for name in names:
            result = evaluate(CONFIGS[name], X, y)
            rows.append({"data": data_name, "configuration": name, **result})
            print(
                f"{data_name:8s} {name:36s} AUC {result['mean']:.4f} ± {result['sd']:.4f} "
                f"(min {result['min']:.4f})  fit {result['fit_s']:.2f} s",
                flush=True,
            )
    return rows


def markdown_table(table: pd.DataFrame) -> str:
    """One row per configuration, one "AUC mean ± sd (fit s)" column per data set."""
    data_names = list(dict.fromkeys(table["data"]))
    lines = [
        "| configuration | " + " | ".join(data_names) + " |",
        "|---|" + "---|" * len(data_names),
    ]
    for name, group in table.groupby("configuration", sort=False):
        cells = []
        for data_name in data_names:
            row = group[group["data"] == data_name]
            if row.empty:
                cells.append("")
            else:
                r = row.iloc[0]
                cells.append(f"{r['mean']:.3f} ± {r['sd']:.3f} ({r['fit_s']:.1f} s)")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
