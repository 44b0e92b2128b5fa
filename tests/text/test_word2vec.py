"""Tests of Word2VecEmbedder: skip-gram word2vec and documents as index matrices."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from finwarn.exceptions import DataValidationError, ModelCompatibilityError
from finwarn.text._word2vec import PAD, UNKNOWN, Word2VecEmbedder

pytest.importorskip("gensim")

NEG = "loss decline impairment default writedown shortfall".split()
POS = "growth profit record increase expansion surplus".split()
FILLER = "company quarter board annual period market sales group".split()
SMALL = {"vector_size": 16, "epochs": 5}


def _corpus(n: int = 300, seed: int = 0) -> list[str]:
    """Documents of one tone: five words of its pool among five filler words."""
    rng = np.random.RandomState(seed)
    docs = []
    for i in range(n):
        pool = NEG if i % 2 else POS
        words = [*rng.choice(pool, 5), *rng.choice(FILLER, 5)]
        rng.shuffle(words)
        docs.append(" ".join(words))
    return docs


@pytest.fixture(scope="module")
def fitted() -> Word2VecEmbedder:
    return Word2VecEmbedder(window=2, epochs=20, vector_size=16, max_words=6).fit(_corpus())


def test_vocabulary_starts_with_padding_and_unknown_whose_vectors_are_zero(fitted):
    assert fitted.vocabulary_[:2] == [PAD, UNKNOWN]
    assert set(fitted.vocabulary_[2:]) == set(NEG + POS + FILLER)
    assert fitted.vectors_.shape == (len(fitted.vocabulary_), 16)
    assert fitted.vectors_.dtype == np.float32
    np.testing.assert_array_equal(fitted.vectors_[:2], 0.0)
    assert np.all(np.abs(fitted.vectors_[2:]).sum(axis=1) > 0)
    assert fitted.n_documents_ == 300
    assert fitted.n_tokens_ == 3000


def test_transform_cuts_at_max_words_and_pads_with_zeros(fitted):
    docs = ["Loss, loss and more loss: 12% default on 3 March 2020 for the group board.", "growth"]
    indices = fitted.transform(docs)
    assert indices.shape == (2, 6)
    assert indices.dtype == np.int64
    tokens = fitted.tokens(docs)
    assert tokens == [["loss", "loss", "and", "more", "loss", "default"], ["growth"]]
    expected = [fitted.index_.get(word, 1) for word in tokens[0]]
    assert indices[0].tolist() == expected
    assert indices[0, 2] == 1  # "and" is unknown
    assert indices[1].tolist() == [fitted.index_["growth"], 0, 0, 0, 0, 0]
    assert fitted.tokens(docs, max_words=2) == [["loss", "loss"], ["growth"]]


def test_missing_documents_are_empty(fitted):
    np.testing.assert_array_equal(fitted.transform([None, np.nan, ""]), 0)
    assert fitted.tokens(pd.Series([None, "Profit"])) == [[], ["profit"]]


def test_skip_gram_places_words_of_one_tone_together(fitted):
    unit = fitted.vectors_ / np.linalg.norm(fitted.vectors_, axis=1, keepdims=True).clip(1e-12)

    def cosine(a: str, b: str) -> float:
        return float(unit[fitted.index_[a]] @ unit[fitted.index_[b]])

    # every tone word is closer, on average, to the words of its own tone than to the others
    for pool, other in [(NEG, POS), (POS, NEG)]:
        for word in pool:
            same = np.mean([cosine(word, w) for w in pool if w != word])
            assert same > np.mean([cosine(word, w) for w in other]), word


def test_most_similar_names_a_close_word_for_an_unknown_one(fitted):
    with pytest.raises(KeyError, match=r"'los' is not in the vocabulary.*Did you mean 'loss'"):
        fitted.most_similar("los")


def test_same_seed_gives_the_same_vectors_and_another_seed_does_not():
    docs = _corpus(100)
    a = Word2VecEmbedder(random_state=3, **SMALL).fit(docs)
    b = Word2VecEmbedder(random_state=3, **SMALL).fit(docs)
    c = Word2VecEmbedder(random_state=4, **SMALL).fit(docs)
    assert a.vocabulary_ == b.vocabulary_ == c.vocabulary_
    np.testing.assert_array_equal(a.vectors_, b.vectors_)
    assert not np.allclose(a.vectors_, c.vectors_)


def test_a_report_longer_than_gensims_sentence_limit_is_trained_to_the_end():
    # gensim stops training on a "sentence" after 10,000 words: words found only later
    # would keep their random initial vectors (norm about 0.2 here) without chunking
    rng = np.random.RandomState(0)
    tail = list(rng.choice(NEG + POS, 3000))
    report = " ".join(["company", "board", "quarter"] * 3400 + tail)
    embedder = Word2VecEmbedder(vector_size=8, epochs=1, sample=0).fit([report])
    assert embedder.n_tokens_ == 13_200
    for word in ("impairment", "profit"):
        assert np.linalg.norm(embedder.vectors_[embedder.index_[word]]) > 1.0


def test_save_and_load_round_trip(fitted, tmp_path):
    path = fitted.save(tmp_path / "w2v.npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w2v.npz"]  # no temp file left
    loaded = Word2VecEmbedder.load(path)
    assert loaded.vocabulary_ == fitted.vocabulary_
    np.testing.assert_array_equal(loaded.vectors_, fitted.vectors_)
    assert loaded.get_params() == fitted.get_params()
    docs = ["profit record", "impairment loss default"]
    np.testing.assert_array_equal(loaded.transform(docs), fitted.transform(docs))


def test_load_refuses_a_file_that_is_not_an_embedder(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, weights=np.zeros(3))
    with pytest.raises(ModelCompatibilityError, match=r"other\.npz: not a word2vec embedder"):
        Word2VecEmbedder.load(path)


def test_too_little_text_for_min_count_is_refused():
    with pytest.raises(
        DataValidationError,
        match=r"no word occurs at least min_count=2 times in the 2 training documents "
        r"\(3 tokens after cleaning\)\. Give more text or lower min_count",
    ):
        Word2VecEmbedder(**SMALL).fit(["profit rose", "loss 12%"])


def test_documents_that_are_not_strings_are_named():
    with pytest.raises(
        DataValidationError, match=r"2 are not: 'row b: int 5', \"row c: list \['loss'\]\""
    ):
        Word2VecEmbedder().fit(pd.Series(["profit", 5, ["loss"]], index=["a", "b", "c"]))


def test_one_string_instead_of_a_list_is_refused():
    with pytest.raises(DataValidationError, match="got one string; wrap it in a list"):
        Word2VecEmbedder().fit("profit rose")


def test_transform_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError):
        Word2VecEmbedder().transform(["profit"])


def test_chinese_documents_are_segmented_by_jieba():
    pytest.importorskip("jieba")
    docs = ["公司净利润大幅增长 营业收入创新高。", "公司出现巨额亏损 债务违约风险上升。"] * 10
    embedder = Word2VecEmbedder(language="zh", **SMALL).fit(docs)
    assert "亏损" in embedder.vocabulary_
    assert embedder.tokens(["公司亏损"]) == [["公司", "亏损"]]


def test_clone_keeps_parameters_and_drops_the_fit(fitted):
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "vectors_")


def test_missing_gensim_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "gensim", None)
    monkeypatch.setitem(sys.modules, "gensim.models", None)
    with pytest.raises(ImportError, match=r"pip install 'finwarn\[text\]'"):
        Word2VecEmbedder().fit(["profit"])
