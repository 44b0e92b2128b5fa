"""End-to-end jobs over a data file (train, score, evaluate, save, load).

The CLI and the service call these; they hold no logic of their own.
"""

from finwarn.workflow._demo import DemoResult, run_demo
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
    evaluate,
    labelled_rows,
    score,
    train,
)
from finwarn.workflow._rank import RankResult, rank
from finwarn.workflow._store import (
    load_artifact,
    load_model,
    metadata_path,
    save_artifact,
    save_model,
)

__all__ = [
    "DemoResult",
    "FeatureSpec",
    "Prepared",
    "RankResult",
    "TrainedGrader",
    "TrainedModel",
    "apply_grader",
    "build_features",
    "decision_metrics",
    "evaluate",
    "known_columns",
    "labelled_rows",
    "load_artifact",
    "load_grader",
    "load_model",
    "metadata_path",
    "rank",
    "run_demo",
    "save_artifact",
    "save_grader",
    "save_model",
    "score",
    "train",
    "train_grader",
]
