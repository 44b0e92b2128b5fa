"""Principal-component screening of first-level elements."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from finwarn.weighting import EntropyWeighter, Hierarchy, screen_elements

NAN = np.nan


def quantities(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Two strongly related solvency elements, one related profitability element, noise."""
    rng = np.random.default_rng(seed)
    risk = rng.uniform(size=n)
    return pd.DataFrame(
        {
            "solvency__leverage": risk + rng.normal(0, 0.05, n),
            "solvency__liquidity": rng.uniform(size=n),
            "profitability__margins": risk + rng.normal(0, 0.2, n),
            "profitability__returns": rng.uniform(size=n),
            "cash_flow__coverage": rng.uniform(size=n),
        }
    )


def test_variance_table_matches_pca_on_standardised_quantities():
    data = quantities()
    screening = screen_elements(data, variance=0.8)
    reference = PCA().fit(StandardScaler().fit_transform(data))
    table = screening.table()
    assert list(table.columns) == ["component", "explained_variance_ratio", "cumulative", "kept"]
    assert table["component"].tolist() == ["PC1", "PC2", "PC3", "PC4", "PC5"]
    np.testing.assert_allclose(
        table["explained_variance_ratio"], reference.explained_variance_ratio_
    )
    np.testing.assert_allclose(table["cumulative"], np.cumsum(reference.explained_variance_ratio_))
    assert table["cumulative"].iloc[-1] == pytest.approx(1.0)
    # the fewest components reaching 80%
    k = screening.n_components
    assert table["kept"].tolist() == [True] * k + [False] * (5 - k)
    assert table["cumulative"].iloc[k - 1] >= 0.8 > table["cumulative"].iloc[k - 2]


@pytest.mark.parametrize(("variance", "expected"), [(0.01, 1), (1.0, 5)])
def test_extreme_variance_shares(variance, expected):
    assert screen_elements(quantities(), variance=variance).n_components == expected


def test_loadings_are_correlations_with_the_components_and_contributions_sum_to_one():
    data = quantities()
    screening = screen_elements(data, variance=0.8)
    standard = StandardScaler().fit_transform(data)
    reference = PCA().fit(standard)
    scores = reference.transform(standard)
    for k, name in enumerate(screening.loadings.columns):
        corr = [np.corrcoef(standard[:, j], scores[:, k])[0, 1] for j in range(data.shape[1])]
        np.testing.assert_allclose(np.abs(screening.loadings[name]), np.abs(corr), atol=1e-6)
        # signs chosen so that the loadings sum to a positive value
        assert screening.loadings[name].sum() > 0
    assert screening.contribution.sum() == pytest.approx(1.0)
    # contribution = sum_k var_k v_jk^2 / sum_k var_k = sum_k loading_jk^2 / sum_k var_k
    kept = reference.explained_variance_[: screening.n_components] * 299 / 300
    np.testing.assert_allclose(
        screening.contribution, (screening.loadings**2).sum(axis=1) / kept.sum()
    )


def test_selects_the_elements_that_carry_the_shared_risk_per_dimension():
    screening = screen_elements(quantities(), variance=0.3)
    assert screening.n_components == 1
    assert screening.selected == {
        "solvency": ("solvency__leverage",),
        "profitability": ("profitability__margins",),
        "cash_flow": ("cash_flow__coverage",),
    }
    two = screen_elements(quantities(), variance=0.3, per_dimension=2)
    assert two.selected["solvency"] == ("solvency__leverage", "solvency__liquidity")
    table = screening.loadings_table()
    assert list(table.columns) == ["element", "dimension", "PC1", "contribution", "selected"]
    assert table["element"].tolist() == [
        "solvency__leverage",
        "solvency__liquidity",
        "profitability__margins",
        "profitability__returns",
        "cash_flow__coverage",
    ]
    assert table["selected"].tolist() == [True, False, True, False, True]


def test_rows_with_missing_quantities_are_left_out_and_counted(caplog):
    data = quantities()
    data.iloc[[0, 5], 1] = NAN
    with caplog.at_level(logging.INFO, logger="finwarn.weighting"):
        screening = screen_elements(data)
    assert (screening.n_samples, screening.n_dropped) == (298, 2)
    assert caplog.messages == [
        "screen_elements: 2 of 300 rows have a missing quantity and are left out"
    ]
    np.testing.assert_allclose(
        screening.explained_variance_ratio,
        screen_elements(data.dropna()).explained_variance_ratio,
    )


def test_dimensions_from_a_mapping_or_a_hierarchy():
    data = quantities().iloc[:, :3]
    data.columns = ["lev", "liq", "mar"]
    mapping = {"lev": "solvency", "liq": "solvency", "mar": "profitability"}
    assert screen_elements(data, dimensions=mapping).dimensions == mapping
    h = Hierarchy.from_dict(
        {
            "dimensions": {
                "solvency": {
                    "elements": {
                        "lev": {"indicators": {"a": "riskier"}},
                        "liq": {"indicators": {"b": "safer"}},
                    }
                },
                "profitability": {"elements": {"mar": {"indicators": {"c": "safer"}}}},
            }
        }
    )
    assert screen_elements(data, dimensions=h).dimensions == mapping


def test_on_entropy_weighter_output():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.lognormal(size=(100, 4)), columns=["cr", "qr", "dr", "roa"])
    h = Hierarchy.from_dict(
        {
            "dimensions": {
                "solvency": {
                    "elements": {
                        "liquidity": {"indicators": {"cr": "safer", "qr": "safer"}},
                        "leverage": {"indicators": {"dr": "riskier"}},
                    }
                },
                "profitability": {"elements": {"returns": {"indicators": {"roa": "safer"}}}},
            }
        }
    )
    weighter = EntropyWeighter(hierarchy=h).set_output(transform="pandas")
    screening = screen_elements(weighter.fit_transform(X))
    assert set(screening.selected) == {"solvency", "profitability"}
    assert screening.selected["profitability"] == ("profitability__returns",)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("variance", [0, 1.5, -0.1, True])
def test_variance_must_be_a_share(variance):
    with pytest.raises(
        ValueError,
        match=rf"variance is the share of variance the kept components explain, in \(0, 1\]; "
        rf"got {variance!r}\. For example variance=0\.9\.",
    ):
        screen_elements(quantities(), variance=variance)


def test_per_dimension_must_be_positive():
    with pytest.raises(ValueError, match=r"per_dimension is the number of elements selected"):
        screen_elements(quantities(), per_dimension=0)


def test_columns_need_a_dimension():
    with pytest.raises(
        ValueError,
        match=r"no dimension for the column\(s\) 'liquidity': name the columns "
        r"'dimension__element' \(as EntropyWeighter does\), or pass dimensions= a mapping "
        r"from column to dimension or a Hierarchy\.",
    ):
        screen_elements(quantities().rename(columns={"solvency__liquidity": "liquidity"}))


def test_too_few_rows_or_no_variance():
    with pytest.raises(
        ValueError,
        match=r"screen_elements needs at least two rows without missing quantities; got 1 "
        r"\(of 2\)\. Pass more firms\.",
    ):
        screen_elements(pd.DataFrame({"a__b": [1.0, NAN], "a__c": [1.0, 2.0]}))
    with pytest.raises(ValueError, match=r"every element quantity is constant"):
        screen_elements(pd.DataFrame({"a__b": [1.0, 1.0], "a__c": [2.0, 2.0]}))


def test_quantities_must_be_a_dataframe():
    with pytest.raises(ValueError, match=r"quantities must be a pandas DataFrame"):
        screen_elements(np.ones((3, 2)))  # type: ignore[arg-type]
