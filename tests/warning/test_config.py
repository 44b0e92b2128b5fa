from __future__ import annotations

import pytest

from finwarn.exceptions import ConfigError
from finwarn.warning import load_warning_config


def test_defaults_are_the_packaged_file():
    cfg = load_warning_config()
    assert cfg.levels == ("none", "light", "moderate", "heavy")
    assert cfg.cutoffs.mode == "odds_multiple" and cfg.cutoffs.values == (1.0, 3.0, 10.0)
    assert cfg.alert_level == "moderate"
    assert (cfg.calibration.method, cfg.calibration.folds) == ("sigmoid", 5)


def test_a_user_file_overrides_only_what_it_names(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text(
        "cutoffs:\n  mode: probability\n  values: [0.02, 0.1, 0.3]\n"
        "calibration:\n  method: isotonic\n"
    )
    cfg = load_warning_config(path)
    assert cfg.cutoffs.values == (0.02, 0.1, 0.3)
    assert cfg.calibration.method == "isotonic" and cfg.calibration.folds == 5
    assert cfg.levels == ("none", "light", "moderate", "heavy")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("levelz: [a, b]", r"unknown key 'levelz'\. Did you mean 'levels'\?"),
        (
            "cutoffs: {values: [3, 2, 1]}",
            r"cut-off values must increase strictly, got \[3\.0, 2\.0, 1\.0\]",
        ),
        (
            "cutoffs: {mode: probability, values: [0.1, 0.5, 1.5]}",
            r"probability cut-offs must lie below 1",
        ),
        ("cutoffs: {values: [1, 2]}", r"4 levels need 3 cut-off values, got 2"),
        (
            "alert_level: moderat",
            r"alert_level 'moderat' is not one of the levels.*Did you mean 'moderate'\?",
        ),
        ("alert_level: none", r"alert_level cannot be the lowest level"),
        (
            "calibration: {method: magic}",
            r"calibration\.method: Input should be 'isotonic' or 'sigmoid'",
        ),
        (
            "calibration: {folds: 1}",
            r"calibration\.folds: Input should be greater than or equal to 2",
        ),
        ("- just a list", r"expected keys such as 'levels:'"),
    ],
)
def test_invalid_settings_name_the_problem(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_warning_config(path)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.yaml: warning config file not found"):
        load_warning_config(tmp_path / "nope.yaml")
