"""Rendering of results: the early-warning report (HTML folder and PDF) and the 3-D view.

:class:`ReportInput` is the contract between the workflow and the renderer; it imports
with finwarn's core dependencies. Rendering needs the ``finwarn[report]`` extra (jinja2,
weasyprint, matplotlib, plotly). Nothing here computes a risk figure.
"""

from finwarn.report._input import ReportInput
from finwarn.report._render import ReportFiles, render_report
from finwarn.report._scatter3d import write_cluster_view_html, write_cluster_view_png

__all__ = [
    "ReportFiles",
    "ReportInput",
    "render_report",
    "write_cluster_view_html",
    "write_cluster_view_png",
]
