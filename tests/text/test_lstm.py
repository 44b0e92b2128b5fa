"""Tests of LSTMAttentionClassifier: word2vec, an LSTM and attention over report text."""

from __future__ import annotations

import hashlib
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import roc_auc_score
from sklearn.utils.validation import check_is_fitted

from finwarn.exceptions import DataValidationError
from finwarn.text._lstm import LSTMAttentionClassifier
from finwarn.text._word2vec import Word2VecEmbedder

torch = pytest.importorskip("torch")
pytest.importorskip("gensim")

NEG = "loss decline impairment default writedown shortfall deficit downgrade".split()
POS = "growth profit record increase expansion surplus upgrade gain".split()
FILLER = (
    "company reported quarter board annual period results market sales operations "
    "management statement group business report said customers products services plant"
).split()
SIGNAL = set(NEG + POS)
SMALL = {
    "embedder": Word2VecEmbedder(vector_size=16, epochs=5),
    "max_words": 60,
    "hidden_size": 16,
    "attention_size": 16,
    "epochs": 15,
    "learning_rate": 0.01,
}


def _corpus(labels, seed: int, signal=(1, 4), filler=(5, 30)) -> list[str]:
    """A document per label: filler words with signal words of the label's tone.

    ``"negative"`` (or 1) documents hold words of NEG, ``"positive"`` (or 0) words of POS,
    ``"neutral"`` documents filler only.
    """
    rng = np.random.RandomState(seed)
    docs = []
    for label in labels:
        words = list(rng.choice(FILLER, rng.randint(*filler)))
        pool = {"negative": NEG, 1: NEG, "positive": POS, 0: POS}.get(label, [])
        for _ in range(rng.randint(*signal) if pool else 0):
            words.insert(rng.randint(len(words) + 1), rng.choice(pool))
        docs.append(" ".join(words))
    return docs


def _labels(n: int, seed: int, classes=("negative", "neutral", "positive")) -> np.ndarray:
    return np.asarray(classes)[np.random.RandomState(seed).randint(len(classes), size=n)]


@pytest.fixture(scope="module")
def model() -> LSTMAttentionClassifier:
    y = _labels(600, seed=0)
    return LSTMAttentionClassifier(random_state=0, **SMALL).fit(_corpus(y, seed=0), y)


def test_learns_a_separable_corpus_with_string_labels(model):
    y = _labels(300, seed=1)
    X = _corpus(y, seed=1)
    assert model.classes_.tolist() == ["negative", "neutral", "positive"]
    predicted = model.predict(X)
    assert predicted.dtype == model.classes_.dtype
    assert np.mean(predicted == y) >= 0.9
    proba = model.predict_proba(X)
    assert proba.shape == (300, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_history_records_a_falling_training_loss(model):
    assert model.history_.columns.tolist() == ["epoch", "train_loss"]
    assert model.history_["epoch"].tolist() == list(range(1, 16))
    assert model.n_iter_ == 15
    assert model.history_["train_loss"].iloc[-1] < 0.5 * model.history_["train_loss"].iloc[0]


def test_binary_labels_reach_a_high_held_out_roc_auc():
    y = np.random.RandomState(2).randint(2, size=300)
    clf = LSTMAttentionClassifier(random_state=0, **SMALL).fit(_corpus(y, seed=2), y)
    y_test = np.random.RandomState(3).randint(2, size=200)
    score = clf.predict_proba(_corpus(y_test, seed=3))[:, 1]
    assert clf.classes_.tolist() == [0, 1]
    assert roc_auc_score(y_test, score) >= 0.95


def test_attention_peaks_on_the_one_signal_word_among_filler(model):
    y = _labels(100, seed=4, classes=("negative", "positive"))
    docs = _corpus(y, seed=4, signal=(1, 2), filler=(30, 40))
    hits = [tokens[int(np.argmax(w))] in SIGNAL for tokens, w in model.attention(docs)]
    assert np.mean(hits) >= 0.9


def test_top_passages_hold_the_signal_word(model):
    y = _labels(50, seed=5, classes=("negative", "positive"))
    docs = _corpus(y, seed=5, signal=(1, 2), filler=(30, 40))
    found = model.top_passages(docs, k=2, width=5)
    assert all(len(passages) == 2 for passages in found)
    strongest = [passages[0][0] for passages in found]
    assert np.mean([bool(SIGNAL & set(text.split())) for text in strongest]) >= 0.9
    for passages in found:
        assert all(len(text.split()) == 5 for text, _ in passages)
        weights = [weight for _, weight in passages]
        assert weights == sorted(weights, reverse=True)
        assert sum(weights) <= 1.0 + 1e-9  # windows do not overlap


def test_top_passages_of_short_and_empty_documents(model):
    found = model.top_passages(["loss widened", ""], k=3, width=12)
    assert [text for text, _ in found[0]] == ["loss widened"]
    assert found[0][0][1] == pytest.approx(1.0)
    assert found[1] == []


def test_top_passages_refuses_bad_arguments(model):
    with pytest.raises(ValueError, match=r"k >= 0 and width >= 1 .*got k=3 and width=0"):
        model.top_passages(["loss"], k=3, width=0)


def test_padding_receives_no_attention_and_does_not_change_a_document(model):
    short = "quarter loss board"
    long = " ".join(["company"] * 50 + ["profit"])
    (tokens, weights), _ = model.attention([short, long])
    assert tokens == ["quarter", "loss", "board"]
    assert weights.shape == (3,)
    assert weights.sum() == pytest.approx(1.0, abs=1e-9)
    assert np.all(weights >= 0)
    # scored beside a long document (so padded to 51 tokens) or alone: the same result
    _, alone_weights = model.attention([short])[0]
    np.testing.assert_allclose(weights, alone_weights, atol=1e-6)
    np.testing.assert_allclose(
        model.predict_proba([short, long])[0], model.predict_proba([short])[0], atol=1e-6
    )


def test_masked_softmax_gives_padding_exact_zeros_and_empty_rows_no_nan():
    from finwarn.text._torch import masked_softmax

    scores = torch.tensor([[1.0, 2.0, 50.0], [0.5, 0.1, 0.3]])
    mask = torch.tensor([[True, True, False], [False, False, False]])
    weights = masked_softmax(scores, mask)
    assert weights[0, 2].item() == 0.0
    assert weights[0].sum().item() == pytest.approx(1.0)
    assert torch.equal(weights[1], torch.zeros(3))


def test_an_empty_document_gets_probabilities_and_no_attention(model):
    proba = model.predict_proba(["", None])
    assert np.all(np.isfinite(proba))
    tokens, weights = model.attention([""])[0]
    assert tokens == [] and weights.shape == (0,)


def test_documents_are_cut_at_max_words(model):
    head = " ".join(["company"] * 60)
    doc = head + " loss impairment default"
    tokens, weights = model.attention([doc])[0]
    assert len(tokens) == len(weights) == 60
    assert not SIGNAL & set(tokens)
    np.testing.assert_array_equal(model.predict_proba([doc]), model.predict_proba([head]))


def test_same_random_state_gives_the_same_model_and_another_does_not():
    y = _labels(150, seed=6)
    X = _corpus(y, seed=6)
    params = {**SMALL, "epochs": 3}
    a = LSTMAttentionClassifier(random_state=1, **params).fit(X, y)
    b = LSTMAttentionClassifier(random_state=1, **params).fit(X, y)
    c = LSTMAttentionClassifier(random_state=2, **params).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    pd.testing.assert_frame_equal(a.history_, b.history_)
    assert not np.allclose(a.predict_proba(X), c.predict_proba(X))


_HASH_SEED_SCRIPT = textwrap.dedent(
    """
    import hashlib
    import numpy as np
    from finwarn.text._lstm import LSTMAttentionClassifier

    words = "profit loss growth default board quarter sales market".split()
    rng = np.random.RandomState(0)
    docs = [" ".join(rng.choice(words, 8)) for _ in range(60)]
    y = [int("loss" in d) for d in docs]
    model = LSTMAttentionClassifier(hidden_size=4, attention_size=4, epochs=2).fit(docs, y)
    print(hashlib.sha256(model.embedder_.vectors_.tobytes()).hexdigest())
    print(hashlib.sha256(model.predict_proba(docs).tobytes()).hexdigest())
    """
)


@pytest.mark.slow
def test_results_do_not_depend_on_pythonhashseed():
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", _HASH_SEED_SCRIPT],
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for hash_seed in ("1", "2")
    ]
    outputs = []
    for run in runs:
        stdout, stderr = run.communicate(timeout=120)
        assert run.returncode == 0, stderr
        outputs.append(stdout.split())
    assert len(outputs[0]) == 2
    assert outputs[0] == outputs[1]


def test_a_dataframe_is_read_through_its_text_column(model):
    docs = _corpus(_labels(20, seed=7), seed=7)
    frame = pd.DataFrame({"roa": np.arange(20.0), "text": docs})
    np.testing.assert_array_equal(model.predict_proba(frame), model.predict_proba(docs))
    np.testing.assert_array_equal(
        model.predict_proba(np.asarray(docs, dtype=object)[:, None]), model.predict_proba(docs)
    )


def test_a_missing_text_column_is_named_with_the_columns_there_are(model):
    frame = pd.DataFrame({"roa": [0.1], "txt": ["loss"]})
    with pytest.raises(
        DataValidationError,
        match=r"X has no text column 'text'; its columns are 'roa', 'txt'\. Set text_column .*"
        r"Did you mean 'txt'\?",
    ):
        model.predict(frame)


def test_documents_that_are_not_strings_are_refused(model):
    with pytest.raises(
        DataValidationError, match=r"expects documents as strings .* 1 are not: 'row 1: int 7'"
    ):
        model.predict(["loss", 7])


def test_fit_refuses_a_single_class_and_mismatched_lengths():
    with pytest.raises(ValueError, match="at least two classes in y, got only one class: 'a'"):
        LSTMAttentionClassifier(**SMALL).fit(["loss", "profit"], ["a", "a"])
    with pytest.raises(ValueError, match="X has 2 rows but y has 3 labels"):
        LSTMAttentionClassifier(**SMALL).fit(["loss", "profit"], [0, 1, 0])


def test_class_weight_names_only_labels_of_y():
    y = ["negative", "positive"] * 5
    with pytest.raises(
        ValueError,
        match=r"class_weight names labels that are not in y: 'negativ'; the classes are "
        r"'negative', 'positive'\.",
    ):
        LSTMAttentionClassifier(class_weight={"negativ": 3.0}, **SMALL).fit(_corpus(y, 0), y)


def test_class_weight_shifts_predictions_to_the_weighted_class():
    # the documents say nothing, so the best probability is the weighted share: 4 / 5
    y = np.array([0, 1] * 40)
    X = ["company board quarter"] * 80
    towards_one = LSTMAttentionClassifier(class_weight={0: 1.0, 1: 4.0}, **SMALL).fit(X, y)
    towards_zero = LSTMAttentionClassifier(class_weight={0: 4.0, 1: 1.0}, **SMALL).fit(X, y)
    assert towards_one.predict_proba(X[:1])[0, 1] == pytest.approx(0.8, abs=0.1)
    assert towards_zero.predict_proba(X[:1])[0, 1] == pytest.approx(0.2, abs=0.1)


def test_a_fit_that_fails_halfway_leaves_an_unfitted_model():
    clf = LSTMAttentionClassifier(**SMALL)
    with pytest.raises(DataValidationError):
        clf.fit(["loss", 3], [0, 1])
    assert hasattr(clf, "classes_")
    with pytest.raises(NotFittedError):
        clf.predict(["loss"])


def test_invalid_parameters_are_refused_at_fit():
    with pytest.raises(ValueError, match="'hidden_size' parameter of LSTMAttentionClassifier"):
        LSTMAttentionClassifier(hidden_size=0).fit(["loss", "profit"], [0, 1])


def test_an_unfitted_model_refuses_to_predict():
    clf = LSTMAttentionClassifier()
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)
    for method in (clf.predict, clf.predict_proba, clf.attention, clf.top_passages):
        with pytest.raises(NotFittedError):
            method(["loss"])


def test_clone_and_get_params(model):
    check_is_fitted(model)
    copy = clone(model)
    assert copy.get_params()["hidden_size"] == 16
    assert copy.get_params()["embedder__vector_size"] == 16
    assert not hasattr(copy, "module_")
    copy.set_params(embedder__vector_size=8, epochs=1)
    assert copy.embedder.vector_size == 8


def test_a_fitted_embedder_is_used_as_it_is_and_frozen_survives_clone():
    y = _labels(120, seed=8)
    X = _corpus(y, seed=8)
    embedder = Word2VecEmbedder(vector_size=8, epochs=2).fit(X + ["unusual words only here"] * 2)
    params = {**SMALL, "epochs": 1}
    params.pop("embedder")
    clf = LSTMAttentionClassifier(embedder=embedder, **params).fit(X, y)
    assert clf.embedder_ is embedder
    frozen = clone(LSTMAttentionClassifier(embedder=FrozenEstimator(embedder), **params))
    assert frozen.fit(X, y).embedder_.vocabulary_ == embedder.vocabulary_
    refitted = clone(clf).fit(X, y)  # plain clone: word2vec trained again on X
    assert "unusual" not in refitted.embedder_.vocabulary_


def test_frozen_embeddings_stay_as_word2vec_made_them():
    y = _labels(120, seed=9)
    X = _corpus(y, seed=9)
    params = {**SMALL, "epochs": 2, "freeze_embeddings": True}
    clf = LSTMAttentionClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(
        clf.module_.text.embedding.weight.detach().numpy(), clf.embedder_.vectors_
    )


def test_bidirectional_lstm_attends_over_real_tokens_only():
    y = _labels(120, seed=10)
    X = _corpus(y, seed=10)
    clf = LSTMAttentionClassifier(bidirectional=True, random_state=0, **{**SMALL, "epochs": 2})
    clf.fit(X, y)
    assert clf.module_.text.out_features == 32
    for tokens, weights in clf.attention(["loss", X[0], ""]):
        assert len(weights) == len(tokens)
        assert weights.sum() == pytest.approx(1.0 if tokens else 0.0)
    np.testing.assert_allclose(
        clf.predict_proba(["board loss", X[0]])[0], clf.predict_proba(["board loss"])[0], atol=1e-6
    )


def test_fit_leaves_global_torch_state_alone():
    y = _labels(60, seed=11)
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    threads = torch.get_num_threads()
    LSTMAttentionClassifier(**{**SMALL, "epochs": 1}).fit(_corpus(y, seed=11), y)
    assert torch.equal(torch.rand(3), expected_next)
    assert torch.get_num_threads() == threads


def test_a_pickled_model_predicts_the_same(model):
    docs = _corpus(_labels(10, seed=12), seed=12)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(docs), model.predict_proba(docs))
    digest = hashlib.sha256(restored.embedder_.vectors_.tobytes()).hexdigest()
    assert digest == hashlib.sha256(model.embedder_.vectors_.tobytes()).hexdigest()
