"""Saving and loading trained models: one model file plus a JSON metadata file."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import joblib

import finwarn
from finwarn._io import atomic_write, write_json
from finwarn.exceptions import ModelCompatibilityError
from finwarn.workflow._features import FeatureSpec
from finwarn.workflow._jobs import TrainedModel

__all__ = ["load_artifact", "load_model", "metadata_path", "save_artifact", "save_model"]

WARNING_MODEL = "warning_model"

logger = logging.getLogger(__name__)


def metadata_path(path: str | Path) -> Path:
    """The metadata file of a model file: ``model.joblib`` -> ``model.json``."""
    path = Path(path)
    return path.with_suffix(".json")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_artifact(
    payload: dict[str, Any], metadata: dict[str, Any], path: str | Path, *, kind: str
) -> tuple[Path, Path]:
    """Save ``payload`` as ``path`` (joblib) and ``metadata`` as ``path`` with ``.json``.

    Both files are written atomically; the metadata records the kind of artifact and
    the model file's sha256, so files that do not belong together are refused on load.

    Returns
    -------
    (model_path, metadata_path)
    """
    path = Path(path)
    if path.suffix == ".json":
        raise ModelCompatibilityError(f"{path}: give the model file's path, e.g. model.joblib.")
    atomic_write(path, lambda tmp: joblib.dump(payload, tmp, compress=3))
    metadata = {"kind": kind, **metadata}
    metadata["model_file"] = {"name": path.name, "sha256": _sha256(path)}
    meta = write_json(metadata, metadata_path(path))
    logger.info("saved %s to %s (metadata %s)", kind, path, meta)
    return path, meta


def load_artifact(path: str | Path, *, kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Load what :func:`save_artifact` saved, checking it against its metadata.

    Raises
    ------
    ModelCompatibilityError
        If a file is missing, the two files do not belong together, the artifact is of
        another kind, or it was saved by an incompatible finwarn version.
    """
    path = Path(path)
    meta_file = metadata_path(path)
    if not path.exists():
        raise ModelCompatibilityError(f"{path}: model file not found; train one first.")
    if not meta_file.exists():
        raise ModelCompatibilityError(
            f"{meta_file}: the metadata file of model {path.name} is missing; a model is saved "
            "as two files (model and .json) and both are needed."
        )
    try:
        metadata = json.loads(meta_file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelCompatibilityError(f"{meta_file}: not valid JSON ({exc}).") from exc
    if metadata.get("model_file", {}).get("sha256") != _sha256(path):
        raise ModelCompatibilityError(
            f"{path}: the file does not match its metadata {meta_file.name} (sha256 differs); "
            "it was changed or replaced. Re-train, or restore the pair saved together."
        )
    saved_kind = metadata.get("kind", "warning_model")
    if saved_kind != kind:
        raise ModelCompatibilityError(
            f"{path}: this is a {saved_kind.replace('_', ' ')}, not a {kind.replace('_', ' ')}."
        )
    saved = str(metadata.get("finwarn_version", "0"))
    if saved.split(".")[:2] != finwarn.__version__.split(".")[:2]:
        logger.warning(
            "%s was saved by finwarn %s; this is finwarn %s", path, saved, finwarn.__version__
        )
    return joblib.load(path), metadata


def save_model(trained: TrainedModel, path: str | Path) -> tuple[Path, Path]:
    """Save a trained warning model as ``path`` (joblib) plus ``path`` with ``.json``."""
    payload = {"classifier": trained.classifier, "spec": trained.spec.to_dict()}
    return save_artifact(payload, trained.metadata, path, kind=WARNING_MODEL)


def load_model(path: str | Path) -> TrainedModel:
    """Load a warning model saved by :func:`save_model`."""
    payload, metadata = load_artifact(path, kind=WARNING_MODEL)
    return TrainedModel(payload["classifier"], FeatureSpec.from_dict(payload["spec"]), metadata)
