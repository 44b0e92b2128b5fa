from __future__ import annotations

import re

import pytest

from finwarn.report._svg import LOWERS, RAISES, dimension_profile, level_colours, trend


def test_trend_breaks_the_line_where_a_value_is_missing():
    svg = trend([2021, 2022, 2023, 2024], [0.1, None, 0.3, 0.4], [0.2] * 4, title="Debt ratio")
    firm_path = re.findall(r'<path d="([^"]*)"', svg)[1]
    assert firm_path.count("M") == 2 and firm_path.count("L") == 1
    assert svg.count("<circle") == 3
    assert ">2021<" in svg and ">2024<" in svg


def test_trend_of_a_constant_series_stays_inside_the_chart():
    svg = trend([1, 2], [5.0, 5.0], [5.0, 5.0], title="flat", height=84)
    ys = [float(y) for y in re.findall(r'cy="([0-9.]+)"', svg)]
    assert all(6 <= y <= 84 - 16 for y in ys)


def test_text_in_charts_is_escaped():
    svg = trend(["<p>"], [1.0], [1.0], title='<b>"x"</b>')
    assert "<b>" not in svg and "&lt;b&gt;" in svg and "&lt;p&gt;" in svg
    profile = dimension_profile(["<i>solvency</i>"], [0.5])
    assert "<i>" not in profile and "&lt;i&gt;solvency&lt;/i&gt;" in profile


def test_profile_bars_point_right_in_red_when_they_raise_the_risk():
    svg = dimension_profile(["Solvency", "Growth", "Other"], [0.8, -0.4, float("nan")])
    rects = re.findall(r'<rect x="([0-9.]+)" y="[0-9.]+" width="([0-9.]+)"[^>]*fill="(#\w+)"', svg)
    (x1, w1, c1), (x2, w2, c2) = rects
    assert (c1, c2) == (RAISES, LOWERS)
    assert float(x1) == pytest.approx(float(x2) + float(w2))  # both start at the zero line
    assert float(w1) == pytest.approx(2 * float(w2))
    assert ">+0.80<" in svg and ">-0.40<" in svg and ">\u2013<" in svg


@pytest.mark.parametrize("n", [2, 4, 8])
def test_level_colours_run_from_green_to_red(n):
    colours = level_colours(n)
    assert len(colours) == len({c for c, _ in colours}) == n
    assert colours[0][0] == "#1a9850" and colours[-1][0] == "#d73027"
