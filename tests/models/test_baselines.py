"""Tests of the baseline builders: logistic regression and LightGBM."""

from __future__ import annotations

import pytest

from finwarn.models import make_lightgbm, make_logit


def test_logit_is_class_weighted_by_default():
    assert make_logit().class_weight == "balanced"
    assert make_logit(class_weight=None).class_weight is None


def test_lightgbm_uses_one_thread_by_default():
    assert make_lightgbm().n_jobs == 1


@pytest.mark.parametrize(("n_jobs", "expected"), [(None, 2), (-1, 2), (1, 1), (2, 2), (16, 2)])
def test_lightgbm_uses_at_most_two_threads(n_jobs, expected):
    assert make_lightgbm(n_jobs=n_jobs).n_jobs == expected


def test_lightgbm_is_quiet_deterministic_and_class_weighted():
    model = make_lightgbm(random_state=4)
    params = model.get_params()
    assert params["verbose"] == -1
    assert params["deterministic"] is True
    assert params["class_weight"] == "balanced"
    assert params["random_state"] == 4
