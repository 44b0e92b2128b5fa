"""End-to-end jobs over a data file (train, score, evaluate, save, load).

The CLI and the service call these; they hold no logic of their own.
"""

from finwarn.workflow._demo import DemoResult, run_demo
from finwarn.workflow._evaluate import PROTOCOLS, compare, evaluate, model_names
from finwarn.workflow._explain import Explanation, explain_warnings
from finwarn.workflow._features import FeatureSpec, Prepared, build_features, known_columns
from finwarn.workflow._grade import (
    TrainedGrader,
    apply_grader,
    load_grader,
    save_grader,
    train_grader,
)
from finwarn.workflow._jobs import (
    TrainedModel,
    decision_metrics,
    labelled_rows,
    latest_rows,
    score,
    train,
)
from finwarn.workflow._rank import RankResult, rank
from finwarn.workflow._report import REPORT_SCOPES, ReportResult, build_report_input, report
from finwarn.workflow._store import (
    load_artifact,
    load_model,
    metadata_path,
    save_artifact,
    save_model,
)

__all__ = [
    "PROTOCOLS",
    "REPORT_SCOPES",
    "DemoResult",
    "Explanation",
    "FeatureSpec",
    "Prepared",
    "RankResult",
    "ReportResult",
    "TrainedGrader",
    "TrainedModel",
    "apply_grader",
    "build_features",
    "build_report_input",
    "compare",
    "decision_metrics",
    "evaluate",
    "explain_warnings",
    "known_columns",
    "labelled_rows",
    "latest_rows",
    "load_artifact",
    "load_grader",
    "load_model",
    "metadata_path",
    "model_names",
    "rank",
    "report",
    "run_demo",
    "save_artifact",
    "save_grader",
    "save_model",
    "score",
    "train",
    "train_grader",
]
