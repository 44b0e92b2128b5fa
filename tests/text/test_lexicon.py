"""The Loughran-McDonald word lists and the LMFeatures transformer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from finwarn.exceptions import DataValidationError
from finwarn.text._lexicon import LM_CATEGORIES, LM_FEATURES, LMFeatures, load_lm_dictionary

# a tiny master dictionary: flags are the year a word was added (not 0/1), Modal is
# coded 1 strong / 2 moderate / 3 weak, and NULL is a word, not a missing value
TINY = """Word,Sequence Number,Negative,Positive,Uncertainty,Litigious,Constraining,Modal,Source
LOSS,1,2009,0,0,0,0,0,2018
LITIGATION,2,2009,0,0,2011,0,0,2018
GAIN,3,0,2009,0,0,0,0,2018
ACHIEVE,4,0,2014,0,0,0,0,2018
MAY,5,0,0,2009,0,0,3,2018
MUST,6,0,0,0,0,2009,1,2018
SHOULD,7,0,0,0,0,0,2,2018
NULL,8,2012,0,0,0,0,0,2018
PROFIT,9,0,0,0,0,0,0,2018
"""


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny_lm.csv"
    path.write_text(TINY, encoding="ascii")
    return path


def test_default_dictionary_has_the_2018_category_sizes():
    lm = load_lm_dictionary()
    assert tuple(lm) == LM_CATEGORIES
    sizes = {name: len(words) for name, words in lm.items()}
    # ../shared/data/text/README.md: Negative 2,355, Positive 354, Uncertainty 297,
    # Litigious 904, Constraining 184; Modal 60 = 19 strong + 14 moderate + 27 weak
    assert sizes == {
        "negative": 2355,
        "positive": 354,
        "uncertainty": 297,
        "litigious": 904,
        "constraining": 184,
        "strong_modal": 19,
        "weak_modal": 27,
    }
    assert all(isinstance(words, frozenset) for words in lm.values())


@pytest.mark.parametrize(
    ("word", "inside", "outside"),
    [
        ("LOSS", {"negative"}, {"positive"}),
        ("BANKRUPTCY", {"negative"}, {"positive", "litigious"}),
        ("LITIGATION", {"negative", "litigious"}, {"positive"}),
        ("ACHIEVE", {"positive"}, {"negative"}),
        ("IMPROVED", {"positive"}, {"negative"}),
        ("MAY", {"uncertainty", "weak_modal"}, {"strong_modal"}),
        ("COULD", {"uncertainty", "weak_modal"}, {"strong_modal"}),
        ("MUST", {"strong_modal"}, {"weak_modal"}),
        ("PROFIT", set(), {"negative", "positive"}),  # not a tone word in finance
    ],
)
def test_default_dictionary_knows_finance_words(word, inside, outside):
    lm = load_lm_dictionary()
    assert all(word in lm[name] for name in inside)
    assert not any(word in lm[name] for name in outside)


def test_default_load_is_cached_and_callers_cannot_change_the_cache():
    first = load_lm_dictionary()
    first["negative"] = frozenset()
    second = load_lm_dictionary()
    assert len(second["negative"]) == 2355
    assert second["positive"] is load_lm_dictionary()["positive"]


def test_custom_file_flags_are_years_and_modal_codes_split_strength(tiny):
    lm = load_lm_dictionary(tiny)
    assert lm["negative"] == {"LOSS", "LITIGATION", "NULL"}  # NULL read as a word, not NaN
    assert lm["positive"] == {"GAIN", "ACHIEVE"}  # 2014 counts like 2009
    assert lm["litigious"] == {"LITIGATION"}
    assert lm["strong_modal"] == {"MUST"} and lm["weak_modal"] == {"MAY"}  # 2 is moderate
    assert lm["constraining"] == {"MUST"}


def test_newer_release_with_strong_and_weak_modal_columns(tmp_path):
    path = tmp_path / "LoughranMcDonald_MasterDictionary_2023.csv"
    path.write_text(
        "Word,Negative,Positive,Uncertainty,Litigious,Strong_Modal,Weak_Modal,Constraining\n"
        "always,0,0,0,0,2009,0,0\nmight,0,0,2009,0,0,2009,0\n",
        encoding="utf-8",
    )
    lm = load_lm_dictionary(path)
    assert lm["strong_modal"] == {"ALWAYS"} and lm["weak_modal"] == {"MIGHT"}  # upper-cased


def test_missing_file_is_named(tmp_path):
    path = tmp_path / "nowhere.csv"
    with pytest.raises(DataValidationError, match=r"nowhere\.csv: Loughran-McDonald .* not found"):
        load_lm_dictionary(path)


def test_missing_column_names_file_and_column(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text(TINY.replace(",Constraining", ""), encoding="ascii")
    with pytest.raises(
        DataValidationError,
        match=r"short\.csv: the Loughran-McDonald dictionary lacks the "
        r"column\(s\) 'Constraining'\.",
    ):
        load_lm_dictionary(path)


def test_misspelt_column_gets_a_suggestion(tmp_path):
    path = tmp_path / "typo.csv"
    path.write_text(TINY.replace("Negative", "Negatve"), encoding="ascii")
    with pytest.raises(
        DataValidationError, match=r"typo\.csv: .*'Negative'\. Did you mean 'Negatve'\?"
    ):
        load_lm_dictionary(path)


def test_non_numeric_flag_names_file_column_and_line(tmp_path):
    path = tmp_path / "text_flag.csv"
    path.write_text(TINY.replace("GAIN,3,0,2009", "GAIN,3,0,yes"), encoding="ascii")
    with pytest.raises(
        DataValidationError,
        match=r"text_flag\.csv: column 'Positive' holds non-numeric flags on line\(s\) 4: 'yes'",
    ):
        load_lm_dictionary(path)


def test_shares_and_net_tone_by_hand(tiny):
    docs = [
        # 9 tokens once "EUR 5 mn", "12 %" and "." go: loss and litigation may offset the
        # gain of and; negative LOSS, LITIGATION; positive GAIN; MAY uncertain; LITIGATION
        "Loss and litigation may offset the GAIN of EUR 5 mn and 12 % .",
        "We achieve a gain , a gain , a GAIN !",  # 8 tokens, 4 positive, no negative
        "profit",  # no tone word
        "",
        None,
    ]
    out = LMFeatures(dictionary=tiny).fit_transform(docs)
    assert list(out.columns) == list(LM_FEATURES)
    expected = np.array(
        [
            [2 / 9, 1 / 9, 1 / 9, 1 / 9, 0, (1 - 2) / (1 + 2)],
            [0, 4 / 8, 0, 0, 0, 1.0],
            [0, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 0],
        ]
    )
    np.testing.assert_allclose(out.to_numpy(), expected)


def test_default_dictionary_features_on_a_sentence():
    out = LMFeatures().fit_transform(["Losses rose and we could not achieve growth ."])
    # 8 tokens: LOSSES negative, COULD uncertainty, ACHIEVE positive
    assert out.iloc[0].to_dict() == pytest.approx(
        {name: v for name, v in zip(LM_FEATURES, [1 / 8, 1 / 8, 1 / 8, 0, 0, 0], strict=True)}
    )


def test_frame_with_text_column_keeps_the_index(tiny):
    frame = pd.DataFrame(
        {"firm": ["A", "B"], "text": ["loss loss gain", "gain"]}, index=["y2020", "y2021"]
    )
    out = LMFeatures(dictionary=tiny, text_column="text").fit(frame).transform(frame)
    assert list(out.index) == ["y2020", "y2021"]
    assert out["lm_net_tone"].tolist() == pytest.approx([-1 / 3, 1.0])
    one_column = LMFeatures(dictionary=tiny).fit_transform(frame[["text"]])
    pd.testing.assert_frame_equal(one_column, out)


def test_unknown_text_column_suggests_one(tiny):
    frame = pd.DataFrame({"report_text": ["loss"]})
    with pytest.raises(
        DataValidationError,
        match=r"text column 'report_txt' is not in the frame\. Did you mean 'report_text'\?",
    ):
        LMFeatures(dictionary=tiny, text_column="report_txt").fit(frame)


def test_text_column_needs_a_frame(tiny):
    with pytest.raises(
        DataValidationError, match=r"text_column='text' needs a DataFrame, got list"
    ):
        LMFeatures(dictionary=tiny, text_column="text").fit(["loss"])


def test_bad_dictionary_fails_at_fit_not_init(tmp_path):
    estimator = LMFeatures(dictionary=tmp_path / "missing.csv")
    assert clone(estimator).get_params()["dictionary"] == tmp_path / "missing.csv"
    with pytest.raises(DataValidationError, match=r"missing\.csv: .* not found"):
        estimator.fit(["loss"])


def test_transform_before_fit_and_feature_names(tiny):
    with pytest.raises(NotFittedError):
        LMFeatures(dictionary=tiny).transform(["loss"])
    assert LMFeatures().get_feature_names_out().tolist() == list(LM_FEATURES)
