"""Semi-synthetic report text: real sentences, assignment driven by latent health."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from finwarn.data import load_phrasebank
from finwarn.datasets import add_report_text, make_demo_panel
from finwarn.exceptions import DataValidationError

LABELS = ("negative", "neutral", "positive")


def _fake_sentences(per_label: int = 40) -> pd.DataFrame:
    rows = [
        (f"A {label} sentence number {i} .", label) for label in LABELS for i in range(per_label)
    ]
    return pd.DataFrame(rows, columns=["sentence", "label"])


@pytest.fixture(scope="module")
def sentences() -> pd.DataFrame:
    return _fake_sentences()


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return make_demo_panel(n_firms=600, n_years=6, random_state=0, return_latent=True)


def _shares(texts: pd.Series, sentences: pd.DataFrame) -> pd.DataFrame:
    """Share of each label among the sentences of every report."""
    label_of = dict(zip(sentences["sentence"], sentences["label"], strict=True))
    labels = texts.str.split("\n").explode().map(label_of)
    counts = pd.crosstab(labels.index, labels).reindex(columns=list(LABELS), fill_value=0)
    return counts.div(counts.sum(axis=1), axis=0).set_axis(texts.index)


def test_latent_health_is_opt_in_and_changes_nothing_else():
    plain = make_demo_panel(n_firms=80, n_years=5, random_state=3)
    latent = make_demo_panel(n_firms=80, n_years=5, random_state=3, return_latent=True)
    assert "latent_health" not in plain.columns and latent.columns[-1] == "latent_health"
    pd.testing.assert_frame_equal(latent.drop(columns="latent_health"), plain)
    assert latent["latent_health"].notna().all()
    labelled = latent[latent["label"].notna()]
    # the health that drives distress: lower in the year before it
    means = labelled.groupby("label")["latent_health"].mean()
    assert means[1.0] < means[0.0] - 0.5


def test_same_seed_same_texts_other_seed_other_texts(panel, sentences):
    first = add_report_text(panel, sentences, random_state=7)
    pd.testing.assert_frame_equal(first, add_report_text(panel, sentences, random_state=7))
    generator = add_report_text(panel, sentences, random_state=np.random.default_rng(7))
    pd.testing.assert_series_equal(first["report_text"], generator["report_text"])
    other = add_report_text(panel, sentences, random_state=8)
    assert (first["report_text"] != other["report_text"]).mean() > 0.9


def test_every_sentence_is_from_the_corpus_and_reports_have_the_asked_length(panel, sentences):
    texts = add_report_text(panel, sentences, sentences_per_report=7)["report_text"]
    known = set(sentences["sentence"])
    split = texts.str.split("\n")
    assert split.map(len).eq(7).all()
    assert all(set(parts) <= known for parts in split)
    assert split.map(lambda parts: len(set(parts)) == len(parts)).all()  # no repeats


def test_copy_keeps_rows_drops_the_answer_key_and_marks_semi_synthetic(panel, sentences):
    before = panel.copy()
    out = add_report_text(panel, sentences, column="mdna")
    pd.testing.assert_frame_equal(panel, before)  # input untouched
    assert "latent_health" not in out.columns and out.columns[-1] == "mdna"
    pd.testing.assert_frame_equal(out.drop(columns="mdna"), panel.drop(columns="latent_health"))
    assert out.attrs["simulated"] is True and out.attrs["semi_synthetic"] is True
    assert out.attrs["text_description"].startswith("Semi-synthetic text: column 'mdna' holds 12")
    kept = add_report_text(panel, sentences, keep_latent=True)
    assert list(kept.columns[-2:]) == ["latent_health", "report_text"]


def test_tone_follows_latent_health_and_distress_next_year(panel, sentences):
    out = add_report_text(panel, sentences)
    shares = _shares(out["report_text"], sentences)
    health = panel["latent_health"]
    assert np.corrcoef(shares["negative"], health)[0, 1] < -0.4
    assert np.corrcoef(shares["positive"], health)[0, 1] > 0.4
    by_label = shares["negative"].groupby(out["label"]).mean()
    # about 0.36 before distress against 0.25 otherwise (seed 0)
    assert by_label[1.0] > by_label[0.0] + 0.07
    # healthy half against weak half of firm-years: a clear gap in negative share
    weak = health < health.median()
    assert shares.loc[weak, "negative"].mean() > shares.loc[~weak, "negative"].mean() + 0.1


def test_texts_depend_on_health_not_on_the_label(panel, sentences):
    relabelled = panel.assign(label=np.random.default_rng(1).permutation(panel["label"]))
    pd.testing.assert_series_equal(
        add_report_text(panel, sentences)["report_text"],
        add_report_text(relabelled, sentences)["report_text"],
    )


def test_full_noise_removes_the_dependence(panel, sentences):
    out = add_report_text(panel, sentences, noise=1.0)
    shares = _shares(out["report_text"], sentences)
    assert abs(np.corrcoef(shares["negative"], panel["latent_health"])[0, 1]) < 0.08
    by_label = shares["negative"].groupby(out["label"]).mean()
    assert abs(by_label[1.0] - by_label[0.0]) < 0.04
    # drawn from the whole corpus: a third of each label here
    np.testing.assert_allclose(shares.mean().to_numpy(), 1 / 3, atol=0.02)


def test_more_noise_weakens_the_signal(panel, sentences):
    def gap(noise: float) -> float:
        out = add_report_text(panel, sentences, noise=noise)
        negative = _shares(out["report_text"], sentences)["negative"]
        weak = panel["latent_health"] < panel["latent_health"].median()
        return float(negative[weak].mean() - negative[~weak].mean())

    assert gap(0.0) > gap(0.3) > gap(0.7) > 0.02


def test_small_class_is_sampled_with_replacement():
    panel = make_demo_panel(n_firms=20, n_years=3, random_state=0, return_latent=True)
    tiny = pd.DataFrame(
        {"sentence": ["Bad .", "Fine .", "Good ."], "label": ["negative", "neutral", "positive"]}
    )
    texts = add_report_text(panel, tiny, sentences_per_report=20)["report_text"]
    assert texts.str.split("\n").map(len).eq(20).all()
    assert set("\n".join(texts).split("\n")) <= {"Bad .", "Fine .", "Good ."}


def test_panel_without_latent_health_says_how_to_get_it(sentences):
    plain = make_demo_panel(n_firms=20, n_years=3)
    with pytest.raises(
        DataValidationError,
        match=r"the panel has no latent health column 'latent_health'\. Make it with "
        r"make_demo_panel\(\.\.\., return_latent=True\)\.",
    ):
        add_report_text(plain, sentences)


def test_missing_health_value_is_named(panel, sentences):
    broken = panel.head(10).copy()
    broken.loc[3, "latent_health"] = np.nan
    with pytest.raises(
        DataValidationError, match=r"column 'latent_health' has 1 missing .* in row\(s\) 3;"
    ):
        add_report_text(broken, sentences)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (
            pd.DataFrame({"text": ["x"], "label": ["neutral"]}),
            r"the sentences frame lacks the column\(s\) 'sentence'; pass a frame",
        ),
        (
            _fake_sentences(2).replace({"label": {"positive": "postive"}}),
            r"unknown label\(s\) 'postive'; labels must be negative, neutral, positive\. "
            r"Did you mean 'positive'\?",
        ),
        (
            _fake_sentences(2).query("label != 'negative'"),
            r"the sentences frame has no negative sentence",
        ),
        (
            _fake_sentences(2).replace({"sentence": {"A neutral sentence number 1 .": "a\nb"}}),
            r"multi-line sentences in row\(s\) 3; each sentence must be one line",
        ),
    ],
)
def test_bad_sentences_frame(panel, frame, message):
    with pytest.raises(DataValidationError, match=message):
        add_report_text(panel.head(5), frame)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"noise": 1.5}, r"noise must be a number in \[0, 1\], got 1\.5\."),
        ({"noise": True}, r"noise must be a number in \[0, 1\], got True\."),
        ({"sentences_per_report": 0}, r"sentences_per_report must be an integer of at least 1"),
        ({"column": "industry"}, r"the panel already has a column 'industry'; pass another"),
    ],
)
def test_bad_arguments(panel, sentences, kwargs, message):
    with pytest.raises(ValueError, match=message):
        add_report_text(panel.head(5), sentences, **kwargs)


@pytest.mark.shared_data
def test_with_the_real_phrasebank(shared_data):
    folder = shared_data / "text" / "financial_phrasebank"
    if not folder.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but the Financial PhraseBank is missing: {folder}.")
        pytest.skip(f"the Financial PhraseBank is not in {folder}.")
    bank = load_phrasebank("AllAgree")
    panel = make_demo_panel(n_firms=300, n_years=5, random_state=1, return_latent=True)
    out = add_report_text(panel, bank, random_state=1)
    assert all(set(t.split("\n")) <= set(bank["sentence"]) for t in out["report_text"])
    assert bank.attrs["source"] in out.attrs["text_description"]
    negative = _shares(out["report_text"], bank)["negative"]
    assert np.corrcoef(negative, panel["latent_health"])[0, 1] < -0.4
