"""Tests of BPNetClassifier: the BP network with an adaptive learning rate."""

from __future__ import annotations

import importlib
import io
import logging
import pickle
import sys

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_circles, make_classification
from sklearn.linear_model import LogisticRegression

from finwarn.models import BPNetClassifier

torch = pytest.importorskip("torch")

SMALL = {
    "hidden_layer_sizes": (16,),
    "max_epochs": 30,
    "batch_size": 32,
    "learning_rate": 0.01,
    "n_networks": 1,
}


def _data(n: int = 200, seed: int = 0, weights=None):
    return make_classification(
        n_samples=n,
        n_features=5,
        n_informative=3,
        n_redundant=0,
        weights=weights,
        random_state=seed,
    )


def test_same_seed_gives_the_same_model_and_other_seeds_differ():
    X, y = _data()
    a = BPNetClassifier(random_state=1, **SMALL).fit(X, y)
    b = BPNetClassifier(random_state=1, **SMALL).fit(X, y)
    c = BPNetClassifier(random_state=2, **SMALL).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    pd.testing.assert_frame_equal(a.history_, b.history_)
    assert not np.allclose(a.predict_proba(X), c.predict_proba(X))


def test_fit_leaves_global_torch_state_alone():
    X, y = _data()
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    threads = torch.get_num_threads()
    BPNetClassifier(random_state=0, dropout=0.2, **SMALL).fit(X, y)
    assert torch.equal(torch.rand(3), expected_next)
    assert torch.get_num_threads() == threads


def test_learns_a_nonlinear_problem_a_linear_model_cannot():
    X, y = make_circles(n_samples=400, noise=0.05, factor=0.5, random_state=0)
    linear = LogisticRegression().fit(X, y).score(X, y)
    net = BPNetClassifier(
        hidden_layer_sizes=(32, 16), learning_rate=0.01, max_epochs=150, random_state=0
    ).fit(X, y)
    assert linear < 0.7
    assert net.score(X, y) > 0.95


def test_balanced_class_weight_flags_more_of_the_rare_class():
    X, y = _data(n=600, weights=[0.95], seed=3)
    params = {**SMALL, "random_state": 0, "early_stopping": False}
    balanced = BPNetClassifier(class_weight="balanced", **params).fit(X, y)
    unweighted = BPNetClassifier(class_weight=None, **params).fit(X, y)
    n_flagged_balanced = int((balanced.predict(X) == 1).sum())
    n_flagged_unweighted = int((unweighted.predict(X) == 1).sum())
    assert n_flagged_balanced > 2 * n_flagged_unweighted


def test_class_weight_dict_is_applied_by_label():
    X, y = _data(n=300, weights=[0.9], seed=3)
    y = np.where(y == 1, "distress", "healthy")
    params = {**SMALL, "random_state": 0, "early_stopping": False}
    heavy = BPNetClassifier(class_weight={"distress": 20.0}, **params).fit(X, y)
    light = BPNetClassifier(class_weight={"distress": 1.0}, **params).fit(X, y)
    assert (heavy.predict(X) == "distress").sum() > (light.predict(X) == "distress").sum()


def test_unknown_label_in_class_weight_is_named():
    X, y = _data()
    with pytest.raises(
        ValueError,
        match=r"class_weight names labels that are not in y: \['bust'\]; the classes are "
        r"\[0, 1\]\.",
    ):
        BPNetClassifier(class_weight={"bust": 2.0}, **SMALL).fit(X, y)


def test_constant_schedule_keeps_the_learning_rate():
    X, y = _data()
    net = BPNetClassifier(lr_schedule="constant", random_state=0, **SMALL).fit(X, y)
    assert set(net.history_["learning_rate"]) == {0.01}


@pytest.mark.parametrize("early_stopping", [False, True])
def test_plateau_schedule_cuts_the_rate_by_lr_decay(early_stopping):
    # monitors the training loss without a validation split, the validation loss with one
    X, y = _data()
    net = BPNetClassifier(
        lr_schedule="plateau",
        lr_patience=1,
        lr_decay=0.5,
        early_stopping=early_stopping,
        patience=100,
        min_learning_rate=0.0,
        random_state=0,
        **{**SMALL, "max_epochs": 60},
    ).fit(X, y)
    rates = net.history_["learning_rate"].to_numpy()
    ratios = rates[1:] / rates[:-1]
    assert rates[0] == 0.01
    assert rates[-1] < rates[0]
    assert set(np.round(ratios, 6)) <= {1.0, 0.5}
    assert np.all(np.diff(rates) <= 0)


def test_bold_driver_grows_after_better_epochs_and_cuts_after_worse_ones():
    X, y = _data()
    net = BPNetClassifier(
        lr_schedule="bold_driver",
        lr_growth=1.1,
        lr_decay=0.5,
        early_stopping=False,
        min_learning_rate=0.0,
        max_learning_rate=1.0,
        random_state=0,
        **{**SMALL, "max_epochs": 60},
    ).fit(X, y)
    history = net.history_
    ratios = (history["learning_rate"].shift(-1) / history["learning_rate"]).iloc[:-1]
    # the rate after epoch e depends on whether epoch e lowered the loss of epoch e - 1;
    # epoch 1 has no predecessor, so its loss counts as lowered
    lowered = (history["train_loss"].diff() < 0).iloc[:-1]
    lowered.iloc[0] = True
    np.testing.assert_allclose(ratios[lowered], 1.1)
    np.testing.assert_allclose(ratios[~lowered], 0.5)
    assert (~lowered).any()


def test_learning_rate_stays_within_its_bounds():
    X, y = _data()
    net = BPNetClassifier(
        lr_schedule="bold_driver",
        lr_growth=2.0,
        max_learning_rate=0.05,
        early_stopping=False,
        random_state=0,
        **SMALL,
    ).fit(X, y)
    assert net.history_["learning_rate"].max() == 0.05


def test_early_stopping_restores_the_best_epoch():
    X, y = _data(n=300)
    params = {
        **SMALL,
        "max_epochs": 200,
        "patience": 5,
        "lr_schedule": "constant",
        "learning_rate": 0.05,
        "early_stopping": True,
        "random_state": 0,
    }
    net = BPNetClassifier(**params).fit(X, y)
    val = net.history_["val_loss"]
    assert net.n_iter_ < 200
    assert net.n_iter_ == net.best_epoch_ + 5
    assert net.best_epoch_ == int(net.history_["epoch"][val.idxmin()])
    # the same training stopped at the best epoch ends with the weights that were restored
    at_best = BPNetClassifier(**{**params, "max_epochs": net.best_epoch_}).fit(X, y)
    np.testing.assert_allclose(net.predict_proba(X), at_best.predict_proba(X), rtol=1e-6)


def test_too_few_samples_for_a_validation_split_trains_without_it(caplog):
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.1, 0.0], [0.9, 1.0], [0.0, 0.1]])
    y = np.array([0, 1, 0, 1, 2])
    with caplog.at_level(logging.INFO, logger="finwarn.models._bp"):
        net = BPNetClassifier(early_stopping=True, max_epochs=5, random_state=0).fit(X, y)
    assert not net.validation_used_
    assert net.n_iter_ == 5
    assert net.best_epoch_ == 5
    assert net.history_["val_loss"].isna().all()
    assert "Too few samples for an inner validation split (5 rows, smallest class 1)" in (
        caplog.text
    )


def test_string_labels_binary_and_multiclass():
    X, y = make_classification(
        n_samples=300, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    labels = np.array(["healthy", "watch", "distress"])[y]
    net = BPNetClassifier(random_state=0, **SMALL).fit(X, labels)
    assert net.classes_.tolist() == ["distress", "healthy", "watch"]
    proba = net.predict_proba(X)
    assert proba.shape == (300, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(net.predict(X)) <= {"distress", "healthy", "watch"}
    assert net.score(X, labels) > 0.7


def test_feature_names_are_recorded_and_checked():
    X, y = _data()
    frame = pd.DataFrame(X, columns=[f"ratio_{i}" for i in range(5)])
    net = BPNetClassifier(random_state=0, **SMALL).fit(frame, y)
    assert net.feature_names_in_.tolist() == list(frame.columns)
    with pytest.raises(ValueError, match="The feature names should match those that were passed"):
        net.predict(frame.rename(columns={"ratio_0": "other"}))


@pytest.mark.parametrize("dump", ["pickle", "joblib"])
def test_pickle_round_trip_keeps_predictions(dump):
    X, y = _data()
    net = BPNetClassifier(random_state=0, **{**SMALL, "batch_norm": True, "n_networks": 2}).fit(
        X, y
    )
    if dump == "pickle":
        loaded = pickle.loads(pickle.dumps(net))
    else:
        buffer = io.BytesIO()
        joblib.dump(net, buffer)
        buffer.seek(0)
        loaded = joblib.load(buffer)
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))


def test_averaging_networks_trains_one_module_per_network():
    X, y = _data()
    single = BPNetClassifier(random_state=0, **SMALL).fit(X, y)
    averaged = BPNetClassifier(random_state=0, **{**SMALL, "n_networks": 3}).fit(X, y)
    assert len(averaged.modules_) == 3
    assert len(averaged.histories_) == 3
    assert averaged.module_ is averaged.modules_[0]
    assert not np.allclose(single.predict_proba(X), averaged.predict_proba(X))


def test_callbacks_get_one_dict_per_epoch_and_can_stop_training():
    X, y = _data()
    seen = []

    def record(info):
        seen.append(info)
        return info["epoch"] == 3

    net = BPNetClassifier(random_state=0, callbacks=[record], **SMALL).fit(X, y)
    assert [info["epoch"] for info in seen] == [1, 2, 3]
    assert set(seen[0]) == {
        "network",
        "epoch",
        "train_loss",
        "val_loss",
        "learning_rate",
        "best_epoch",
    }
    assert net.n_iter_ == 3


def test_each_epoch_is_logged_at_debug_level(caplog):
    X, y = _data()
    with caplog.at_level(logging.DEBUG, logger="finwarn.models._bp"):
        BPNetClassifier(random_state=0, **{**SMALL, "max_epochs": 2}).fit(X, y)
    assert "network 0 epoch 1: train_loss=" in caplog.text
    assert "network 0 epoch 2: train_loss=" in caplog.text


def test_single_class_is_rejected():
    X, _ = _data()
    with pytest.raises(
        ValueError,
        match=r"BPNetClassifier needs at least two classes in y, got only one class: 'a'\. "
        r"Check the labels of the training data\.",
    ):
        BPNetClassifier(**SMALL).fit(X, np.full(len(X), "a"))


@pytest.mark.parametrize("sizes", [(), (16, 0), (8.5,)])
def test_bad_hidden_layer_sizes_are_explained(sizes):
    X, y = _data()
    with pytest.raises(
        ValueError,
        match=r"hidden_layer_sizes must be a non-empty tuple of positive integers, got .*; "
        r"for example \(128,\) or \(64, 32\)\.",
    ):
        BPNetClassifier(hidden_layer_sizes=sizes).fit(X, y)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"lr_schedule": "cosine"}, "The 'lr_schedule' parameter of BPNetClassifier must be"),
        ({"optimizer": "rmsprop"}, "The 'optimizer' parameter of BPNetClassifier must be"),
        ({"dropout": 1.0}, "The 'dropout' parameter of BPNetClassifier must be"),
        (
            {"callbacks": ["not callable"]},
            r"callbacks must be callables taking one dict, got "
            r"\['not callable'\]\.",
        ),
    ],
)
def test_bad_parameters_are_rejected(params, message):
    X, y = _data()
    with pytest.raises(ValueError, match=message):
        BPNetClassifier(**params).fit(X, y)


def test_nan_input_is_rejected_with_a_pointer_to_cleaning():
    X, y = _data()
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        BPNetClassifier(**SMALL).fit(X, y)


def test_nan_input_to_predict_is_rejected():
    X, y = _data()
    net = BPNetClassifier(random_state=0, **SMALL).fit(X, y)
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        net.predict_proba(X)


def test_prediction_switches_a_network_left_in_training_mode_to_evaluation():
    X, y = _data()
    net = BPNetClassifier(random_state=0, **{**SMALL, "dropout": 0.5}).fit(X, y)
    expected = net.predict_proba(X)
    net.module_.train()  # dropout on: predictions would vary
    np.testing.assert_array_equal(net.predict_proba(X), expected)
    assert not net.module_.training


def test_diverging_training_is_reported():
    X, y = _data()
    with pytest.raises(
        ValueError,
        match=r"BPNetClassifier training diverged: the training loss of network 0 is nan at "
        r"epoch \d+\. Lower learning_rate \(it is 1\.0\) or scale the inputs with "
        r"finwarn\.cleaning\.make_cleaner\.",
    ):
        BPNetClassifier(
            activation="relu",
            n_networks=1,
            optimizer="sgd",
            learning_rate=1.0,
            early_stopping=False,
            max_epochs=5,
            random_state=0,
        ).fit(X * 1e20, y)


def test_missing_torch_says_how_to_install_it(monkeypatch):
    X, y = _data()
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(
        ImportError,
        match=r"BPNetClassifier needs PyTorch, which is not "
        r"installed\. Install it with: pip install 'finwarn\[nn\]'",
    ):
        BPNetClassifier(**SMALL).fit(X, y)


def test_models_import_without_torch(monkeypatch):
    import finwarn

    monkeypatch.setattr(finwarn, "models", finwarn.models)
    for name in [m for m in sys.modules if m.startswith("finwarn.models")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "torch", None)
    models = importlib.import_module("finwarn.models")
    assert "BPNetClassifier" in models.__all__
    assert models.make_model("bp").named_steps["model"].max_epochs > 0


def test_predict_before_fit_is_refused():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="This BPNetClassifier instance is not fitted yet"):
        BPNetClassifier().predict(np.ones((1, 2)))
