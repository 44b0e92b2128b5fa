"""Tests of DropSparseColumns and sparse_rows (paper 001's missing-data thresholds)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from finwarn.cleaning import DropSparseColumns, sparse_rows

NAN = np.nan


def _frame() -> pd.DataFrame:
    # a: 0% missing, b: 25%, c: 50%, d: 100%
    return pd.DataFrame(
        {
            "a": [1.0, 2.0, 3.0, 4.0],
            "b": [1.0, NAN, 3.0, 4.0],
            "c": [NAN, NAN, 3.0, 4.0],
            "d": [NAN, NAN, NAN, NAN],
        }
    )


@pytest.mark.parametrize(
    ("max_missing", "kept"),
    [
        (0.0, ["a"]),
        (0.25, ["a", "b"]),
        (0.3, ["a", "b"]),
        (0.5, ["a", "b", "c"]),
        (1.0, ["a", "b", "c", "d"]),
    ],
)
def test_drop_sparse_columns_keeps_columns_at_or_below_the_threshold(max_missing, kept):
    drop = DropSparseColumns(max_missing=max_missing).fit(_frame())
    assert list(drop.get_feature_names_out()) == kept
    assert list(drop.dropped_) == [c for c in "abcd" if c not in kept]


def test_drop_sparse_columns_records_missing_shares():
    drop = DropSparseColumns().fit(_frame())
    np.testing.assert_allclose(drop.missing_share_, [0.0, 0.25, 0.5, 1.0])
    assert drop.dropped_ == {"c": 0.5, "d": 1.0}


def test_drop_sparse_columns_uses_training_shares_only():
    drop = DropSparseColumns(max_missing=0.3).fit(_frame())
    test = pd.DataFrame({"a": [NAN] * 3, "b": [NAN] * 3, "c": [1.0] * 3, "d": [2.0] * 3})
    out = drop.transform(test)
    # a and b are kept although they are entirely missing in the new data
    assert out.shape == (3, 2)
    assert np.isnan(out).all()


def test_drop_sparse_columns_set_output_pandas_keeps_names_and_index():
    X = _frame().set_axis([10, 11, 12, 13])
    out = DropSparseColumns().set_output(transform="pandas").fit_transform(X)
    assert list(out.columns) == ["a", "b"]
    assert list(out.index) == [10, 11, 12, 13]


def test_drop_sparse_columns_array_names():
    drop = DropSparseColumns(max_missing=0.3).fit(_frame().to_numpy())
    assert list(drop.get_feature_names_out()) == ["x0", "x1"]
    assert list(drop.dropped_) == ["x2", "x3"]


@pytest.mark.parametrize(
    "frame",
    [
        _frame(),
        _frame().astype({"a": "int64"}),  # other dtypes: scikit-learn's check converts them
        _frame().astype("Float64"),
        _frame().iloc[[1]],  # one firm
    ],
)
def test_drop_sparse_columns_frame_gives_the_array_result(frame):
    drop = DropSparseColumns(max_missing=0.3).fit(_frame())
    out = drop.transform(frame)
    assert isinstance(out, np.ndarray)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, frame.to_numpy(dtype=float)[:, :2])
    out[:] = 99.0  # the result is a copy, not a view of the caller's frame
    assert not (frame.to_numpy(dtype=float) == 99.0).any()


def test_drop_sparse_columns_keeps_a_sparse_frame_sparse():
    drop = DropSparseColumns(max_missing=0.3).fit(_frame())
    frame = _frame().fillna(0.0).astype(pd.SparseDtype("float64", 0.0))
    out = drop.transform(frame)
    assert sparse.issparse(out)
    np.testing.assert_array_equal(out.toarray(), frame.sparse.to_dense().to_numpy()[:, :2])


def test_drop_sparse_columns_refuses_columns_in_another_order():
    drop = DropSparseColumns().fit(_frame())
    with pytest.raises(ValueError, match="Feature names must be in the same order as they were"):
        drop.transform(_frame()[["b", "a", "c", "d"]])


def test_drop_sparse_columns_refuses_renamed_columns():
    drop = DropSparseColumns().fit(_frame())
    with pytest.raises(ValueError, match="Feature names seen at fit time, yet now missing:\n- a"):
        drop.transform(_frame().rename(columns={"a": "z"}))


def test_drop_sparse_columns_refuses_to_drop_every_column():
    X = pd.DataFrame({"p": [NAN, NAN, 1.0], "q": [NAN, NAN, NAN]})
    with pytest.raises(
        ValueError,
        match=r"DropSparseColumns\(max_missing=0.3\) would drop all 2 columns: each is missing "
        r"in more than 30% of the 3 training rows \(the most complete, 'p', is missing in 67%\)"
        r"\. Raise max_missing or fill the data upstream\.",
    ):
        DropSparseColumns(max_missing=0.3).fit(X)


@pytest.mark.parametrize("max_missing", [-0.1, 1.5, "half"])
def test_drop_sparse_columns_rejects_bad_threshold(max_missing):
    with pytest.raises(
        ValueError, match="The 'max_missing' parameter of DropSparseColumns must be"
    ):
        DropSparseColumns(max_missing=max_missing).fit(_frame())


def test_sparse_rows_flags_rows_over_the_limit_with_reasons():
    X = pd.DataFrame(
        [[1.0, 2.0, 3.0, 4.0], [NAN, NAN, 3.0, 4.0], [NAN, NAN, NAN, 4.0], [NAN] * 4],
        index=["ok", "half", "three_quarters", "empty"],
    )
    mask, reasons = sparse_rows(X, max_missing=0.5)
    assert mask.tolist() == [False, False, True, True]
    assert reasons.to_dict() == {
        "three_quarters": "75% of indicators missing (3 of 4, limit 50%)",
        "empty": "100% of indicators missing (4 of 4, limit 50%)",
    }


def test_sparse_rows_on_arrays_uses_positions():
    X = np.array([[NAN, NAN, 1.0], [1.0, 2.0, 3.0], [NAN, NAN, NAN]])
    mask, reasons = sparse_rows(X, max_missing=0.5)
    assert mask.tolist() == [True, False, True]
    assert reasons.index.tolist() == [0, 2]
    assert reasons[0] == "67% of indicators missing (2 of 3, limit 50%)"


def test_sparse_rows_treats_none_as_missing():
    X = pd.DataFrame({"a": [None, 1.0], "b": [None, "x"]}, dtype=object)
    mask, _ = sparse_rows(X, max_missing=0.5)
    assert mask.tolist() == [True, False]


def test_sparse_rows_without_flagged_rows_returns_empty_reasons():
    mask, reasons = sparse_rows(np.ones((3, 2)))
    assert not mask.any()
    assert reasons.empty


@pytest.mark.parametrize("max_missing", [-0.5, 2, "50%"])
def test_sparse_rows_rejects_bad_threshold(max_missing):
    with pytest.raises(
        ValueError,
        match=rf"max_missing must be a share between 0 and 1, got {max_missing!r}; "
        r"use 0.5 for paper 001's 50% threshold\.",
    ):
        sparse_rows(np.ones((2, 2)), max_missing=max_missing)
