"""The early-warning report (C8): an offline HTML folder and a PDF from a ReportInput.

The renderer lays out the tables of :class:`~finwarn.report.ReportInput`; it computes
no risk figure of its own. What it does besides formatting is bookkeeping a reader
needs to find their way: it counts rows (firms per level, alerted firms with a
risk-raising contribution per dimension, migrations per kind), sorts (riskiest first,
strongest reason first) and picks the firms that get a page. The formats of the numbers
are listed in :mod:`finwarn.report._format`.

Layout of the folder written::

    out/index.html              portfolio summary, alerts by dimension, list of firm
                                pages, 3-D view, methods and model card
    out/firms/<entity>.html     one page per firm at or above ``page_level``
    out/assets/                 report.css and the chart images
    out/cluster_view.html       copy of the interactive 3-D view (when given)
    out/report.pdf              the same content for print (when ``pdf=True``)

Nothing in it refers to the network: no CDN, no web font, no external link.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from finwarn._io import _umask
from finwarn._text import did_you_mean, preview
from finwarn.exceptions import DataValidationError
from finwarn.explain import REASON_COLUMNS
from finwarn.report import _format as fmt
from finwarn.report._input import ReportInput

__all__ = ["DIMENSIONS", "ReportFiles", "render_report"]

logger = logging.getLogger(__name__)

#: Dimensions in the order the report lists them; others found in the data follow.
DIMENSIONS = ("solvency", "profitability", "operating_capability", "growth", "cash_flow", "other")

_GENERATOR = "finwarn report"
_REQUIRED = {
    "warnings": ("entity", "probability", "level", "rank"),
    "reasons": tuple(c for c in REASON_COLUMNS if c != "period"),
    "dimension_contributions": ("entity", "dimension", "contribution"),
    "history": ("entity", "period", "feature", "name", "value", "peer_median"),
    "migrations": ("entity", "previous_period", "previous_level", "period", "level", "change"),
    "clusters": ("cluster", "firms", "share", "description"),
    "calibration": ("bin", "predicted", "observed", "n"),
}
_CARD_FACTS = (
    ("model", "Model", fmt.text),
    ("data", "Training data", fmt.text),
    ("trained", "Trained", fmt.text),
    ("rows", "Training rows", fmt.count),
    ("distressed", "Distressed in training", fmt.count),
    ("features", "Features", fmt.count),
    ("calibration_method", "Calibration", fmt.text),
)
_CARD_SECTIONS = ("protocol", "metrics", "cutoffs", "limits")
_TOP_REASONS = 3  # reasons per firm in the riskiest-firms table
_MOST_AFFECTED = 5  # firms named per dimension in the alerts-by-dimension table


@dataclass(frozen=True)
class ReportFiles:
    """The files a report build wrote (paths inside the final folder).

    Attributes
    ----------
    folder : Path
        The report folder.
    index : Path
        ``index.html``, the page to open.
    firm_pages : tuple of Path
        ``firms/<entity>.html``, riskiest first.
    assets : tuple of Path
        The stylesheet and chart images under ``assets/``.
    cluster_view : Path or None
        The copy of the interactive 3-D view.
    pdf : Path or None
        ``report.pdf`` (None when built with ``pdf=False``).
    firms_left_out : int
        Firms at or above the page level without a page (``max_firm_pages``).
    """

    folder: Path
    index: Path
    firm_pages: tuple[Path, ...]
    assets: tuple[Path, ...]
    cluster_view: Path | None
    pdf: Path | None
    firms_left_out: int

    def paths(self) -> list[Path]:
        """Every file written."""
        extra = [p for p in (self.cluster_view, self.pdf) if p is not None]
        return [self.index, *self.firm_pages, *self.assets, *extra]


# ----------------------------------------------------------------------------- checks


def _check(data: ReportInput) -> None:
    """Refuse input the report cannot show faithfully, naming what is wrong."""
    for name, columns in _REQUIRED.items():
        frame = getattr(data, name)
        if name != "warnings" and frame.empty:
            continue
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise DataValidationError(
                f"ReportInput.{name} lacks the column(s) {missing}; it has "
                f"{list(frame.columns)} and needs {list(columns)} (see ReportInput's docstring)."
            )
    levels = list(data.levels)
    if len(levels) < 2 or len(set(levels)) != len(levels):
        raise DataValidationError(
            f"ReportInput.levels must be two or more distinct names, got {levels}."
        )
    for attribute in ("alert_level", "page_level"):
        value = getattr(data, attribute)
        if value not in levels:
            raise DataValidationError(
                f"ReportInput.{attribute} '{value}' is not one of the levels {levels}."
                f"{did_you_mean(str(value), levels)}"
            )
    unknown = sorted(set(data.warnings["level"].astype(str)) - set(levels))
    if unknown:
        raise DataValidationError(
            f"ReportInput.warnings has levels that are not in ReportInput.levels {levels}: "
            f"{preview(unknown)}; build both from the same warning config."
        )
    entities = data.warnings["entity"].astype(str)
    repeated = sorted(set(entities[entities.duplicated()]))
    if repeated:
        raise DataValidationError(
            f"ReportInput.warnings has more than one row for the firm(s) {preview(repeated)}; "
            "the report shows one row per firm: pass the latest period's warnings only."
        )
    for attribute in ("cluster_view_png", "cluster_view_html"):
        path = getattr(data, attribute)
        if path is not None and not Path(path).is_file():
            raise DataValidationError(f"ReportInput.{attribute} {path} is not a file.")


# ----------------------------------------------------------------------------- view


def _slugs(entities: Iterable[str]) -> dict[str, str]:
    """A file-name-safe, unique (also on case-insensitive disks) name per entity.

    An entity that is already safe keeps its name; any other gets a hash suffix, so two
    names that clean to the same letters still get different files.

    >>> _slugs(["F001", "a/b", "<script>"])
    {'F001': 'F001', 'a/b': 'a_b-3ec69c85', '<script>': 'script-fb1c2d66'}
    """
    out: dict[str, str] = {}
    used: set[str] = set()
    for entity in entities:
        base = re.sub(r"[^A-Za-z0-9_.-]+", "_", entity).strip("._")[:60] or "firm"
        slug = base
        if slug != entity or slug.lower() in used:
            digest = hashlib.sha1(entity.encode("utf-8")).hexdigest()
            slug = f"{base}-{digest[:8]}"
            n = 1
            while slug.lower() in used:
                slug = f"{base}-{digest[:8]}-{n}"
                n += 1
        used.add(slug.lower())
        out[entity] = slug
    return out


def _with_str_entity(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty or "entity" not in frame.columns:
        return frame
    frame = frame.copy()
    frame["entity"] = frame["entity"].astype(str)
    return frame


def _groups(frame: pd.DataFrame, entities: Iterable[str]) -> dict[str, pd.DataFrame]:
    """Rows of ``frame`` per entity, for the given entities only."""
    wanted = set(entities)
    if frame.empty or not wanted:
        return {}
    subset = frame[frame["entity"].isin(wanted)]
    return {str(key): group for key, group in subset.groupby("entity", sort=False)}


def _dimension_order(found: Iterable[Any]) -> list[str]:
    names = [str(d) for d in found if not fmt.is_missing(d)]
    return [d for d in DIMENSIONS if d in names] + sorted(set(names) - set(DIMENSIONS))


def _reason_rows(group: pd.DataFrame | None) -> list[dict[str, Any]]:
    if group is None:
        return []
    rows = []
    for r in group.sort_values("order", kind="stable").to_dict("records"):
        rows.append(
            {
                "order": fmt.count(r["order"]),
                "feature": fmt.text(r["feature"]),
                "name": fmt.text(r["name"]),
                "dimension": fmt.label(r["dimension"]),
                "value": fmt.number(r["value"]),
                "percentile": fmt.percentile(r["percentile"]),
                "peer_group": fmt.text(r["peer_group"]),
                "contribution": fmt.signed(r["contribution"]),
                "effect": fmt.text(r["effect"]),
                "text": fmt.text(r["text"]),
            }
        )
    return rows


def _trends(
    reasons: list[dict[str, Any]], group: pd.DataFrame | None, limit: int, entity: str
) -> list[dict[str, Any]]:
    """Small charts of the firm's strongest reason features that have a history."""
    from finwarn.report import _svg

    if group is None or limit <= 0:
        return []
    by_feature = {str(k): g for k, g in group.groupby("feature", sort=False)}
    wanted = list(dict.fromkeys(r["feature"] for r in reasons))
    features = [f for f in wanted if f in by_feature] or list(by_feature)
    out = []
    for feature in features[:limit]:
        rows = by_feature[feature].sort_values("period", kind="stable")
        periods = rows["period"].tolist()
        values = rows["value"].tolist()
        peers = rows["peer_median"].tolist()
        name = fmt.text(rows["name"].iloc[0])
        out.append(
            {
                "name": name,
                "svg": _svg.trend(
                    periods, values, peers, title=f"{name}: {entity} against the peer median"
                ),
                "last_period": fmt.text(periods[-1]),
                "last_value": fmt.number(values[-1]),
                "last_peer": fmt.number(peers[-1]),
            }
        )
    return out


def _profile(group: pd.DataFrame | None) -> Any:
    from finwarn.report import _svg

    if group is None or group.empty:
        return None
    order = _dimension_order(group["dimension"].unique())
    first = group.drop_duplicates("dimension")
    values = dict(zip(first["dimension"].astype(str), first["contribution"], strict=True))
    return _svg.dimension_profile([fmt.label(d) for d in order], [values[d] for d in order])


def _firm_row(row: Mapping[Any, Any], has_industry: bool) -> dict[str, Any]:
    return {
        "entity": row["entity"],
        "period": fmt.text(row.get("period")),
        "probability": fmt.probability(row["probability"]),
        "probability_raw": fmt.text(row["probability"]),
        "level": fmt.text(row["level"]),
        "rank": fmt.count(row["rank"]),
        "industry": fmt.text(row.get("industry")) if has_industry else fmt.MISSING,
        "note": "" if fmt.is_missing(row.get("note")) else str(row.get("note")),
    }


@dataclass(frozen=True)
class _View:
    """Everything the templates show, formatted; shared by the HTML and print versions."""

    context: dict[str, Any]
    firms: list[dict[str, Any]]
    slugs: dict[str, str]
    charts: dict[str, Callable[[Path], Path]]
    left_out: int


@dataclass(frozen=True)
class _Portfolio:
    """The warnings table split the ways the report needs it (rows unchanged)."""

    levels: list[str]
    position: dict[str, int]
    warnings: pd.DataFrame  # riskiest first
    alerted: pd.DataFrame
    eligible: pd.DataFrame  # at or above the page level
    paged: pd.DataFrame  # the eligible firms that get a page
    top: pd.DataFrame


def _summary_view(
    p: _Portfolio, colours: list[tuple[str, str]], reasons: dict[str, pd.DataFrame]
) -> tuple[dict[str, Any], list[dict[str, Any]], Callable[[Path], Path] | None]:
    total = len(p.warnings)
    counts = p.warnings["level"].value_counts().reindex(p.levels, fill_value=0)
    shares = [n / total if total else 0.0 for n in counts]
    periods = (
        sorted({fmt.text(x) for x in p.warnings["period"] if not fmt.is_missing(x)})
        if "period" in p.warnings
        else []
    )
    has_industry = "industry" in p.warnings.columns
    summary = {
        "scored": total,
        "total": fmt.count(total),
        "alerted": fmt.count(len(p.alerted)),
        "alerted_share": fmt.share(len(p.alerted) / total if total else 0.0),
        "total_share": fmt.share(1.0 if total else 0.0),
        "periods": ", ".join(periods),
        "has_industry": has_industry,
        "chart": "assets/levels.png",
        # riskiest level first, as in the chart
        "levels": [
            {"level": level, "firms": fmt.count(counts[level]), "share": fmt.share(share)}
            for level, share in reversed(list(zip(p.levels, shares, strict=True)))
        ],
    }
    top = []
    for row in p.top.to_dict("records"):
        firm = _firm_row(row, has_industry)
        firm["top_reasons"] = _reason_rows(reasons.get(row["entity"]))[:_TOP_REASONS]
        top.append(firm)
    chart = None
    if total:
        from finwarn.report._charts import level_chart

        firms = [int(counts[level]) for level in p.levels]
        fills = [c[0] for c in colours]

        def chart(path: Path) -> Path:
            return level_chart(p.levels, firms, shares, fills, path)

    return summary, top, chart


def _migration_view(
    p: _Portfolio, migrations: pd.DataFrame, max_rows: int
) -> tuple[dict[str, Any] | None, dict[str, dict[str, str]]]:
    """Counts per kind of change, the riskiest downgrades, and each paged firm's change."""
    if migrations.empty:
        return None, {}
    kinds = migrations["change"].astype(str)
    order = ["downgrade", "upgrade", "unchanged"]
    per_kind = kinds.value_counts()
    scored = p.warnings.set_index("entity")
    down = migrations[kinds == "downgrade"].assign(
        _severity=lambda f: f["level"].astype(str).map(p.position),
        _rank=lambda f: f["entity"].map(scored["rank"]),
        _probability=lambda f: f["entity"].map(scored["probability"]),
    )
    down = down.sort_values(["_severity", "_rank"], ascending=[False, True], kind="stable")
    view = {
        "counts": [
            {"change": kind, "firms": fmt.count(per_kind.get(kind, 0))}
            for kind in order + sorted(set(kinds) - set(order))
        ],
        "downgrades": [
            {
                "entity": r["entity"],
                "rank": fmt.count(r["_rank"]),
                "probability": fmt.probability(r["_probability"]),
                "previous_level": fmt.text(r["previous_level"]),
                "previous_period": fmt.text(r["previous_period"]),
                "level": fmt.text(r["level"]),
                "period": fmt.text(r["period"]),
            }
            for r in down.head(max_rows).to_dict("records")
        ],
        "downgrades_total": fmt.count(len(down)),
        "downgrades_left_out": fmt.count(len(down) - max_rows) if len(down) > max_rows else "",
    }
    of_firm = {
        r["entity"]: {
            "change": fmt.text(r["change"]),
            "previous_level": fmt.text(r["previous_level"]),
            "previous_period": fmt.text(r["previous_period"]),
        }
        for r in migrations[migrations["entity"].isin(set(p.paged["entity"]))].to_dict("records")
    }
    return view, of_firm


def _dimension_view(
    p: _Portfolio, contributions: pd.DataFrame, alert_level: str
) -> tuple[dict[str, Any] | None, Callable[[Path], Path] | None]:
    """Alerted firms with a risk-raising contribution per dimension, and the strongest."""
    if contributions.empty:
        return None, None
    mine = contributions[contributions["entity"].isin(set(p.alerted["entity"]))]
    raising = mine[pd.to_numeric(mine["contribution"], errors="coerce") > 0]
    alerted = len(p.alerted)
    rows: list[dict[str, Any]] = []
    for dim in _dimension_order(contributions["dimension"].unique()):
        hits = raising[raising["dimension"].astype(str) == dim]
        n_firms = int(hits["entity"].nunique())
        strongest = hits.sort_values("contribution", ascending=False, kind="stable")
        rows.append(
            {
                "dimension": dim,
                "label": fmt.label(dim),
                "count": n_firms,
                "firms": fmt.count(n_firms),
                "share": fmt.share(n_firms / alerted) if alerted else fmt.MISSING,
                "top": [
                    {"entity": e, "contribution": fmt.signed(c)}
                    for e, c in strongest[["entity", "contribution"]]
                    .head(_MOST_AFFECTED)
                    .itertuples(index=False)
                ],
            }
        )
    from finwarn.report._charts import dimension_chart

    labels, counts = [r["label"] for r in rows], [r["count"] for r in rows]

    def chart(path: Path) -> Path:
        return dimension_chart(labels, counts, alerted, alert_level, path)

    view = {"alerted": fmt.count(alerted), "rows": rows, "chart": "assets/dimensions.png"}
    return view, chart


def _cluster_view(data: ReportInput) -> dict[str, Any] | None:
    if data.clusters.empty and data.cluster_view_png is None and data.cluster_view_html is None:
        return None
    view: dict[str, Any] = {
        "png": "assets/cluster_view.png" if data.cluster_view_png is not None else None,
        "html": "cluster_view.html" if data.cluster_view_html is not None else None,
        "columns": [],
        "rows": [],
    }
    if not data.clusters.empty:
        table = data.clusters
        centres = [c for c in table.columns if c not in _REQUIRED["clusters"]]
        columns = ["cluster", "firms", "share", *centres, "description"]
        formats: dict[str, Callable[[Any], str]] = {
            "cluster": fmt.text,
            "firms": fmt.count,
            "share": fmt.share,
            "description": fmt.text,
        }
        view["columns"] = [{"label": fmt.label(c), "numeric": c != "description"} for c in columns]
        view["rows"] = [
            [formats.get(c, fmt.number)(r[c]) for c in columns] for r in table.to_dict("records")
        ]
    return view


def _card_view(card: Mapping[str, Any]) -> dict[str, Any] | None:
    if not card:
        return None
    facts = [
        {"label": label, "value": show(card[key])}
        for key, label, show in _CARD_FACTS
        if key in card
    ]
    known = {key for key, _, _ in _CARD_FACTS} | set(_CARD_SECTIONS)
    facts += [
        {"label": fmt.label(k), "value": fmt.text(v)}
        for k, v in card.items()
        if k not in known and not isinstance(v, dict | list | tuple)
    ]
    return {
        "facts": facts,
        "protocol": fmt.text(card["protocol"]) if "protocol" in card else "",
        "metrics": [
            {"name": str(k), "value": fmt.metric(v)}
            for k, v in dict(card.get("metrics") or {}).items()
        ],
        "cutoffs": [
            {"level": str(k), "value": fmt.probability(v)}
            for k, v in dict(card.get("cutoffs") or {}).items()
        ],
        "limits": [str(x) for x in card.get("limits") or []],
    }


def _calibration_view(
    calibration: pd.DataFrame,
) -> tuple[dict[str, Any] | None, Callable[[Path], Path] | None]:
    if calibration.empty:
        return None, None
    table = calibration.sort_values("bin", kind="stable")
    view = {
        "chart": "assets/calibration.png",
        "rows": [
            {
                "bin": fmt.text(r["bin"]),
                "predicted": fmt.probability(r["predicted"]),
                "observed": fmt.probability(r["observed"]),
                "n": fmt.count(r["n"]),
            }
            for r in table.to_dict("records")
        ],
    }
    from finwarn.report._charts import calibration_chart

    predicted = pd.to_numeric(table["predicted"], errors="coerce").tolist()
    observed = pd.to_numeric(table["observed"], errors="coerce").tolist()

    def chart(path: Path) -> Path:
        return calibration_chart(predicted, observed, path)

    return view, chart


def _build_view(
    data: ReportInput, *, top_n: int, max_firm_pages: int | None, max_rows: int, trends: int
) -> _View:
    from finwarn.report import _svg

    levels = [str(level) for level in data.levels]
    position = {level: i for i, level in enumerate(levels)}
    warnings = _with_str_entity(data.warnings).sort_values("rank", kind="stable")
    warnings["level"] = warnings["level"].astype(str)
    severity = warnings["level"].map(position)
    eligible = warnings[severity >= position[data.page_level]]
    p = _Portfolio(
        levels=levels,
        position=position,
        warnings=warnings,
        alerted=warnings[severity >= position[data.alert_level]],
        eligible=eligible,
        paged=eligible if max_firm_pages is None else eligible.head(max_firm_pages),
        top=warnings.head(top_n),
    )
    slugs = _slugs(p.paged["entity"])
    colours = _svg.level_colours(len(levels))
    reasons = _groups(_with_str_entity(data.reasons), set(p.paged["entity"]) | set(p.top["entity"]))
    contributions = _with_str_entity(data.dimension_contributions)

    summary, top, level_chart = _summary_view(p, colours, reasons)
    migrations, migration_of = _migration_view(p, _with_str_entity(data.migrations), max_rows)
    dimensions, dimension_chart = _dimension_view(p, contributions, data.alert_level)
    calibration, calibration_chart = _calibration_view(data.calibration)

    has_industry = "industry" in warnings.columns
    contribution_groups = _groups(contributions, slugs)
    history_groups = _groups(_with_str_entity(data.history), slugs)
    firms = []
    for row in p.paged.to_dict("records"):
        entity = row["entity"]
        firm = _firm_row(row, has_industry)
        firm["slug"] = slugs[entity]
        firm["reasons"] = _reason_rows(reasons.get(entity))
        firm["trends"] = _trends(firm["reasons"], history_groups.get(entity), trends, entity)
        firm["profile"] = _profile(contribution_groups.get(entity))
        firm["migration"] = migration_of.get(entity)
        firms.append(firm)
    left_out = len(p.eligible) - len(p.paged)
    pages = {
        "eligible": fmt.count(len(p.eligible)),
        "written": fmt.count(len(p.paged)),
        "left_out": fmt.count(left_out) if left_out else "",
        "firms": [{k: f[k] for k in ("entity", "rank", "probability", "level")} for f in firms],
    }
    charts = {
        name: draw
        for name, draw in (
            ("levels.png", level_chart),
            ("dimensions.png", dimension_chart),
            ("calibration.png", calibration_chart),
        )
        if draw is not None
    }
    context = {
        "generator": _GENERATOR,
        "report": data,
        "level_style": dict(zip(levels, colours, strict=True)),
        "summary": summary,
        "top": top,
        "migrations": migrations,
        "dimensions": dimensions,
        "pages": pages,
        "clusters": _cluster_view(data),
        "card": _card_view(data.model_card),
        "calibration": calibration,
    }
    return _View(context=context, firms=firms, slugs=slugs, charts=charts, left_out=left_out)


# ----------------------------------------------------------------------------- writing


@lru_cache(maxsize=1)
def _environment():  # -> jinja2.Environment
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(
        loader=PackageLoader("finwarn.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _is_report(folder: Path) -> bool:
    index = folder / "index.html"
    if not index.is_file():
        return False
    with index.open(encoding="utf-8", errors="replace") as handle:
        head = handle.read(2048)
    return f'<meta name="generator" content="{_GENERATOR}">' in head


def _check_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} is a file; give a folder for the report.")
    if out.is_dir() and any(out.iterdir()) and not _is_report(out):
        raise FileExistsError(
            f"{out} holds files that are not a finwarn report; the report replaces its "
            "folder, so choose a new or empty folder."
        )


def _publish(tmp: Path, out: Path) -> None:
    """Put the finished folder in place of ``out``; on failure the old report stays."""
    if not out.exists():
        os.replace(tmp, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    old.rmdir()
    os.replace(out, old)
    try:
        os.replace(tmp, out)
    except OSError:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _write_folder(folder: Path, data: ReportInput, view: _View, *, pdf: bool) -> list[str]:
    """Write the whole report into ``folder``; return the firm page file names."""
    environment = _environment()
    assets = folder / "assets"
    assets.mkdir()
    (folder / "firms").mkdir()
    css = resources.files("finwarn.report").joinpath("templates", "report.css")
    (assets / "report.css").write_text(css.read_text(encoding="utf-8"), encoding="utf-8")
    for name, draw in view.charts.items():
        draw(assets / name)
    if data.cluster_view_png is not None:
        shutil.copyfile(data.cluster_view_png, assets / "cluster_view.png")
    if data.cluster_view_html is not None:
        shutil.copyfile(data.cluster_view_html, folder / "cluster_view.html")

    index = environment.get_template("index.html").render(
        view.context,
        mode="html",
        root="",
        pdf=pdf,
        firm_link={e: f"firms/{s}.html" for e, s in view.slugs.items()}.get,
    )
    (folder / "index.html").write_text(index, encoding="utf-8")

    links = {e: f"{s}.html" for e, s in view.slugs.items()}
    template = environment.get_template("firm.html")
    firms = view.firms
    names = []
    for i, firm in enumerate(firms):
        before = firms[i - 1] if i > 0 else None
        after = firms[i + 1] if i + 1 < len(firms) else None
        page = template.render(
            view.context,
            mode="html",
            root="../",
            firm=firm,
            firm_link=links.get,
            prev=before and {"entity": before["entity"], "href": links[before["entity"]]},
            next=after and {"entity": after["entity"], "href": links[after["entity"]]},
        )
        names.append(f"{firm['slug']}.html")
        (folder / "firms" / names[-1]).write_text(page, encoding="utf-8")

    if pdf:
        from finwarn.report._pdf import write_pdf

        printable = environment.get_template("print.html").render(
            view.context,
            mode="print",
            root="",
            firms=firms,
            firm_link={e: f"#firm-{s}" for e, s in view.slugs.items()}.get,
        )
        write_pdf(printable, folder, folder / "report.pdf")
    return names


def render_report(
    data: ReportInput,
    out: str | Path,
    *,
    pdf: bool = True,
    top_n: int = 20,
    max_firm_pages: int | None = 200,
    max_rows: int = 30,
    trends: int = 4,
) -> ReportFiles:
    """Write the early-warning report of ``data`` to the folder ``out``.

    The folder is built beside ``out`` and renamed into place when complete, so a build
    that fails leaves a previous report untouched. An existing ``out`` is replaced only
    if it is empty or a finwarn report.

    Parameters
    ----------
    data : ReportInput
        The tables to show.
    out : str or Path
        The report folder (``index.html``, ``firms/``, ``assets/``, ``report.pdf``).
    pdf : bool, default True
        Also write ``report.pdf`` (the portfolio pages, then one page per firm).
    top_n : int, default 20
        Rows of the riskiest-firms table.
    max_firm_pages : int or None, default 200
        At most this many firm pages, riskiest first (None: every firm at or above
        ``data.page_level``). The index says how many were left out. About 200 firm
        pages keep a 5,000-firm report with its PDF well under a minute.
    max_rows : int, default 30
        Longest list of downgrades shown (the rest are counted).
    trends : int, default 4
        Trend charts per firm page (its strongest reasons' indicators with a history).

    Returns
    -------
    ReportFiles
        The paths written.

    Raises
    ------
    DataValidationError
        A table lacks a column the report shows, or levels do not match.
    FileExistsError
        ``out`` is a file, or a non-empty folder that is not a finwarn report.
    """
    started = time.perf_counter()
    out = Path(out)
    _check(data)
    _check_target(out)
    view = _build_view(
        data, top_n=top_n, max_firm_pages=max_firm_pages, max_rows=max_rows, trends=trends
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it private; a report is not
        names = _write_folder(tmp, data, view, pdf=pdf)
        _publish(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    assets = ["report.css", *view.charts]
    if data.cluster_view_png is not None:
        assets.append("cluster_view.png")
    files = ReportFiles(
        folder=out,
        index=out / "index.html",
        firm_pages=tuple(out / "firms" / name for name in names),
        assets=tuple(out / "assets" / name for name in assets),
        cluster_view=out / "cluster_view.html" if data.cluster_view_html is not None else None,
        pdf=out / "report.pdf" if pdf else None,
        firms_left_out=view.left_out,
    )
    logger.info(
        "report written to %s: %d firms, %d firm pages (%d left out), PDF %s, %.1f s",
        out,
        len(data.warnings),
        len(names),
        view.left_out,
        "yes" if pdf else "no",
        time.perf_counter() - started,
    )
    return files
