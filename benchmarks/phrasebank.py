"""How well does finwarn's text branch read financial news sentiment (C5, paper 001)?

Validation of the text models on a public, human-labelled corpus: the Financial
PhraseBank (Malo et al. 2014), sentences of financial news labelled negative, neutral or
positive by 5-8 annotators. One agreement level per table, never mixed: 50Agree (every
sentence, 4,840 distinct ones; the primary table) and AllAgree (only sentences on which
all annotators agreed). These are sentence-level news sentiment labels, not distress
labels: the benchmark checks that the text branch learns tone from text, nothing more.

Protocol: stratified 5-fold cross-validation repeated twice (``StratifiedKFold`` with
``shuffle=True`` and seeds 0 and 1), 10 test folds per agreement level. Every model is
fitted inside the training fold only, word2vec included (the LSTM trains its own
skip-gram vectors from scratch on the training sentences). Models:

* ``LSTMAttentionClassifier()``: word2vec + LSTM + attention, finwarn's defaults
  (``random_state`` = the repeat's seed);
* ``make_tfidf_logit()``: TF-IDF word 1-2-grams + logistic regression, its defaults
  (``random_state`` = the repeat's seed);
* the interpretable baseline: Loughran-McDonald word-list shares + logistic regression,
  ``make_pipeline(LMFeatures(), StandardScaler(), LogisticRegression(class_weight=
  "balanced", max_iter=1000))``;
* as a reference, the majority class of the training fold (no model).

Metrics on each test fold: accuracy and macro-F1 (mean ± sd over the 10 folds) and the
fit time per fold. For the first fold, the LSTM's most-attended passage
(``top_passages(k=1)``) is shown for the first correctly classified test sentence of
each class.

Usage (from the project root)::

    .venv/bin/python benchmarks/phrasebank.py       # writes docs/benchmarks/phrasebank.md
    .venv/bin/python benchmarks/phrasebank.py --agreement AllAgree --out /tmp/pb.md

The PhraseBank is read from ``../shared/data/text/financial_phrasebank`` (or
``$FINWARN_DATA_DIR``). Licence: CC BY-NC-SA 3.0, non-commercial use only.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gensim
import numpy as np
import pandas as pd
import sklearn
import torch
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from finwarn.data import load_phrasebank
from finwarn.text import LMFeatures, LSTMAttentionClassifier, make_tfidf_logit

SEEDS = (0, 1)
N_SPLITS = 5
AGREEMENTS = ("50Agree", "AllAgree")
CLASSES = ("negative", "neutral", "positive")
OUT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks" / "phrasebank.md"
LSTM = "LSTM + attention (word2vec from scratch)"

# name -> a new, unfitted model for the repeat's seed
MODELS: dict[str, Callable[[int], Any]] = {
    LSTM: lambda seed: LSTMAttentionClassifier(random_state=seed),
    "TF-IDF + logistic regression": lambda seed: make_tfidf_logit(random_state=seed),
    "LM word-list shares + logistic regression": lambda seed: make_pipeline(
        LMFeatures(),
        StandardScaler(),
        LogisticRegression(class_weight="balanced", max_iter=1000),
    ),
    "reference: majority class": lambda seed: DummyClassifier(strategy="most_frequent"),
}


def examples(model: LSTMAttentionClassifier, sentences: np.ndarray, y: np.ndarray) -> list[dict]:
    """The LSTM's top passage for the first correctly classified test sentence per class."""
    proba = model.predict_proba(sentences)
    predicted = model.classes_[proba.argmax(axis=1)]
    shown = []
    for label in CLASSES:
        hits = np.flatnonzero((y == label) & (predicted == label))
        if hits.size == 0:
            shown.append({"label": label, "sentence": None})
            continue
        i = int(hits[0])
        passage, weight = model.top_passages([sentences[i]], k=1)[0][0]
        tokens, attention = model.attention([sentences[i]])[0]
        top = int(np.argmax(attention))
        shown.append(
            {
                "label": label,
                "sentence": str(sentences[i]),
                "proba": float(proba[i, list(model.classes_).index(label)]),
                "passage": passage,
                "weight": weight,
                "token": tokens[top],
                "token_weight": float(attention[top]),
                "n_tokens": len(tokens),
                "position": int(np.flatnonzero(y == label).tolist().index(i)) + 1,
            }
        )
    return shown


def evaluate(agreement: str) -> tuple[pd.DataFrame, list[dict], pd.DataFrame]:
    """Per-fold metrics of every model, the LSTM examples of the first fold, the data."""
    frame = load_phrasebank(agreement)
    sentences = frame["sentence"].to_numpy(dtype=object)
    y = frame["label"].to_numpy(dtype=object)
    rows, shown = [], []
    for seed in SEEDS:
        cv = StratifiedKFold(n_splits=N_SPLITS, shuffle=True, random_state=seed)
        for fold, (train, test) in enumerate(cv.split(sentences, y)):
            for name, make in MODELS.items():
                model = make(seed)
                start = time.perf_counter()
                model.fit(sentences[train], y[train])
                seconds = time.perf_counter() - start
                predicted = model.predict(sentences[test])
                rows.append(
                    {
                        "agreement": agreement,
                        "model": name,
                        "seed": seed,
                        "fold": fold,
                        "accuracy": accuracy_score(y[test], predicted),
                        "macro_f1": f1_score(y[test], predicted, average="macro"),
                        "fit_seconds": seconds,
                    }
                )
                if name == LSTM and seed == SEEDS[0] and fold == 0:
                    shown = examples(model, sentences[test], y[test])
            done = pd.DataFrame(rows[-len(MODELS) :])
            print(
                f"{agreement} seed {seed} fold {fold}: "
                + ", ".join(
                    f"{r.model.split(' ')[0]} F1 {r.macro_f1:.3f} ({r.fit_seconds:.1f} s)"
                    for r in done.itertuples()
                ),
                flush=True,
            )
    return pd.DataFrame(rows), shown, frame


# --------------------------------------------------------------------------- the document


def mean_sd(values: pd.Series, digits: int = 3) -> str:
    return f"{values.mean():.{digits}f} ± {values.std(ddof=1):.{digits}f}"


def data_table(frames: dict[str, pd.DataFrame]) -> str:
    lines = [
        "| agreement level | distinct sentences | "
        + " | ".join(CLASSES)
        + " | exact duplicate lines dropped | sentences with two labels | file encoding |",
        "|---|---:|" + "---:|" * len(CLASSES) + "---:|---:|---|",
    ]
    for agreement, frame in frames.items():
        counts = frame["label"].value_counts()
        cells = [f"{counts.get(c, 0):,} ({counts.get(c, 0) / len(frame):.1%})" for c in CLASSES]
        lines.append(
            f"| {agreement} | {len(frame):,} | "
            + " | ".join(cells)
            + f" | {frame.attrs['duplicates_dropped']} | {frame.attrs['label_conflicts']} | "
            f"{frame.attrs['encoding']} |"
        )
    return "\n".join(lines) + "\n"


def results_table(folds: pd.DataFrame) -> str:
    lines = [
        "| model | accuracy | macro-F1 | fit s per fold |",
        "|---|---|---|---:|",
    ]
    for name, group in folds.groupby("model", sort=False):
        lines.append(
            f"| {name} | {mean_sd(group['accuracy'])} | {mean_sd(group['macro_f1'])} | "
            f"{group['fit_seconds'].mean():.1f} |"
        )
    return "\n".join(lines) + "\n"


def examples_table(shown: list[dict]) -> str:
    lines = [
        "| class | test sentence | P(class) | top passage (cleaned tokens) | its attention "
        "mass | tokens read | most-attended token (weight) |",
        "|---|---|---:|---|---:|---:|---|",
    ]
    for item in shown:
        if item["sentence"] is None:
            lines.append(f"| {item['label']} | (no correctly classified sentence) | | | | | |")
            continue
        sentence = item["sentence"].replace("|", "\\|")
        lines.append(
            f"| {item['label']} | {sentence} | {item['proba']:.3f} | {item['passage']} | "
            f"{item['weight']:.3f} | {item['n_tokens']} | {item['token']} "
            f"({item['token_weight']:.3f}) |"
        )
    return "\n".join(lines) + "\n"


def examples_note(shown: list[dict]) -> str:
    positions = ", ".join(
        f"{item['label']}: {item['position']}" for item in shown if item["sentence"] is not None
    )
    return (
        "Rank of each sentence shown among the test sentences of its class (1: the "
        "class's first test sentence was classified correctly; k: the k - 1 before it "
        f"were not): {positions}.\n"
    )


def findings(folds: pd.DataFrame) -> str:
    mean = folds.groupby(["agreement", "model"], sort=False)[["accuracy", "macro_f1"]].mean()
    out = ["## Findings (computed from the tables above)\n"]
    for agreement in folds["agreement"].unique():
        m = mean.loc[agreement]
        learned = m.drop(index="reference: majority class")
        best = learned["macro_f1"].idxmax()
        tfidf = "TF-IDF + logistic regression"
        lm = "LM word-list shares + logistic regression"
        paired = folds[folds["agreement"] == agreement].pivot_table(
            index=["seed", "fold"], columns="model", values="macro_f1"
        )
        diff = paired[LSTM] - paired[tfidf]
        out.append(
            f"- **{agreement}**: the best macro-F1 is {best}'s, {m.loc[best, 'macro_f1']:.3f}. "
            f"LSTM minus TF-IDF, paired over the same 10 folds: {diff.mean():+.3f} ± "
            f"{diff.std(ddof=1):.3f} macro-F1 (the LSTM is ahead on {int((diff > 0).sum())} "
            f"of {len(diff)} folds). The word-list baseline reaches {m.loc[lm, 'macro_f1']:.3f}"
            f"; the majority class, {m.loc['reference: majority class', 'accuracy']:.3f} "
            f"accuracy and {m.loc['reference: majority class', 'macro_f1']:.3f} macro-F1."
        )
    return "\n".join(out) + "\n"


def header(frames: dict[str, pd.DataFrame], minutes: float) -> str:
    root = Path(__file__).resolve().parents[1]
    sources = sorted(
        {os.path.relpath(Path(f.attrs["source"]).parent, root) for f in frames.values()}
    )
    return (
        "# Text models on Financial PhraseBank (3-class news sentiment)\n\n"
        "Generated by `benchmarks/phrasebank.py` on "
        f"{datetime.date.today().isoformat()}, {platform.machine()} with {os.cpu_count()} "
        f"cores, Python {platform.python_version()}, torch {torch.__version__}, gensim "
        f"{gensim.__version__}, scikit-learn {sklearn.__version__}; total run time "
        f"{minutes:.1f} minutes. Do not edit by hand; run the script again.\n\n"
        "**What the labels are.** The Financial PhraseBank (Malo et al. 2014; "
        f"`{', '.join(sources)}`; CC BY-NC-SA 3.0, non-commercial use only) holds "
        "sentences of English financial news, each labelled negative, neutral or positive "
        "by 5-8 annotators. These are sentence-level news sentiment labels, not distress "
        "labels: the tables show that the text branch learns tone from text, not that it "
        "predicts financial distress. Each table uses one agreement level (one file); "
        "levels are never mixed.\n\n"
        "**Protocol.** Stratified 5-fold cross-validation repeated twice (`StratifiedKFold`, "
        "`shuffle=True`, seeds 0 and 1): cells are mean ± sd over the 10 test folds, fit "
        "time is the mean over the folds (one thread: torch `n_threads=1`, BLAS limited to "
        "one thread with threadpoolctl). Every model is fitted on the training fold only, "
        "word2vec included: the LSTM trains its own skip-gram vectors from scratch on the "
        "training sentences (no pre-trained vectors). Models: "
        "`LSTMAttentionClassifier()` with finwarn's defaults (100-d word2vec, 64 LSTM "
        "units, attention, 10 epochs, balanced class weights), `make_tfidf_logit()` "
        "defaults (TF-IDF word 1-2-grams, `C=4`, balanced), and the interpretable "
        "baseline `make_pipeline(LMFeatures(), StandardScaler(), "
        'LogisticRegression(class_weight="balanced", max_iter=1000))` (shares of '
        "Loughran-McDonald negative, positive, uncertainty, litigious and constraining "
        "words and the net tone: six numbers per sentence). The stochastic models get the "
        "repeat's seed as `random_state`. The majority class of the training fold "
        "(`DummyClassifier`) is the floor.\n\n"
    )


def data_section(frames: dict[str, pd.DataFrame]) -> str:
    return (
        "## Data\n\n"
        + data_table(frames)
        + "\nCounts after `load_phrasebank` dropped exact duplicate lines (same sentence, "
        "same label), so no sentence is in both a training and a test fold; a sentence "
        "listed with two different labels is kept twice (`label_conflicts`). Encoding: "
        "the 50, 66 and 75% files are ISO-8859-1 (latin-1) and the AllAgree file is "
        "UTF-8; the loader reads a file as UTF-8 when it decodes as such and as latin-1 "
        "otherwise (read as latin-1, the AllAgree lines with accents would come out "
        "double-encoded). Garbled names that are in the corpus itself (e.g. "
        '"Sepp+ñl+ñ" for Seppälä, the same in every file) are left as they are. The '
        "class shares are unequal (neutral is the majority), hence "
        "macro-F1 beside accuracy and the balanced class weights.\n\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--agreement",
        nargs="*",
        default=list(AGREEMENTS),
        choices=["50Agree", "66Agree", "75Agree", "AllAgree"],
        help="agreement levels, one table each (the first gets the passage examples)",
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()

    frames, all_folds, shown = {}, [], {}
    # two OpenBLAS threads on this 2-core machine make the lbfgs logistic regression
    # 20-40 times slower; every model gets one thread, as the torch models do
    with threadpool_limits(limits=1):
        for agreement in args.agreement:
            folds, shown[agreement], frames[agreement] = evaluate(agreement)
            all_folds.append(folds)
    folds = pd.concat(all_folds, ignore_index=True)
    summary = (
        folds.groupby(["agreement", "model"], sort=False)[["accuracy", "macro_f1", "fit_seconds"]]
        .agg(["mean", "std"])
        .round(3)
    )
    print(summary.to_string())

    first = args.agreement[0]
    doc = header(frames, (time.perf_counter() - started) / 60) + data_section(frames)
    for i, agreement in enumerate(args.agreement):
        label = " (primary)" if i == 0 else ""
        doc += (
            f"## {agreement}{label}: {len(frames[agreement]):,} sentences\n\n"
            + results_table(folds[folds["agreement"] == agreement])
            + "\n"
        )
    doc += findings(folds) + "\n"
    doc += (
        f"## What the LSTM attends to ({first}, first test fold)\n\n"
        f"The LSTM of the first fold (seed {SEEDS[0]}, fold 0), on the first test "
        "sentence of each class that it classified correctly, in file order; the "
        "passage is `top_passages(k=1)` (a window of up to 12 cleaned tokens centred on "
        "the most-attended token) with the share of the sentence's attention it holds; "
        "most sentences are not much longer than 12 tokens, so the passage's mass is "
        "near 1 and the single most-attended token says more. "
        "Real output of this run, not chosen beyond that rule.\n\n"
        + examples_table(shown[first])
        + "\n"
        + examples_note(shown[first])
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(doc, encoding="utf-8")
    print(f"wrote {args.out} in {(time.perf_counter() - started) / 60:.1f} minutes")


if __name__ == "__main__":
    main()
