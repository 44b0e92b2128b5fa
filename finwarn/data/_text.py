"""Loader of the Financial PhraseBank (Malo et al. 2014) in ``../shared/data/text``.

About 4,800 sentences of English financial news on Finnish companies, each labelled
negative, neutral or positive from an investor's point of view by 5-8 annotators.
Four files hold nested subsets by annotator agreement (>= 50%, 66%, 75%, 100%): pick
one, never concatenate them. Licence: CC BY-NC-SA 3.0 (non-commercial).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from finwarn._text import MAX_SHOWN, did_you_mean
from finwarn.data._shared import _require
from finwarn.exceptions import DataValidationError

__all__ = ["PHRASEBANK_AGREEMENTS", "PHRASEBANK_LABELS", "load_phrasebank"]

logger = logging.getLogger(__name__)

#: Agreement levels of the PhraseBank files, loosest first (each file is a subset of the
#: one before).
PHRASEBANK_AGREEMENTS = ("50Agree", "66Agree", "75Agree", "AllAgree")
#: The sentence labels.
PHRASEBANK_LABELS = ("negative", "neutral", "positive")
PHRASEBANK_FOLDER = "text/financial_phrasebank"
_SEPARATOR = "@"


def load_phrasebank(
    agreement: str = "AllAgree", root: str | os.PathLike[str] | None = None
) -> pd.DataFrame:
    """Load one agreement level of the Financial PhraseBank, exact duplicates dropped.

    Each line reads ``sentence@label``; it is split on the last ``@``. The 50, 66
    and 75% files are ISO-8859-1 (latin-1); the AllAgree file is UTF-8 (read as
    latin-1 its 47 lines with accents would come out double-encoded and no longer
    match the same sentences in the other files), so a file is read as UTF-8 when it
    decodes as such, else as latin-1. Exact duplicate lines (sentence and label) are
    dropped, so a train/test split cannot leak; sentences that recur with a
    different label (two in 50Agree) are kept and counted.

    Parameters
    ----------
    agreement : {"50Agree", "66Agree", "75Agree", "AllAgree"}, default "AllAgree"
        Least share of annotators agreeing on the label. ``"50Agree"`` is the usual
        full set (4,840 distinct sentences), ``"AllAgree"`` the cleanest (2,259).
    root : str or path-like, optional
        The folder holding ``Sentences_<agreement>.txt``. Default: ``text/
        financial_phrasebank`` in the shared data folder (see
        :func:`~finwarn.data.find_shared_data`).

    Returns
    -------
    DataFrame
        Columns ``sentence`` (str) and ``label`` (``"negative"``, ``"neutral"`` or
        ``"positive"``), in file order, index ``0..n-1``. ``attrs``: ``source`` (the
        file path), ``agreement``, ``encoding``, ``duplicates_dropped``,
        ``label_conflicts`` (sentences present with more than one label) and
        ``license``.

    Raises
    ------
    DataValidationError
        Unknown agreement level, missing file, or a line without ``@``, with an
        empty sentence or with an unknown label (the message names the file and
        line numbers).
    """
    if agreement not in PHRASEBANK_AGREEMENTS:
        raise DataValidationError(
            f"unknown PhraseBank agreement level {agreement!r}; choose one of "
            f"{list(PHRASEBANK_AGREEMENTS)}.{did_you_mean(agreement, PHRASEBANK_AGREEMENTS)}"
        )
    filename = f"Sentences_{agreement}.txt"
    if root is None:
        path = _require(f"{PHRASEBANK_FOLDER}/{filename}")
    else:
        path = Path(root) / filename
        if not path.is_file():
            raise DataValidationError(
                f"{path}: PhraseBank file not found; root must be the folder holding the "
                "Sentences_<agreement>.txt files."
            )
    raw = path.read_bytes()
    try:
        text, encoding = raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = raw.decode("latin-1"), "latin-1"
    sentences, labels = _parse(text.splitlines(), path)

    frame = pd.DataFrame({"sentence": sentences, "label": labels})
    duplicated = frame.duplicated(keep="first")
    frame = frame.loc[~duplicated].reset_index(drop=True)
    conflicts = int((frame.groupby("sentence")["label"].nunique() > 1).sum())
    frame.attrs.update(
        {
            "source": str(path),
            "agreement": agreement,
            "encoding": encoding,
            "duplicates_dropped": int(duplicated.sum()),
            "label_conflicts": conflicts,
            "license": "CC BY-NC-SA 3.0 (Malo et al. 2014): non-commercial use only",
        }
    )
    logger.info(
        "Read %d PhraseBank sentences from %s (%s); dropped %d exact duplicate lines.",
        len(frame),
        path,
        encoding,
        frame.attrs["duplicates_dropped"],
    )
    if conflicts:
        logger.warning(
            "%s: %d sentence(s) appear with more than one label; kept both lines.",
            path,
            conflicts,
        )
    return frame


def _parse(lines: Sequence[str], path: Path) -> tuple[list[str], list[str]]:
    """Split each line on its last '@'; collect every bad line before raising."""
    sentences: list[str] = []
    labels: list[str] = []
    problems: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        sentence, separator, label = line.rpartition(_SEPARATOR)
        label = label.strip()
        if not separator:
            problems.append(f"line {number}: no '@' before the label in {line!r:.80}")
        elif not sentence.strip():
            problems.append(f"line {number}: empty sentence before '@{label}'")
        elif label not in PHRASEBANK_LABELS:
            hint = did_you_mean(label, PHRASEBANK_LABELS).strip()
            problems.append(f"line {number}: unknown label {label!r}{f' ({hint})' if hint else ''}")
        else:
            sentences.append(sentence)
            labels.append(label)
    if problems:
        shown = "; ".join(problems[:MAX_SHOWN])
        more = f"; and {len(problems) - MAX_SHOWN} more" if len(problems) > MAX_SHOWN else ""
        raise DataValidationError(
            f"{path}: {len(problems)} malformed line(s): {shown}{more}. Each line must "
            f"read 'sentence@label' with label one of {', '.join(PHRASEBANK_LABELS)}."
        )
    return sentences, labels
