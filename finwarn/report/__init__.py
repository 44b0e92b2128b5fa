"""Rendering of results: the early-warning report (HTML folder and PDF) and the 3-D view.

:class:`ReportInput` is the contract between the workflow and the renderer; it imports
with finwarn's core dependencies. Rendering needs the ``finwarn[report]`` extra (jinja2,
weasyprint, matplotlib, plotly). :func:`comparison_frame` and :func:`markdown_table` lay
out evaluation results as text and :func:`horizon_chart` draws quality against the years
to the outcome. Nothing here computes a risk figure.
"""

from finwarn.report._charts import horizon_chart
from finwarn.report._input import ReportInput
from finwarn.report._render import ReportFiles, render_report
from finwarn.report._scatter3d import write_cluster_view_html, write_cluster_view_png
from finwarn.report._tables import (
    HEADLINE_METRICS,
    METRIC_LABELS,
    comparison_frame,
    markdown_table,
)

__all__ = [
    "HEADLINE_METRICS",
    "METRIC_LABELS",
    "ReportFiles",
    "ReportInput",
    "comparison_frame",
    "horizon_chart",
    "markdown_table",
    "render_report",
    "write_cluster_view_html",
    "write_cluster_view_png",
]
