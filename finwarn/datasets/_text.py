"""**Semi-synthetic** annual-report text for the simulated panel: real sentences, simulated use.

No public data set links annual-report text to distress labels (see
``../shared/data/text/README.md``). To exercise the text models end to end,
:func:`add_report_text` writes a "report" for every firm-year of
:func:`~finwarn.datasets.make_demo_panel` out of real Financial PhraseBank sentences.
Which sentences a firm gets is simulated: weaker firms get more negative news, with
noise. The sentences are real news about real (Finnish) companies and say nothing
true about the simulated firm; only their tone carries a signal.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

from finwarn._text import did_you_mean, preview
from finwarn.datasets._demo import RandomState
from finwarn.exceptions import DataValidationError

__all__ = ["add_report_text"]

logger = logging.getLogger(__name__)

_LABELS = ("negative", "neutral", "positive")
_SEPARATOR = "\n"


@dataclass(frozen=True)
class _ToneProcess:
    """How a firm's latent health sets the tone of its report's health-driven sentences."""

    neutral_share: float = 0.5  # neutral sentences among the health-driven ones
    # log-odds of a negative (vs positive) sentence = -tone_slope * health, so a firm of
    # health 0 gets as many negative as positive sentences, one of health -1 about 4:1
    tone_slope: float = 1.5


_TONE = _ToneProcess()


def add_report_text(
    panel: pd.DataFrame,
    sentences: pd.DataFrame,
    *,
    random_state: RandomState = 0,
    sentences_per_report: int = 12,
    noise: float = 0.3,
    column: str = "report_text",
    health_column: str = "latent_health",
    keep_latent: bool = False,
) -> pd.DataFrame:
    """Add a **semi-synthetic** annual-report text to every firm-year of a simulated panel.

    Semi-synthetic: every sentence is a real, human-labelled sentence of financial
    news (the Financial PhraseBank), but the assignment of sentences to firms is
    simulated. The sentences describe other, real companies; they carry tone, not
    facts about the simulated firm.

    How a report is drawn, sentence by sentence:

    * with probability ``noise`` the sentence is drawn at random from all of
      ``sentences``, whatever the firm's health;
    * otherwise it is neutral with probability 1/2, and else negative with
      probability ``expit(-1.5 * health)`` (positive otherwise), where ``health`` is
      the firm's latent financial health in that year (about 0 on average, sd 0.8;
      health 0 gives as many negative as positive sentences, health -1 about 4:1).

    The tone thus depends on the same hidden health that drives the statements and
    the chance of distress, not on the label: distress next year depends on next
    year's health, of which this year's is a noisy predictor. Sentences are not
    repeated within a report (unless a class has fewer sentences than needed) and
    are shuffled.

    Parameters
    ----------
    panel : DataFrame
        A panel from :func:`~finwarn.datasets.make_demo_panel` made with
        ``return_latent=True`` (it needs the column ``health_column``). Not changed.
    sentences : DataFrame
        Columns ``sentence`` and ``label`` (negative, neutral, positive), e.g. from
        :func:`finwarn.data.load_phrasebank`; each label needs at least one sentence.
    random_state : int, numpy Generator or None, default 0
        Seed; the same seed, panel and sentences give the same texts.
    sentences_per_report : int, default 12
        Sentences in each report.
    noise : float in [0, 1], default 0.3
        Share of sentences drawn regardless of health. ``noise=1`` gives texts
        independent of health (and of distress).
    column : str, default "report_text"
        Name of the new text column. Sentences are separated by a newline.
    health_column : str, default "latent_health"
        The panel's latent health column.
    keep_latent : bool, default False
        Keep ``health_column`` in the result. By default it is dropped, since it is
        the simulation's answer key and must not reach a model.

    Returns
    -------
    DataFrame
        A copy of ``panel`` with the text column last. ``attrs["semi_synthetic"]``
        is True and ``attrs["text_description"]`` says how the texts were made.

    Examples
    --------
    >>> from finwarn.datasets import make_demo_panel
    >>> panel = make_demo_panel(n_firms=20, n_years=3, return_latent=True)
    >>> sentences = pd.DataFrame({
    ...     "sentence": ["Sales rose 9 % .", "Orders grew .", "The loss widened .",
    ...                  "Jobs were cut .", "The AGM is in May .", "It is based in Espoo ."],
    ...     "label": ["positive", "positive", "negative", "negative", "neutral", "neutral"],
    ... })
    >>> texts = add_report_text(panel, sentences, sentences_per_report=3)
    >>> texts.attrs["semi_synthetic"], "latent_health" in texts
    (True, False)
    >>> round(float(panel.loc[0, "latent_health"]), 2)  # a weak firm-year
    -1.42
    >>> texts.loc[0, "report_text"].split("\\n")
    ['It is based in Espoo .', 'Jobs were cut .', 'The loss widened .']
    """
    sentences_per_report = _check_count(sentences_per_report)
    if isinstance(noise, bool) or not isinstance(noise, int | float) or not 0 <= noise <= 1:
        raise ValueError(f"noise must be a number in [0, 1], got {noise!r}.")
    health = _health(panel, health_column)
    if column in panel.columns:
        raise DataValidationError(
            f"the panel already has a column {column!r}; pass another name as column=."
        )
    pools, texts = _sentence_pools(sentences)

    corpus = np.array([pool.size for pool in pools], dtype=float)
    corpus /= corpus.sum()
    negative = expit(-_TONE.tone_slope * health)
    polar = 1.0 - _TONE.neutral_share
    driven = np.column_stack(
        [polar * negative, np.full(health.size, _TONE.neutral_share), polar * (1.0 - negative)]
    )
    probabilities = noise * corpus + (1.0 - noise) * driven

    rng = np.random.default_rng(random_state)
    counts = rng.multinomial(sentences_per_report, probabilities)
    reports = []
    for row in counts:
        chosen = np.concatenate(
            [
                rng.choice(pool, size=count, replace=count > pool.size)
                for pool, count in zip(pools, row, strict=True)
            ]
        )
        rng.shuffle(chosen)
        reports.append(_SEPARATOR.join(texts[chosen]))

    out = panel.copy()
    if not keep_latent:
        out = out.drop(columns=health_column)
    out[column] = pd.Series(reports, index=panel.index, dtype=object)
    source = sentences.attrs.get("source", "a sentences frame")
    out.attrs = dict(panel.attrs)
    out.attrs["semi_synthetic"] = True
    out.attrs["text_description"] = (
        f"Semi-synthetic text: column {column!r} holds {sentences_per_report} real "
        f"sentences per firm-year from {source}, assigned by simulation "
        f"(finwarn.datasets.add_report_text(noise={noise!r}, random_state={random_state!r})): "
        "weaker latent health gives more negative sentences. The sentences are about "
        "other, real companies, not the simulated firm."
    )
    logger.info(
        "Wrote semi-synthetic report text for %d firm-years (%d sentences each, noise %.2f).",
        len(out),
        sentences_per_report,
        noise,
    )
    return out


def _check_count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"sentences_per_report must be an integer of at least 1, got {value!r}.")
    return int(value)


def _health(panel: pd.DataFrame, health_column: str) -> np.ndarray:
    if health_column not in panel.columns:
        raise DataValidationError(
            f"the panel has no latent health column {health_column!r}."
            f"{did_you_mean(health_column, map(str, panel.columns))} Make it with "
            "make_demo_panel(..., return_latent=True)."
        )
    health = pd.to_numeric(panel[health_column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(health)
    if bad.any():
        raise DataValidationError(
            f"column {health_column!r} has {int(bad.sum())} missing or non-numeric value(s), "
            f"in row(s) {preview(panel.index[bad].tolist())}; every firm-year needs its health."
        )
    return health


def _sentence_pools(sentences: pd.DataFrame) -> tuple[list[np.ndarray], np.ndarray]:
    """Positions of the sentences of each label (in ``_LABELS`` order), and the texts."""
    missing = [c for c in ("sentence", "label") if c not in sentences.columns]
    if missing:
        raise DataValidationError(
            f"the sentences frame lacks the column(s) {', '.join(map(repr, missing))}; pass "
            "a frame with columns 'sentence' and 'label', e.g. finwarn.data.load_phrasebank()."
        )
    labels = sentences["label"].astype(str).to_numpy()
    texts = sentences["sentence"].to_numpy(dtype=object)
    unknown = sorted(set(labels) - set(_LABELS))
    if unknown:
        raise DataValidationError(
            f"the sentences frame has unknown label(s) {preview(unknown)}; labels must be "
            f"{', '.join(_LABELS)}.{did_you_mean(unknown[0], _LABELS)}"
        )
    bad = [i for i, text in enumerate(texts) if not isinstance(text, str) or not text.strip()] + [
        i for i, text in enumerate(texts) if isinstance(text, str) and _SEPARATOR in text
    ]
    if bad:
        rows = sentences.index[sorted(set(bad))].tolist()
        raise DataValidationError(
            f"the sentences frame has empty, non-text or multi-line sentences in row(s) "
            f"{preview(rows)}; each sentence must be one line of text."
        )
    pools = [np.flatnonzero(labels == label) for label in _LABELS]
    empty = [label for label, pool in zip(_LABELS, pools, strict=True) if pool.size == 0]
    if empty:
        raise DataValidationError(
            f"the sentences frame has no {' or '.join(empty)} sentence; every label "
            f"({', '.join(_LABELS)}) needs at least one."
        )
    return pools, texts
