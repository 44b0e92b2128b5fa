"""Risk clusters (paper 000): firms grouped by their dimension scores, described in words."""

from finwarn.clusters._kmeans import DEFAULT_DIMENSIONS, RiskClusters, describe_centre

__all__ = ["DEFAULT_DIMENSIONS", "RiskClusters", "describe_centre"]
