"""raise_alerts on hand-made scores: model alerts, each rule kind, no duplicates; summary."""

from __future__ import annotations

import logging

import pytest

from finwarn.service._alerting import model_alert_level
from finwarn.service._alerts import alert_summary, strongest_dimension
from finwarn.service._domain_errors import InvalidRequestError
from finwarn.service._rule_params import model_levels, parse_rule_params, rule_warnings
from finwarn.service._tables import Alert, ModelRecord, User
from finwarn.warning import load_warning_config
from tests.service._governance import add_firm, add_model, add_rule, alerts, reason, score

LIQUIDITY = {"indicator": "current_ratio", "op": "<", "value": 0.8, "level": "moderate"}


def test_default_alert_level_is_the_packaged_configs(world):
    model_id = add_model(world)
    with world.db.session() as session:
        model = session.get(ModelRecord, model_id)
        assert model_alert_level(model) == load_warning_config().alert_level == "moderate"
        model.metrics = {"alert_level": "light"}
        assert model_alert_level(model) == "light"
        model.metrics = {"alert_level": "nonsense"}
        assert model_alert_level(model) == "moderate"


@pytest.mark.parametrize(
    ("alert_level", "level", "raised"),
    [
        (None, "light", False),
        (None, "moderate", True),
        (None, "heavy", True),
        ("light", "none", False),
        ("light", "light", True),
        ("heavy", "moderate", False),
    ],
)
def test_model_alert_at_or_above_its_alert_level(world, alert_level, level, raised):
    model_id = add_model(world, alert_level=alert_level)
    firm = world.own_firm.id
    messages = score(world.db, model_id, [(firm, 2018, level)], probability=0.234)
    expected_level = alert_level or "moderate"
    expected = (
        [
            f"Probability of distress 23.4%: level {level}, at or above the alert level "
            f"{expected_level} (model 'fusion')"
        ]
        if raised
        else []
    )
    assert messages == expected
    if raised:
        assert alerts(world.db) == [(firm, 2018, None, model_id, level, expected[0])]


@pytest.mark.parametrize(
    ("op", "value", "raised"),
    [
        ("<", 0.62, True),
        ("<", 0.8, False),
        ("<=", 0.8, True),
        ("<=", 0.81, False),
        (">", 0.81, True),
        (">", 0.8, False),
        (">=", 0.8, True),
        (">=", 0.79, False),
    ],
)
def test_threshold_rule_each_operator(world, op, value, raised):
    model_id = add_model(world, alert_level="heavy")
    params = {"indicator": "current_ratio", "op": op, "value": 0.8, "level": "moderate"}
    rule_id = add_rule(world, "Liquidity floor", "threshold", params)
    firm = world.own_firm.id
    messages = score(
        world.db, model_id, [(firm, 2018, "none")], indicators={"current_ratio": value}
    )
    if raised:
        text = f"Current ratio {value:.2f} {op} 0.80 (rule 'Liquidity floor')"
        assert messages == [text]
        assert alerts(world.db) == [(firm, 2018, rule_id, model_id, "moderate", text)]
    else:
        assert messages == []


def test_threshold_message_reads_plainly(world):
    model_id = add_model(world, alert_level="heavy")
    add_rule(world, "Liquidity floor", "threshold", LIQUIDITY)
    messages = score(
        world.db, model_id, [(world.own_firm.id, 2018, "none")], indicators={"current_ratio": 0.62}
    )
    assert messages == ["Current ratio 0.62 < 0.80 (rule 'Liquidity floor')"]


@pytest.mark.parametrize(
    "indicators",
    [{}, {"current_ratio": None}, {"current_ratio": "n/a"}, {"quick_ratio": 0.1}],
    ids=["empty", "null", "text", "other"],
)
def test_threshold_on_a_missing_indicator_raises_nothing(world, indicators):
    model_id = add_model(world, alert_level="heavy")
    add_rule(world, "Liquidity floor", "threshold", LIQUIDITY)
    assert (
        score(world.db, model_id, [(world.own_firm.id, 2018, "none")], indicators=indicators) == []
    )


@pytest.mark.parametrize(
    ("at_least", "level", "raised"),
    [("moderate", "light", False), ("moderate", "moderate", True), ("moderate", "heavy", True)],
)
def test_level_rule(world, at_least, level, raised):
    model_id = add_model(world, alert_level="heavy")
    add_rule(world, "Watch", "level", {"at_least": at_least})
    messages = score(world.db, model_id, [(world.own_firm.id, 2018, level)])
    expected = [f"Level {level} is at or above {at_least} (rule 'Watch')"] if raised else []
    # the model's own alert too when the level is heavy
    assert [m for m in messages if "(rule" in m] == expected


@pytest.mark.parametrize(
    ("direction", "min_steps", "before", "after", "expected"),
    [
        ("downgrade", 1, "light", "moderate", "Downgrade from light (2017) to moderate (2018)"),
        ("downgrade", 2, "light", "moderate", None),
        ("downgrade", 2, "none", "moderate", "Downgrade from none (2017) to moderate (2018)"),
        ("downgrade", 1, "moderate", "light", None),
        ("upgrade", 1, "moderate", "light", "Upgrade from moderate (2017) to light (2018)"),
        ("upgrade", 1, "light", "moderate", None),
        ("any", 1, "heavy", "none", "Upgrade from heavy (2017) to none (2018)"),
        ("any", 1, "none", "light", "Downgrade from none (2017) to light (2018)"),
        ("any", 1, "light", "light", None),
    ],
)
def test_migration_rule(world, direction, min_steps, before, after, expected):
    model_id = add_model(world, alert_level="heavy")
    firm = world.own_firm.id
    score(world.db, model_id, [(firm, 2017, before)])
    add_rule(world, "Slide", "migration", {"direction": direction, "min_steps": min_steps})
    messages = [m for m in score(world.db, model_id, [(firm, 2018, after)]) if "(rule" in m]
    assert messages == ([f"{expected} (rule 'Slide')"] if expected else [])


def test_migration_compares_with_the_latest_earlier_period_of_the_same_model(world):
    model_id = add_model(world, alert_level="heavy")
    other_model = add_model(world, name="other", alert_level="heavy", active=False)
    firm = world.own_firm.id
    score(world.db, model_id, [(firm, 2015, "moderate"), (firm, 2016, "none")])
    score(world.db, other_model, [(firm, 2017, "heavy")])
    add_rule(world, "Slide", "migration", {"direction": "any", "min_steps": 1})
    # 2019 is later and must be ignored; 2017 is the other model's
    score(world.db, model_id, [(firm, 2019, "none")])
    messages = score(world.db, model_id, [(firm, 2018, "light")])
    assert messages == ["Downgrade from none (2016) to light (2018) (rule 'Slide')"]


def test_migration_within_one_batch_and_without_an_earlier_score(world):
    model_id = add_model(world, alert_level="heavy")
    firm = world.own_firm.id
    add_rule(world, "Slide", "migration", {"direction": "downgrade", "min_steps": 1})
    messages = score(world.db, model_id, [(firm, 2017, "light"), (firm, 2018, "moderate")])
    # 2017 has no earlier score: nothing; 2018 compares with 2017 of the same batch
    assert messages == ["Downgrade from light (2017) to moderate (2018) (rule 'Slide')"]
    no_period = add_firm(world, "NOPERIOD")
    assert score(world.db, model_id, [(no_period, -1, "heavy")]) == [
        "Probability of distress 25.0%: level heavy, at or above the alert level heavy "
        "(model 'fusion')"
    ]


def test_rules_apply_only_to_their_portfolio_and_when_active(world):
    model_id = add_model(world, alert_level="heavy")
    add_rule(world, "Theirs", "level", {"at_least": "light"}, foreign=True)
    add_rule(world, "Off", "level", {"at_least": "light"}, active=False)
    mine = add_rule(world, "Mine", "level", {"at_least": "light"})
    score(world.db, model_id, [(world.own_firm.id, 2018, "light")])
    score(world.db, model_id, [(world.foreign_firm.id, 2018, "none")])
    assert [(a[0], a[2]) for a in alerts(world.db)] == [(world.own_firm.id, mine)]


def test_invalid_stored_rule_is_skipped_with_a_warning(world, caplog):
    model_id = add_model(world, alert_level="heavy")
    add_rule(world, "Broken", "threshold", {"indicator": "current_ratio", "op": "=="})
    with caplog.at_level(logging.WARNING, logger="finwarn.service._alerting"):
        assert score(world.db, model_id, [(world.own_firm.id, 2018, "heavy")]) == [
            "Probability of distress 25.0%: level heavy, at or above the alert level heavy "
            "(model 'fusion')"
        ]
    assert "alert rule" in caplog.text and "'Broken'" in caplog.text


def test_rescoring_raises_no_duplicate_alerts(world):
    model_id = add_model(world)
    firm = world.own_firm.id
    add_rule(world, "Liquidity floor", "threshold", LIQUIDITY)
    add_rule(world, "Watch", "level", {"at_least": "light"})
    add_rule(world, "Slide", "migration", {"direction": "downgrade", "min_steps": 1})
    rows = [(firm, 2017, "light"), (firm, 2018, "heavy")]
    first = score(world.db, model_id, rows, indicators={"current_ratio": 0.5})
    assert len(first) == 2 + 2 + 1 + 1  # threshold x2, level x2, migration, model (2018)
    assert score(world.db, model_id, rows, indicators={"current_ratio": 0.5}) == []
    assert score(world.db, model_id, rows[1:], indicators={"current_ratio": 0.5}) == []
    assert len(alerts(world.db)) == 6


def test_closed_alert_is_not_raised_again(world):
    model_id = add_model(world)
    firm = world.own_firm.id
    assert len(score(world.db, model_id, [(firm, 2018, "heavy")])) == 1
    with world.db.session() as session:
        session.query(Alert).update({"status": "closed"})
    assert score(world.db, model_id, [(firm, 2018, "heavy")]) == []


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [
        (
            "threshold",
            {"indicator": "current_ratio", "op": "=", "value": 1, "level": "moderate"},
            "Invalid params for a threshold rule: op: Input should be '<', '<=', '>' or '>='.",
        ),
        (
            "threshold",
            {"indicator": "current_ratio", "op": "<", "value": 1, "level": "hevy"},
            "Invalid params for a threshold rule: level: 'hevy' is not one of the levels "
            "none, light, moderate, heavy. Did you mean 'heavy'?",
        ),
        (
            "threshold",
            {"op": "<", "value": 1, "level": "heavy"},
            "Invalid params for a threshold rule: indicator: Field required.",
        ),
        (
            "level",
            {"at_least": "none"},
            "Invalid params for a level rule: at_least: 'none' is the lowest level: every "
            "score would alert.",
        ),
        (
            "migration",
            {"direction": "down", "min_steps": 4},
            "Invalid params for a migration rule: direction: Input should be 'downgrade', "
            "'upgrade' or 'any'; min_steps: 4 is more than the 3 steps between the levels.",
        ),
        (
            "migration",
            {"direction": "any", "min_steps": 0, "extra": 1},
            "Invalid params for a migration rule: min_steps: Input should be greater than or "
            "equal to 1; extra: Extra inputs are not permitted.",
        ),
        (
            "levle",
            {},
            "Unknown rule kind 'levle'; use one of threshold, level, migration. "
            "Did you mean 'level'?",
        ),
    ],
)
def test_rule_params_are_validated(kind, params, message):
    with pytest.raises(InvalidRequestError) as raised:
        parse_rule_params(kind, params)
    assert str(raised.value) == message


def test_rule_params_defaults_and_storage():
    parsed = parse_rule_params("migration", {"direction": "any"})
    assert parsed.stored() == {"direction": "any", "min_steps": 1}


def test_unknown_indicator_gets_a_warning(world):
    known = parse_rule_params("threshold", LIQUIDITY)
    typo = parse_rule_params("threshold", {**LIQUIDITY, "indicator": "curent_ratio"})
    ratio = parse_rule_params("threshold", {**LIQUIDITY, "indicator": "Attr1"})
    with world.db.session() as session:
        assert rule_warnings(session, known) == []
        assert rule_warnings(session, ratio) == []
        assert rule_warnings(session, typo) == [
            "Indicator 'curent_ratio' is neither in finwarn's indicator catalog nor among the "
            "indicators of the active model's scores; the rule raises no alert until scores "
            "carry it. Did you mean 'current_ratio'?"
        ]
    # an indicator that the active model's scores carry is known
    model_id = add_model(world)
    score(world.db, model_id, [(world.own_firm.id, 2018, "none")], indicators={"my_ratio": 1.0})
    mine = parse_rule_params("threshold", {**LIQUIDITY, "indicator": "my_ratio"})
    with world.db.session() as session:
        assert rule_warnings(session, mine) == []


@pytest.mark.parametrize(
    ("reasons", "expected"),
    [
        ([], None),
        (None, None),
        ([reason("growth", "lowers", 1)], None),
        ([reason("growth", "lowers", 1), reason("solvency", "raises", 2)], "solvency"),
        ([reason("cash_flow", "raises", 3), reason("solvency", "raises", 2)], "solvency"),
    ],
)
def test_strongest_dimension(reasons, expected):
    assert strongest_dimension(reasons) == expected


def test_alert_summary_counts(world):
    model_id = add_model(world)  # alert level moderate
    firms = [add_firm(world, f"F{i}") for i in range(3)]
    own = world.own_firm.id
    foreign = world.foreign_firm.id
    solvency = [reason("growth", "lowers", 1), reason("solvency", "raises", 2)]
    growth = [reason("growth", "raises", 1)]
    # two periods each: own light->heavy (down), F0 heavy->moderate (up), F1 none->none,
    # F2 one period only; the foreign firm moderate->heavy is out of scope
    score(world.db, model_id, [(own, 2017, "light"), (firms[0], 2017, "heavy")])
    score(world.db, model_id, [(firms[1], 2017, "none"), (foreign, 2017, "moderate")])
    score(world.db, model_id, [(own, 2018, "heavy")], reasons=solvency)
    score(world.db, model_id, [(firms[0], 2018, "moderate")], reasons=growth)
    score(world.db, model_id, [(firms[1], 2018, "none"), (firms[2], 2018, "heavy")])
    score(world.db, model_id, [(foreign, 2018, "heavy")], reasons=solvency)
    with world.db.session() as session:
        # F0 2017 heavy closed: not counted unless include_closed
        closed = session.query(Alert).filter_by(firm_id=firms[0], period=2017).one()
        closed.status = "closed"
        session.query(Alert).filter_by(firm_id=own).update({"status": "acknowledged"})
    with world.db.sessions() as session:
        analyst = session.get(User, world.users["analyst"].id)
        summary = alert_summary(session, analyst)
        everything = alert_summary(session, analyst, include_closed=True)
        other = alert_summary(session, analyst, portfolio_id=world.foreign.id)
    assert summary.levels == ["none", "light", "moderate", "heavy"]
    assert summary.total == 3
    assert summary.by_level == {"none": 0, "light": 0, "moderate": 1, "heavy": 2}
    assert summary.by_status == {"open": 2, "acknowledged": 1, "closed": 0}
    assert summary.by_dimension == {"growth": 1, "solvency": 1, "unexplained": 1}
    assert everything.total == 4
    assert everything.by_status == {"open": 2, "acknowledged": 1, "closed": 1}
    migrations = summary.migrations
    assert migrations.model_id == model_id
    assert (migrations.firms, migrations.downgrades, migrations.upgrades, migrations.unchanged) == (
        3,
        1,
        1,
        1,
    )
    assert migrations.transitions == [
        {"from_level": "none", "to_level": "none", "firms": 1},
        {"from_level": "light", "to_level": "heavy", "firms": 1},
        {"from_level": "heavy", "to_level": "moderate", "firms": 1},
    ]
    assert other.total == 0 and other.migrations.firms == 0


def test_model_with_its_own_levels(world):
    with world.db.session() as session:
        model = ModelRecord(
            name="custom",
            status="finished",
            metrics={"levels": ["green", "amber", "red"], "alert_level": "amber"},
            active=True,
            created_by=world.users["admin"].id,
        )
        session.add(model)
        session.flush()
        model_id = model.id
        assert model_levels(model) == ("green", "amber", "red")
        assert model_alert_level(model) == "amber"
    firm = world.own_firm.id
    add_rule(world, "Slide", "migration", {"direction": "downgrade", "min_steps": 2})
    assert score(world.db, model_id, [(firm, 2017, "green")]) == []
    assert score(world.db, model_id, [(firm, 2018, "red")], probability=0.5) == [
        "Probability of distress 50.0%: level red, at or above the alert level amber "
        "(model 'custom')",
        "Downgrade from green (2017) to red (2018) (rule 'Slide')",
    ]
    with world.db.sessions() as session:
        summary = alert_summary(session, session.get(User, world.users["viewer"].id))
    assert summary.by_level == {"none": 0, "light": 0, "moderate": 0, "heavy": 0, "red": 2}
    assert (summary.migrations.downgrades, summary.migrations.firms) == (1, 1)
