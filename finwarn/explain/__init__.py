"""Why a firm is warned (C7, C8): attributions, peers, history and plain-language reasons.

:func:`explain_model` gives each firm's per-feature contributions to the model's
log-odds of distress (exact TreeSHAP for LightGBM, exact linear terms for the logit,
integrated gradients for the BP network, occlusion for anything else).
:func:`reason_codes` turns the strongest contributions into sentences a risk manager
reads, with each value's percentile among the firm's peers (:func:`peer_percentiles`).
:func:`history_table` sets a firm's indicators beside its peers' medians period by
period, and :func:`migrations` compares each firm's latest warning level with its
previous one.
"""

from finwarn.explain._attribution import EXACT_METHODS, METHODS, Attribution, explain_model
from finwarn.explain._peers import (
    ALL_FIRMS,
    MIN_PEER_GROUP,
    history_table,
    migrations,
    peer_groups,
    peer_percentiles,
)
from finwarn.explain._reasons import (
    REASON_COLUMNS,
    Reasons,
    dimension_contributions,
    feature_metadata,
    format_value,
    reason_codes,
    reason_text,
)

__all__ = [
    "ALL_FIRMS",
    "EXACT_METHODS",
    "METHODS",
    "MIN_PEER_GROUP",
    "REASON_COLUMNS",
    "Attribution",
    "Reasons",
    "dimension_contributions",
    "explain_model",
    "feature_metadata",
    "format_value",
    "history_table",
    "migrations",
    "peer_groups",
    "peer_percentiles",
    "reason_codes",
    "reason_text",
]
