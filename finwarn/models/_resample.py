"""imbalanced-learn's pipeline with finwarn's cleaner kept as one step."""

from __future__ import annotations

from imblearn.pipeline import Pipeline
from sklearn.pipeline import Pipeline as SklearnPipeline

__all__ = ["ResamplingPipeline"]


def _is_sampler(step) -> bool:
    return hasattr(step, "fit_resample")


class ResamplingPipeline(Pipeline):
    """An imbalanced-learn pipeline that accepts a Pipeline of transformers as a step.

    imbalanced-learn refuses every Pipeline as an intermediate step, so that a sampler
    nested in it cannot resample the rows behind the outer pipeline's back. finwarn's
    cleaner is a Pipeline of transformers only; keeping it as the one ``clean`` step
    gives a model the same steps with and without resampling (``clean``, ``resample``,
    ``model``) and the same ``clean__`` parameters. A nested Pipeline that holds a
    sampler is still refused.
    """

    def _validate_steps(self):
        names, estimators = zip(*self.steps, strict=True)
        self._validate_names(names)
        for name, step in self.steps[:-1]:
            if step is None or step == "passthrough":
                continue
            transformer = hasattr(step, "fit") and hasattr(step, "transform")
            if transformer == _is_sampler(step):
                raise TypeError(
                    f"Step {name!r} ({type(step).__name__}) must implement either fit and "
                    "transform (a transformer) or fit_resample (a sampler), not "
                    f"{'both' if transformer else 'neither'}."
                )
            if isinstance(step, SklearnPipeline):
                nested = [inner for inner, est in step.steps if _is_sampler(est)]
                if nested:
                    raise TypeError(
                        f"Step {name!r} is a Pipeline holding the sampler(s) "
                        f"{', '.join(map(repr, nested))}; make each sampler a step of the "
                        "outer pipeline, where it resamples the training rows."
                    )
        last = estimators[-1]
        if last is not None and last != "passthrough" and not hasattr(last, "fit"):
            raise TypeError(
                f"The last step ({type(last).__name__}) must implement fit or be 'passthrough'."
            )
