"""The demo job: simulated panel in, validated, trained, evaluated on held-out firms, scored."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from finwarn._io import write_csv, write_json
from finwarn.data import load_data, load_phrasebank
from finwarn.datasets import add_report_text, corrupt_panel, make_demo_panel
from finwarn.warning import Warnings
from finwarn.workflow._features import build_features
from finwarn.workflow._jobs import decision_metrics, score, train
from finwarn.workflow._report import report
from finwarn.workflow._store import save_model

__all__ = ["DemoResult", "run_demo"]

logger = logging.getLogger(__name__)

HELD_OUT_SHARE = 0.25


@dataclass(frozen=True)
class DemoResult:
    """What the demo wrote and measured."""

    out: Path
    warnings: Warnings
    metrics: dict[str, Any]
    quarantined: int
    files: dict[str, Path]


def run_demo(
    out: str | Path,
    *,
    n_firms: int = 1000,
    n_years: int = 8,
    model: str | None = None,
    random_state: int = 0,
    report_pdf: bool | None = True,
    text: bool = False,
    step=None,
) -> DemoResult:
    """Run finwarn end to end on SIMULATED data and write the outputs to ``out``.

    1. simulate a panel of raw financial statements (:func:`finwarn.datasets.make_demo_panel`)
       and mix a few deliberately bad rows into it (:func:`finwarn.datasets.corrupt_panel`);
    2. write it as ``demo_panel.csv`` and load it back through validation, so the bad rows
       land in ``quarantine.csv``;
    3. compute the indicators, hold out a quarter of the firms, train a calibrated model on
       the others and measure it on the held-out firms (``metrics.json``);
    4. save the model (``model.joblib`` + ``model.json``), score the firms still reporting
       in the latest year (``warnings.csv``) with the reasons behind each warning
       (``reasons.csv``), and write the early-warning report (``report/index.html`` and
       ``report/report.pdf``, see :func:`finwarn.workflow.report`).

    Parameters
    ----------
    model : str, optional
        The model to train (default: ``bp``, or ``fused`` with ``text=True``).
    report_pdf : bool or None, default True
        Write the report with its PDF (True), without the PDF (False), or no report and
        no reasons at all (None).
    text : bool, default False
        Give every firm-year a **semi-synthetic** annual-report text
        (:func:`finwarn.datasets.add_report_text`: real Financial PhraseBank sentences
        whose tone follows the firm's simulated health), so the text models can be
        tried. Needs the PhraseBank in the shared data folder.
    step : callable, optional
        Called with a short text before each step (for progress display).
    """
    out = Path(out)
    say = step or (lambda text: None)
    say("simulating financial statements")
    panel = make_demo_panel(
        n_firms=n_firms, n_years=n_years, random_state=random_state, return_latent=text
    )
    if text:
        say("writing semi-synthetic report texts from Financial PhraseBank sentences")
        panel = add_report_text(panel, load_phrasebank("AllAgree"), random_state=random_state)
    corrupted, corruptions = corrupt_panel(panel, random_state=random_state)
    panel_path = write_csv(corrupted, out / "demo_panel.csv")

    say("validating the data")
    loaded = load_data(panel_path)
    quarantine_path = write_csv(loaded.quarantine, out / "quarantine.csv")
    prepared = build_features(loaded)

    say("splitting firms into training and held-out sets")
    rng = np.random.default_rng(random_state)
    firms = np.sort(loaded.data["entity"].unique())
    held_out = set(rng.choice(firms, size=round(HELD_OUT_SHARE * len(firms)), replace=False))
    is_test = loaded.data["entity"].isin(held_out).to_numpy()

    model = model or ("fused" if text else "bp")
    say(f"training the {model} model with calibration")
    trained = train(
        loaded, model=model, random_state=random_state, prepared=prepared, rows=~is_test
    )

    say("measuring on held-out firms")
    labelled = ~np.isnan(prepared.y)  # type: ignore[arg-type]
    test = is_test & labelled
    proba = trained.classifier.predict_proba(prepared.for_model(trained.spec).model_input(test))[
        :, 1
    ]
    y_test = prepared.y[test].astype(int)  # type: ignore[index]
    held_out_metrics = decision_metrics(trained.classifier, y_test, proba)

    model_path, meta_path = save_model(trained, out / "model.joblib")
    files: dict[str, Path] = {}
    if report_pdf is None:
        say("scoring the firms of the latest year")
        warnings = score(trained, loaded, prepared=prepared, scope="latest_period")
        warnings_path = write_csv(warnings.table(), out / "warnings.csv")
    else:
        built = report(
            trained,
            loaded,
            out / "report",
            pdf=report_pdf,
            scope="latest_period",
            title="Early-warning report: simulated demo portfolio",
            data_description=(
                f"SIMULATED demo panel (finwarn.datasets.make_demo_panel): {n_firms:,} "
                f"firms x {n_years} years, {len(loaded.data):,} accepted firm-years, "
                f"{len(loaded.quarantine)} deliberately bad rows quarantined; not real firms"
            ),
            simulated=True,
            random_state=random_state,
            step=say,
        )
        warnings = built.warnings
        warnings_path = write_csv(warnings.table(), out / "warnings.csv")
        files["reasons"] = write_csv(built.explanation.reasons.table(), out / "reasons.csv")
        files["report"] = built.files.index
        if built.files.pdf is not None:
            files["report_pdf"] = built.files.pdf

    metrics = {
        "data": "SIMULATED demo panel (finwarn.datasets.make_demo_panel); not real firms"
        + (
            "; with SEMI-SYNTHETIC report texts (real Financial PhraseBank sentences, "
            "simulated assignment by the firm's health)"
            if text
            else ""
        ),
        "simulation": {
            "firms": n_firms,
            "years": n_years,
            "random_state": random_state,
            "bad_rows_mixed_in": len(corruptions),
        },
        "model": trained.metadata["model"],
        "protocol": (
            f"hold-out by firm: {len(held_out)} of {len(firms)} firms "
            f"({HELD_OUT_SHARE:.0%}) never seen in training; every labelled firm-year of "
            "those firms is scored; warned = level "
            f"{trained.metadata['warning']['alert_level']} or above"
        ),
        "held_out": {"rows": int(test.sum()), "distressed": int(y_test.sum()), **held_out_metrics},
        "training_out_of_fold": trained.metadata["metrics"],
        "warning_cutoffs": trained.metadata["warning"],
        "rows": {
            "read": loaded.n_read,
            "accepted": len(loaded.data),
            "quarantined": len(loaded.quarantine),
            "left_out_of_training": len(trained.excluded),
        },
        "scored": {
            "firms": len(warnings.frame),
            "by_level": dict(
                zip(
                    warnings.counts()["level"],
                    warnings.counts()["firms"].astype(int).tolist(),
                    strict=True,
                )
            ),
        },
    }
    metrics_path = write_json(metrics, out / "metrics.json")
    files = {
        **files,
        "panel": panel_path,
        "quarantine": quarantine_path,
        "warnings": warnings_path,
        "metrics": metrics_path,
        "model": model_path,
        "model_metadata": meta_path,
    }
    return DemoResult(out, warnings, metrics, len(loaded.quarantine), files)
