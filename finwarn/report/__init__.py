"""Rendering of results (HTML, PNG). Needs the ``finwarn[report]`` extra; computes nothing."""

from finwarn.report._scatter3d import write_cluster_view_html, write_cluster_view_png

__all__ = ["write_cluster_view_html", "write_cluster_view_png"]
