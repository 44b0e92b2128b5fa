"""The ``finwarn`` command line: demo, validate, train, score, report, evaluate, rank, grade
and serve."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

import finwarn
from finwarn._io import write_csv, write_json, write_text
from finwarn.cli._serve import serve
from finwarn.exceptions import FinwarnError

app = typer.Typer(
    name="finwarn",
    help="finwarn: financial-risk early warnings from company financial data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True, soft_wrap=True)
out_console = Console(soft_wrap=True)

DataOpt = Annotated[
    Path, typer.Option("--data", help="Data file: CSV, Parquet, Excel, ARFF or (gzip) JSON.")
]
MappingOpt = Annotated[
    Path | None,
    typer.Option("--mapping", help="YAML file mapping your column names onto finwarn's."),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="YAML warning settings (levels, cut-offs, calibration)."),
]
ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="bp (default), altman_z, altman_z2, ohlson_o, logit, svm, random_forest, "
        "lightgbm, cnn or ensemble; with a text column also fused, fused_cnn or lstm, "
        "which read the report text.",
    ),
]
SeedOpt = Annotated[
    int, typer.Option("--seed", help="Random seed; the same seed gives the same result.")
]


def _version(value: bool) -> None:
    if value:
        out_console.print(f"finwarn {finwarn.__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="More detail (-v info, -vv debug).")
    ] = 0,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(
        level=level,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False, show_time=False)],
        force=True,
    )


@contextmanager
def _steps(title: str) -> Iterator:
    """A spinner with the current step, for jobs without a known length."""
    with console.status(title) as status:
        yield lambda text: status.update(f"{title}: {text}")


def _load(data: Path, mapping: Path | None):
    from finwarn.data import load_data
    from finwarn.workflow import known_columns

    loaded = load_data(data, mapping, known_columns=known_columns())
    console.print(loaded.summary())
    for note in loaded.notes:
        console.print(f"  [dim]note: {note}[/dim]")
    return loaded


def _config(path: Path | None):
    from finwarn.warning import load_warning_config

    return load_warning_config(path)


def _print_warnings(warnings, top: int = 10) -> None:
    counts = Table(title="Warnings by level")
    for col in ("level", "firms", "share"):
        counts.add_column(col, justify="right" if col != "level" else "left")
    for row in warnings.counts().itertuples():
        counts.add_row(row.level, f"{row.firms:,}", f"{row.share:.1%}")
    out_console.print(counts)
    riskiest = Table(title=f"Top {top} riskiest")
    frame = warnings.table().head(top)
    for col in ("rank", "entity", "period", "probability", "level"):
        riskiest.add_column(col)
    for row in frame.itertuples():
        period = "" if str(row.period) in ("<NA>", "nan") else str(row.period)
        riskiest.add_row(
            str(row.rank), str(row.entity), period, f"{row.probability:.3f}", row.level
        )
    out_console.print(riskiest)


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the outputs.")] = Path(
        "finwarn-output"
    ),
    firms: Annotated[int, typer.Option("--firms", min=50, help="Simulated firms.")] = 1000,
    years: Annotated[int, typer.Option("--years", min=3, help="Simulated years.")] = 8,
    model: ModelOpt = None,
    with_report: Annotated[
        bool, typer.Option("--report/--no-report", help="Write the early-warning report.")
    ] = True,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write report.pdf.")] = True,
    text: Annotated[
        bool,
        typer.Option(
            "--text",
            help="Add semi-synthetic annual-report texts (real Financial PhraseBank "
            "sentences, from ../shared/data) and train the fused text + data model.",
        ),
    ] = False,
    seed: SeedOpt = 0,
) -> None:
    """Run finwarn end to end on SIMULATED data: validate, train, evaluate, score, report.

    Writes demo_panel.csv (the simulated input, with a few deliberately bad rows),
    quarantine.csv, warnings.csv, reasons.csv, metrics.json, model.joblib, model.json and
    the early-warning report (report/index.html, report/report.pdf) to --out.
    """
    from finwarn.workflow import run_demo

    with _steps("demo") as step:
        result = run_demo(
            out,
            n_firms=firms,
            n_years=years,
            model=model,
            random_state=seed,
            report_pdf=pdf if with_report else None,
            text=text,
            step=step,
        )
    held = result.metrics["held_out"]
    console.print(
        f"[bold]SIMULATED data[/bold]: {firms} firms x {years} years; "
        f"{result.quarantined} bad rows quarantined (see quarantine.csv)."
    )
    out_console.print(
        f"Held-out firms ({held['rows']:,} firm-years, {held['distressed']} distressed): "
        f"ROC-AUC {held['roc_auc']:.3f}, PR-AUC {held['pr_auc']:.3f}, "
        f"recall {held['recall']:.2f}, precision {held['precision']:.2f} at level "
        f"'{result.metrics['warning_cutoffs']['alert_level']}' or above."
    )
    _print_warnings(result.warnings)
    names = [str(p.relative_to(out)) for p in result.files.values()]
    out_console.print(f"Outputs in {out}/: " + ", ".join(names))
    if "report" in result.files:
        out_console.print(f"Open the report: {result.files['report']}")


@app.command()
def validate(
    data: DataOpt,
    out: Annotated[Path, typer.Option("--out", help="Folder for the outputs.")],
    mapping: MappingOpt = None,
) -> None:
    """Check a data file: write the accepted rows, the quarantine and a summary.

    Writes clean.csv (canonical columns), quarantine.csv (one row per rejected row with
    its reason and fix) and validation.json to --out.
    """
    loaded = _load(data, mapping)
    write_csv(loaded.data, out / "clean.csv")
    write_csv(loaded.quarantine, out / "quarantine.csv")
    write_json(
        {
            "source": loaded.source,
            "rows_read": loaded.n_read,
            "accepted": len(loaded.data),
            "quarantined": len(loaded.quarantine),
            "features": loaded.features,
            "by_problem": loaded.table().to_dict(orient="records"),
            "notes": list(loaded.notes),
        },
        out / "validation.json",
    )
    out_console.print(f"Wrote clean.csv, quarantine.csv and validation.json to {out}/")


@app.command()
def train(
    data: DataOpt,
    model_out: Annotated[Path, typer.Option("--model-out", help="Where to save the model.")],
    mapping: MappingOpt = None,
    model: ModelOpt = None,
    config: ConfigOpt = None,
    seed: SeedOpt = 0,
) -> None:
    """Train a calibrated warning model and save it (model file + .json metadata)."""
    from finwarn.workflow import save_model
    from finwarn.workflow import train as train_job

    loaded = _load(data, mapping)
    with _steps(f"training {model}"):
        trained = train_job(loaded, model=model, config=_config(config), random_state=seed)
    path, meta = save_model(trained, model_out)
    side = path.with_name(path.stem + ".quarantine.csv")
    if len(loaded.quarantine):
        write_csv(loaded.quarantine, side)
        console.print(f"{len(loaded.quarantine)} quarantined rows written to {side}")
    if len(trained.excluded):
        left = path.with_name(path.stem + ".excluded.csv")
        write_csv(trained.excluded, left)
        console.print(f"{len(trained.excluded)} labelled rows left out of training: {left}")
    m = trained.metadata["metrics"]
    out_console.print(
        f"Out-of-fold on the training data: ROC-AUC {m['roc_auc']:.3f}, PR-AUC {m['pr_auc']:.3f}."
    )
    out_console.print(f"Saved {path} and {meta}")


@app.command()
def score(
    model: Annotated[Path, typer.Option("--model", help="A model saved by `finwarn train`.")],
    data: DataOpt,
    out: Annotated[Path, typer.Option("--out", help="Folder for the outputs.")],
    mapping: MappingOpt = None,
    all_periods: Annotated[
        bool,
        typer.Option("--all-periods", help="Score every row, not only each firm's latest period."),
    ] = False,
    reasons: Annotated[
        bool,
        typer.Option(
            "--reasons/--no-reasons",
            help="Write reasons.csv: the strongest reasons behind each firm's risk.",
        ),
    ] = True,
) -> None:
    """Score firms: warnings.csv (entity, period, probability, level, rank), reasons.csv
    (the five strongest reasons per firm, in words), quarantine.csv, metrics.json."""
    from finwarn.workflow import build_features, decision_metrics, load_model
    from finwarn.workflow import score as score_job

    trained = load_model(model)
    loaded = _load(data, mapping)
    prepared = build_features(loaded, spec=trained.spec)
    scope = "all" if all_periods else "latest_per_firm"
    warnings = score_job(trained, loaded, prepared=prepared, scope=scope)
    write_csv(warnings.table(), out / "warnings.csv")
    written = ["warnings.csv"]
    if reasons:
        from finwarn.workflow import explain_warnings, latest_rows

        with _steps("explaining") as step:
            step("contributions, peer percentiles and reasons")
            rows = latest_rows(prepared.ids, scope)
            explanation = explain_warnings(trained, prepared, rows, random_state=0)
        write_csv(explanation.reasons.table(), out / "reasons.csv")
        written.append("reasons.csv")
    write_csv(loaded.quarantine, out / "quarantine.csv")
    summary: dict = {
        "model": str(model),
        "data": loaded.source,
        "scored": len(warnings.frame),
        "scope": "every row" if all_periods else "each firm's latest period",
        "by_level": dict(
            zip(
                warnings.counts()["level"],
                warnings.counts()["firms"].astype(int).tolist(),
                strict=True,
            )
        ),
        "quarantined": len(loaded.quarantine),
    }
    if prepared.y is not None:
        import numpy as np

        labelled = ~np.isnan(prepared.y)
        if labelled.sum() and len(np.unique(prepared.y[labelled])) == 2:
            proba = trained.classifier.predict_proba(prepared.model_input(labelled))[:, 1]
            summary["labelled_rows"] = decision_metrics(
                trained.classifier, prepared.y[labelled].astype(int), proba
            )
    write_json(summary, out / "metrics.json")
    _print_warnings(warnings)
    written += ["quarantine.csv", "metrics.json"]
    out_console.print(f"Wrote {', '.join(written)} to {out}/")


@app.command()
def report(
    model: Annotated[Path, typer.Option("--model", help="A model saved by `finwarn train`.")],
    data: DataOpt,
    out: Annotated[Path, typer.Option("--out", help="Folder for the report (replaced).")],
    mapping: MappingOpt = None,
    page_level: Annotated[
        str | None,
        typer.Option(
            "--page-level", help="Lowest warning level with a firm page (default: alert level)."
        ),
    ] = None,
    max_firm_pages: Annotated[
        int,
        typer.Option("--max-firm-pages", min=0, help="At most this many firm pages; 0: no limit."),
    ] = 200,
    top: Annotated[
        int, typer.Option("--top", min=1, help="Rows of the riskiest-firms table.")
    ] = 20,
    latest_period: Annotated[
        bool,
        typer.Option(
            "--latest-period",
            help="Report only firms with data in the file's latest period "
            "(default: each firm's latest period).",
        ),
    ] = False,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write report.pdf.")] = True,
    clusters: Annotated[
        bool, typer.Option("--clusters/--no-clusters", help="Clusters and the 3-D view.")
    ] = True,
    title: Annotated[str | None, typer.Option("--title", help="Title of the report.")] = None,
    seed: SeedOpt = 0,
) -> None:
    """The early-warning report: warnings with their reasons, peers, history, clusters.

    Writes to --out: index.html (open it in a browser; it works offline), firms/ (one
    page per firm at or above --page-level), assets/, cluster_view.html, report.pdf,
    and the tables behind them: warnings.csv and reasons.csv. Earlier periods in the
    data give each firm's trends and its level change since the previous period.
    """
    from finwarn.workflow import load_model
    from finwarn.workflow import report as report_job

    trained = load_model(model)
    loaded = _load(data, mapping)
    with _steps("report") as step:
        result = report_job(
            trained,
            loaded,
            out,
            pdf=pdf,
            scope="latest_period" if latest_period else "latest_per_firm",
            page_level=page_level,
            max_firm_pages=max_firm_pages or None,
            top_n=top,
            clusters=clusters,
            title=title,
            random_state=seed,
            step=step,
        )
    for note in result.notes:
        console.print(f"  [dim]note: {note}[/dim]")
    _print_warnings(result.warnings)
    pages = len(result.files.firm_pages)
    out_console.print(
        f"Report of {len(result.warnings.frame):,} firms with {pages:,} firm pages written to "
        f"{out}/ in {sum(result.seconds.values()):.1f} s. Open {result.files.index}"
    )


@app.command()
def evaluate(
    data: DataOpt,
    mapping: MappingOpt = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="A model (bp by default), several separated by commas, or 'all': "
            "altman_z, altman_z2, ohlson_o, logit, svm, random_forest, lightgbm, bp, cnn, "
            "ensemble (text models fused, fused_cnn, lstm need a text column).",
        ),
    ] = None,
    protocol: Annotated[
        str,
        typer.Option(
            "--protocol",
            help="cv: repeated stratified k-fold. temporal: train on periods up to t, "
            "test on period t + horizon (needs a period column).",
        ),
    ] = "cv",
    folds: Annotated[int, typer.Option("--folds", min=2, help="Folds per repeat (cv).")] = 5,
    repeats: Annotated[
        int, typer.Option("--repeats", min=1, help="Repeats with new shuffles (cv).")
    ] = 2,
    horizon: Annotated[
        int,
        typer.Option(
            "--horizon", min=1, help="Periods between the last training and the test period."
        ),
    ] = 1,
    imbalance: Annotated[
        str,
        typer.Option(
            "--imbalance",
            help="weights (default), none, undersample or smote; applied inside training folds.",
        ),
    ] = "weights",
    tune: Annotated[
        float | None,
        typer.Option(
            "--tune",
            min=1,
            help="Search hyperparameters for this many seconds in every fit (nested; slow).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder for summary.csv, folds.csv, confusion.csv, calibration.csv, "
            "evaluation.md and evaluation.json.",
        ),
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the results as JSON.")
    ] = None,
    config: ConfigOpt = None,
    seed: SeedOpt = 0,
) -> None:
    """Evaluate one or more models: mean and sd of ROC-AUC, PR-AUC, KS, Brier, recall, ...

    Every fitted step (cleaning, resampling, tuning, calibration, cut-offs) is refitted
    inside each training fold; all models are evaluated on the same splits.
    """
    import pandas as pd
    from rich.measure import Measurement

    from finwarn.report import comparison_frame, markdown_table
    from finwarn.workflow import compare, model_names

    try:
        names = model_names(model)
        loaded = _load(data, mapping)
        per_model = folds * repeats if protocol == "cv" else None
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task(
                f"evaluating {', '.join(names)}",
                total=per_model * len(names) if per_model else None,
            )
            result = compare(
                loaded,
                models=names,
                protocol=protocol,
                folds=folds,
                repeats=repeats,
                horizon=horizon,
                imbalance=imbalance,
                tune_seconds=tune,
                config=_config(config),
                random_state=seed,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except FinwarnError:
        raise  # main() prints it
    except ValueError as exc:
        # an option value the workflow refuses (unknown model, protocol or imbalance
        # strategy, a horizon longer than the data allows): a message, not a traceback;
        # -vv still shows where it came from
        logging.getLogger(__name__).debug("evaluate refused its options", exc_info=True)
        console.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    if protocol == "cv":
        title = f"{data.name}: {folds}-fold stratified CV x {repeats}"
    else:
        title = f"{data.name}: temporal, test {horizon} period(s) after training"
    summary = result.table()
    if len(result.results) == 1:
        (name,) = result.results
        table = Table(title=f"{name} on {title}")
        for col in ("metric", "mean", "sd", "min", "max"):
            table.add_column(col, justify="left" if col == "metric" else "right")
        for row in summary.itertuples():
            table.add_row(
                str(row.metric),
                f"{row.mean:.4f}",
                f"{row.sd:.4f}",
                f"{row.min:.4f}",
                f"{row.max:.4f}",
            )
    else:
        frame = comparison_frame(summary)
        table = Table(title=title)
        for i, col in enumerate(frame.columns):
            table.add_column(str(col), justify="left" if i == 0 else "right", no_wrap=True)
        for values in frame.itertuples(index=False):
            table.add_row(*(str(v) for v in values))
        # squeezed into a narrow terminal, rich cut every cell to "0.…" and the model
        # names to "al…" (altman_z and altman_z2 alike); keep the table whole instead
        natural = Measurement.get(out_console, out_console.options.update_width(10_000), table)
        if natural.maximum > out_console.width:
            table.width = natural.maximum
    out_console.print(table)
    for name, reason in result.skipped.items():
        out_console.print(f"[yellow]skipped {name}:[/yellow] {reason}")
    full = result.to_dict()
    payload = full
    if len(names) == 1:  # with several, the JSON also names the skipped ones
        payload = next(iter(result.results.values())).to_dict()
        payload["protocol"] = {**result.protocol, **payload["protocol"]}
    if json_out is not None:
        write_json(payload, json_out)
        out_console.print(f"Wrote {json_out}")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        write_csv(summary, out / "summary.csv")
        folds_frame = pd.concat(
            [r.folds.assign(model=n) for n, r in result.results.items()], ignore_index=True
        )
        write_csv(folds_frame, out / "folds.csv")
        confusion = pd.concat(
            [
                r.confusion().rename_axis("actual").reset_index().assign(model=n)
                for n, r in result.results.items()
            ],
            ignore_index=True,
        )
        write_csv(confusion[["model", "actual", "warned", "not warned"]], out / "confusion.csv")
        calibration = pd.concat(
            [r.calibration().assign(model=n) for n, r in result.results.items()],
            ignore_index=True,
        )
        write_csv(
            calibration[["model", "bin", "predicted", "observed", "n"]], out / "calibration.csv"
        )
        write_json(full, out / "evaluation.json")
        lines = [f"# {title}", "", markdown_table(comparison_frame(summary)), ""]
        lines += [f"- skipped {n}: {r}" for n, r in result.skipped.items()]
        write_text("\n".join(lines) + "\n", out / "evaluation.md")
        out_console.print(
            "Wrote summary.csv, folds.csv, confusion.csv, calibration.csv, evaluation.md, "
            f"evaluation.json to {out}"
        )


@app.command()
def rank(
    data: DataOpt,
    out: Annotated[Path, typer.Option("--out", help="Folder for the outputs.")],
    mapping: MappingOpt = None,
    hierarchy: Annotated[
        str | None,
        typer.Option(
            "--hierarchy",
            help="Indicator hierarchy: catalog, polish, taiwan or a YAML file "
            "(default: the built-in one that fits the data).",
        ),
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option("--model", help="A warning model whose levels rank first (optional)."),
    ] = None,
    clusters: Annotated[
        str, typer.Option("--clusters", help="Number of k-means clusters, or 'auto'.")
    ] = "3",
    seed: SeedOpt = 0,
) -> None:
    """Entropy weights, dimension scores, risk ranking, PCA screening, clusters, 3-D view.

    Writes weights.csv, scores.csv, ranking.csv, clusters.csv, cluster_summary.csv,
    pca.csv, pca_loadings.csv, cluster_view.html (interactive, offline),
    cluster_view.png and rank.json to --out.
    """
    from finwarn.report import write_cluster_view_html, write_cluster_view_png
    from finwarn.workflow import load_model
    from finwarn.workflow import rank as rank_job

    if clusters != "auto" and not clusters.isdigit():
        raise typer.BadParameter(
            f"expected a whole number or 'auto', got {clusters!r}", param_hint="--clusters"
        )
    trained = load_model(model) if model is not None else None
    loaded = _load(data, mapping)
    with _steps("ranking") as step:
        step("weighing, scoring and clustering")
        result = rank_job(
            loaded,
            hierarchy=hierarchy,
            model=trained,
            n_clusters=clusters if clusters == "auto" else int(clusters),
            random_state=seed,
        )
        step("writing tables and the 3-D view")
        tables = {
            "weights.csv": result.weights,
            "scores.csv": result.scores,
            "ranking.csv": result.ranking,
            "clusters.csv": result.clusters,
            "cluster_summary.csv": result.cluster_summary,
        }
        if result.screening is not None:
            tables["pca.csv"] = result.screening.table()
            tables["pca_loadings.csv"] = result.screening.loadings_table()
        for name, frame in tables.items():
            write_csv(frame, out / name)
        if result.view_dimensions:
            view = result.scores[list(result.view_dimensions)].fillna(
                result.scores[list(result.view_dimensions)].median()
            )
            labels = result.clusters["cluster"].to_numpy()
            words = list(result.cluster_summary["description"])
            hover = result.clusters["entity"].astype(str)
            write_cluster_view_html(view, labels, words, out / "cluster_view.html", hover=hover)
            write_cluster_view_png(view, labels, words, out / "cluster_view.png")
    summary = result.cluster_summary
    write_json(
        {
            "data": loaded.source,
            "firms": len(result.scores),
            "notes": result.notes,
            "clusters": summary.to_dict(orient="records"),
            "silhouette": result.silhouette,
            "silhouettes": result.silhouettes.to_dict(orient="records"),
        },
        out / "rank.json",
    )
    for note in result.notes:
        console.print(f"  [dim]note: {note}[/dim]")
    table = Table(title=f"{len(summary)} clusters of {len(result.scores):,} firms")
    for col in ("cluster", "firms", "description"):
        table.add_column(col)
    for row in summary.itertuples():
        table.add_row(str(row.cluster), f"{row.firms:,}", str(row.description))
    out_console.print(table)
    out_console.print(f"k-means with k = {len(summary)}: silhouette score {result.silhouette:.3f}")
    drawn = " and the 3-D view" if result.view_dimensions else ""
    out_console.print(f"Wrote {', '.join(tables)}{drawn} to {out}/")


grade_app = typer.Typer(
    help="k-level risk grading (paper 004): entropy-weighted elements into a BP network.",
    no_args_is_help=True,
)
app.add_typer(grade_app, name="grade")
app.command("serve")(serve)


@grade_app.command("simulate")
def grade_simulate(
    out: Annotated[Path, typer.Option("--out", help="Folder for records.csv and hierarchy.yaml.")],
    per_level: Annotated[
        int, typer.Option("--per-level", min=10, help="Records per level.")
    ] = 1000,
    noise: Annotated[
        float, typer.Option("--noise", min=0.0, max=0.5, help="Share of signals recorded wrongly.")
    ] = 0.03,
    seed: SeedOpt = 0,
) -> None:
    """Write paper 004's SIMULATED records (8 levels) and their indicator hierarchy.

    Train on them with: finwarn grade train --data OUT/records.csv --grades level
    --hierarchy OUT/hierarchy.yaml --model-out grader.joblib
    """
    import pandas as pd
    import yaml

    from finwarn.datasets import make_paper004_records

    X, y, tree = make_paper004_records(per_level, noise=noise, random_state=seed)
    records = pd.concat(
        [pd.DataFrame({"entity": [f"R{i + 1:05d}" for i in range(len(y))], "level": y + 1}), X],
        axis=1,
    )
    write_csv(records, out / "records.csv")
    text = "# Indicator hierarchy of the simulated paper 004 records\n" + yaml.safe_dump(
        tree, sort_keys=False
    )

    write_text(text, out / "hierarchy.yaml")
    out_console.print(
        f"Wrote {len(records):,} SIMULATED records ({per_level} per level, levels 1-8, "
        f"noise {noise}) and hierarchy.yaml to {out}/"
    )


def _print_grading(metrics, title: str) -> None:
    table = Table(title=title)
    frame = metrics.table()
    for col in ("level", "n", "accuracy", "misjudgment_rate"):
        table.add_column(col, justify="right")
    for row in frame.itertuples():
        table.add_row(
            str(row.level), f"{row.n:,}", f"{row.accuracy:.3f}", f"{row.misjudgment_rate:.3f}"
        )
    out_console.print(table)
    out_console.print(
        f"accuracy {metrics.accuracy:.3f}, misjudgment rate E {metrics.misjudgment_rate:.3f}, "
        f"deviation rate {metrics.deviation_rate:.3f}"
    )


@grade_app.command("train")
def grade_train(
    data: DataOpt,
    grades: Annotated[
        str, typer.Option("--grades", help="Column with the known grade of each row.")
    ],
    model_out: Annotated[Path, typer.Option("--model-out", help="Where to save the grader.")],
    mapping: MappingOpt = None,
    hierarchy: Annotated[
        str | None, typer.Option("--hierarchy", help="catalog, polish, taiwan or a YAML file.")
    ] = None,
    encoding: Annotated[
        str, typer.Option("--encoding", help="ordinal, softmax or bits (paper 004's 3 bits).")
    ] = "ordinal",
    test_share: Annotated[
        float, typer.Option("--test-share", min=0.0, max=0.5, help="Share held out to measure.")
    ] = 0.2,
    seed: SeedOpt = 0,
) -> None:
    """Train a k-level grader and save it; report its accuracy on a held-out share."""
    from finwarn.workflow import save_grader, train_grader

    loaded = _load(data, mapping)
    with _steps("training the grader"):
        trained = train_grader(
            loaded,
            grades=grades,
            hierarchy=hierarchy,
            test_share=test_share,
            random_state=seed,
            encoding=encoding,
        )
    if trained.held_out is not None:
        _print_grading(trained.held_out, f"Held-out {test_share:.0%} of {data.name}")
    path, meta = save_grader(trained, model_out)
    out_console.print(f"Saved {path} and {meta}")


@grade_app.command("apply")
def grade_apply(
    model: Annotated[
        Path, typer.Option("--model", help="A grader saved by `finwarn grade train`.")
    ],
    data: DataOpt,
    out: Annotated[Path, typer.Option("--out", help="Folder for grades.csv and grading.json.")],
    mapping: MappingOpt = None,
    all_periods: Annotated[
        bool, typer.Option("--all-periods", help="Grade every row, not only each firm's latest.")
    ] = False,
) -> None:
    """Grade firms with a saved grader: grades.csv (riskiest first) and grading.json."""
    from finwarn.workflow import apply_grader, load_grader

    trained = load_grader(model)
    loaded = _load(data, mapping)
    grades, metrics = apply_grader(
        trained, loaded, scope="all" if all_periods else "latest_per_firm"
    )
    write_csv(grades, out / "grades.csv")
    payload: dict = {
        "model": str(model),
        "data": loaded.source,
        "graded": len(grades),
        "by_grade": {
            str(k): int(v) for k, v in grades["grade"].value_counts().sort_index().items()
        },
    }
    if metrics is not None:
        payload["metrics"] = metrics.summary()
        _print_grading(metrics, f"Grades against column '{trained.metadata['grades_column']}'")
    write_json(payload, out / "grading.json")
    out_console.print(f"Wrote grades.csv and grading.json to {out}/")


def main() -> None:
    """Entry point: run the app, turning finwarn's own errors into a clean message."""
    try:
        app()
    except (FinwarnError, FileExistsError) as exc:
        console.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
        sys.exit(2)
