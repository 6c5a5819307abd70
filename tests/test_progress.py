"""Tests for indicators.progress (Open SDG / StatCan progress method and UN CR).

Reference cases are copied literally from /work/shared/docs/progress-methodology.md.
Expected values in the focused tests are derived by hand from the formulas
(worked numbers in the comments), never by calling the code under test.
"""

from __future__ import annotations

import dataclasses
import math

import pytest

from indicators.progress import (
    STATUS_LABELS,
    STATUSES,
    Assessment,
    Combined,
    _classify,
    _score_method1,
    assess,
    assess_many,
    combine,
    status_from_score,
)

NA = None  # the table's "—"

# (obs, direction, kwargs, status, progress_value (as written), score (as written), base, current)
REFERENCE_CASES = [
    ({2015: 10, 2016: 30}, "decrease", {"target": 1}, "deterioration", "-14.0544", "-5", None, None),
    ({2015: 5, 2016: 6}, "increase", {"target": 9}, "substantial_progress", "5.0045", "5", None, None),
    (
        {2015: 14.5, 2023: 10.2},
        "decrease",
        {"target": 7.25},
        "substantial_progress",
        "0.9525902",
        "2.5185564",
        None,
        None,
    ),
    (
        {2018: 10.0, 2022: 10.4},
        "decrease",
        {"target": 0.1, "base_year": 2018},
        "deterioration",
        "-0.0309167",
        "-2.6288207",
        2018,
        2022,
    ),
    (
        {2023: 8.2, 2024: 8.4},
        "increase",
        {"target": 100, "base_year": 2023},
        "limited_progress",
        "0.0567939",
        "-2.2633567",
        2023,
        2024,
    ),
    ({2015: 7.05, 2024: 12.58}, "decrease", {"target": 70}, "target_achieved", NA, "5", None, None),
    ({2017: 5.5}, "decrease", {"target": 3}, "not_available", NA, NA, None, None),
    ({2015: 0.0244993, 2019: 0.0070454}, "decrease", {}, "substantial_progress", "0.2677014", "5", None, None),
    ({2014: 48, 2019: 46}, "decrease", {"base_year": 2014}, "moderate_progress", "0.0084758", "0.8689498", 2014, 2019),
    ({2015: 51.59, 2024: 50.44}, "increase", {}, "deterioration", "-0.0025017", "-2.8127102", None, None),
    ({2015: 90, 2021: 93.2}, "increase", {"limit": 100}, "substantial_progress", "0.0058400", "2.8153866", None, None),
    (
        {2016: 99.47, 2022: 99.57},
        "increase",
        {"limit": 100, "base_year": 2016},
        "moderate_progress",
        "0.0001675",
        "0.5456263",
        2016,
        2022,
    ),
]


def _check_number(actual, written):
    """Compare with the table: abs 1e-6 when written with 7 decimals (or an integer,
    exact up to 1e-6), relative 1e-6 otherwise.  Values written with fewer decimals
    (-14.0544, 5.0045) are rounded in the table; where relative 1e-6 cannot hold
    because of that rounding, require at least that the value rounds to what the
    table shows (|diff| <= half a unit of the last written decimal)."""
    if written is None:
        assert actual is None
        return
    assert actual is not None
    expected = float(written)
    decimals = len(written.split(".")[1]) if "." in written else 0
    if decimals >= 7 or decimals == 0:
        assert actual == pytest.approx(expected, abs=1e-6)
    elif actual != pytest.approx(expected, rel=1e-6):
        assert abs(actual - expected) <= 0.5 * 10**-decimals + 1e-12


@pytest.mark.parametrize(
    "obs,direction,kwargs,status,pv,score,base,current",
    REFERENCE_CASES,
    ids=[f"row{i + 1}" for i in range(len(REFERENCE_CASES))],
)
def test_reference_cases(obs, direction, kwargs, status, pv, score, base, current):
    a = assess(obs, direction=direction, **kwargs)
    assert a.status == status
    assert a.method == "opensdg"
    assert a.target_year == 2030
    _check_number(a.progress_value, pv)
    _check_number(a.score, score)
    if base is not None:
        assert a.base_year == base
        assert a.current_year == current


def test_reference_relative_precision_where_table_allows():
    # Row 1 is within relative 1e-6 of the table even though only 4 decimals are written.
    a = assess({2015: 10, 2016: 30}, direction="decrease", target=1)
    assert a.progress_value == pytest.approx(-14.0544, rel=1e-6)
    # Row 2: 0.2 / (1.8 ** (1/15) - 1) = 0.2 / 0.0399636 = 5.004546 -> table shows 5.0045.
    b = assess({2015: 5, 2016: 6}, direction="increase", target=9)
    assert round(b.progress_value, 4) == 5.0045


def test_reference_indicator_combination():
    # Last table row: series scores 2.8153866, -2.7348688, -2.8492675 -> limited_progress, -0.9229166
    series = [
        Assessment("substantial_progress", score=2.8153866),
        Assessment("deterioration", score=-2.7348688),
        Assessment("deterioration", score=-2.8492675),
    ]
    c = combine(series)
    assert isinstance(c, Combined)
    assert c.status == "limited_progress"
    assert c.score == pytest.approx(-0.9229166, abs=1e-6)
    assert c.n_series == 3 and c.n_scored == 3


# --------------------------------------------------------------------------- years


def test_base_year_fallback_to_first_later_year():
    # 2015 missing -> base is 2016 (2014 ignored, it is earlier)
    a = assess({2014: 1.0, 2016: 10.0, 2017: 11.0, 2020: 12.0}, direction="increase")
    assert (a.base_year, a.base_value, a.current_year, a.current_value) == (2016, 10.0, 2020, 12.0)
    assert "base_year_fallback" in a.notes
    # pv = (12/10) ** (1/4) - 1 = 0.0466351
    assert a.progress_value == pytest.approx(1.2**0.25 - 1, rel=1e-12)
    assert a.status == "substantial_progress"


def test_base_year_present_no_fallback_note():
    a = assess({2014: 1.0, 2015: 10.0, 2020: 12.0}, direction="increase")
    assert a.base_year == 2015 and a.notes == ()


def test_no_data_at_or_after_base_year():
    a = assess({2010: 1.0, 2012: 2.0}, direction="increase")
    assert a.status == "not_available" and a.calculation == "no_data_since_base_year"
    assert a.score is None and a.progress_value is None


def test_single_year_not_available():
    a = assess({2015: 3.0}, direction="increase")
    assert a.status == "not_available" and a.calculation == "insufficient_years"


def test_single_year_target_met_is_not_available_per_file():
    # sdg-build would say target_achieved here (difference D1); the file's step 1 wins.
    a = assess({2020: 1.0}, direction="decrease", target=3)
    assert a.status == "not_available" and a.calculation == "insufficient_years"


def test_nan_and_none_values_ignored():
    a = assess({2015: float("nan"), 2016: 10.0, 2017: None, 2020: 12.0}, direction="increase")
    assert a.base_year == 2016 and a.current_year == 2020


def test_empty_and_all_missing():
    assert assess({}, direction="increase").calculation == "no_data"
    assert assess({2015: None, 2016: float("nan")}, direction="increase").status == "not_available"


def test_year_ranges_take_first_year():
    a = assess({"2015-16": 10.0, "2020-21": 12.0}, direction="increase")
    assert (a.base_year, a.current_year) == (2015, 2020)


# --------------------------------------------------------------------------- zeros and signs


def test_zero_base_replaced_by_0001():
    # pv = (5 / 0.001) ** (1/5) - 1 = 5000 ** 0.2 - 1 = 5.4928 - 1 = 4.4928
    a = assess({2015: 0.0, 2020: 5.0}, direction="increase")
    assert a.base_value == 0.001
    assert "base_zero_replaced" in a.notes
    assert a.progress_value == pytest.approx(4.492803, rel=1e-6)
    assert a.status == "substantial_progress" and a.score == 5


def test_zero_target_replaced_by_0001():
    # target 0 -> 0.001; CAGR_r = 0.001 ** (1/15) - 1 = 10**-0.2 - 1 = -0.369043
    # CAGR_o = 0.002 ** (1/5) - 1 = 0.288539 - 1 = -0.711461
    # pv = 1 * -1 * -0.711461 / 0.369043 = 1.927856
    a = assess({2015: 1.0, 2020: 0.002}, direction="decrease", target=0)
    assert a.target == 0.001 and "target_zero_replaced" in a.notes
    assert a.progress_value == pytest.approx(1.927856, rel=1e-5)
    assert a.status == "substantial_progress"
    # and the replaced target is what "achieved" is compared with
    assert assess({2015: 1.0, 2020: 0.0005}, direction="decrease", target=0).status == "target_achieved"


def test_opposite_signs_not_available():
    a = assess({2015: -2.0, 2020: 3.0}, direction="increase")
    assert a.status == "not_available" and a.calculation == "opposite_signs"
    b = assess({2015: 2.0, 2020: -3.0}, direction="decrease", target=-10)
    assert b.status == "not_available" and b.calculation == "opposite_signs"


def test_negative_values_flip_sign():
    # base -10 -> sign = -1; CAGR = (0.5) ** 0.2 - 1 = -0.129449; pv = -1 * 1 * -0.129449 = 0.129449
    a = assess({2015: -10.0, 2020: -5.0}, direction="increase")
    assert a.progress_value == pytest.approx(0.129449, rel=1e-5)
    assert a.status == "substantial_progress"


def test_target_on_other_side_of_zero_not_available():
    a = assess({2015: 5.0, 2020: 4.0}, direction="decrease", target=-1)
    assert a.status == "not_available" and a.calculation == "target_opposite_sign"


def test_target_equal_to_base_moving_away_is_deterioration():
    # CAGR_required = 0: sdg-build gets -inf (numpy division) -> deterioration, score -5
    a = assess({2015: 10.0, 2020: 11.0}, direction="decrease", target=10)
    assert a.progress_value == -math.inf
    assert a.status == "deterioration" and a.score == -5
    assert "required_growth_zero" in a.notes


def test_fallback_base_not_before_target_year():
    a = assess({2031: 10.0, 2033: 9.0}, direction="decrease", target=1)
    assert a.status == "not_available" and a.calculation == "base_year_not_before_target_year"


# --------------------------------------------------------------------------- target achieved first


def test_target_achieved_checked_before_trend():
    # moved the wrong way (4 -> 4.9) but current <= target 5
    a = assess({2015: 4.0, 2020: 4.9}, direction="decrease", target=5)
    assert a.status == "target_achieved" and a.score == 5
    assert a.progress_value is None and a.calculation == "target_achieved"
    # also before the opposite-signs check
    b = assess({2015: -1.0, 2020: 3.0}, direction="increase", target=2)
    assert b.status == "target_achieved"
    # equality counts as achieved
    assert assess({2015: 1.0, 2020: 2.0}, direction="increase", target=2).status == "target_achieved"


# --------------------------------------------------------------------------- limit factor C


def test_limit_factor_base_at_least_twice_limit():
    # |base| = 200 >= 2 * 100 -> C = 1; pv = 1.01**5 growth -> 0.01 -> moderate; 250*0.01 - 1.25 = 1.25
    a = assess({2015: 200.0, 2020: 200.0 * 1.01**5}, direction="increase", limit=100)
    assert a.coefficient == 1.0
    assert a.thresholds == pytest.approx((0.015, 0.005, 0.0))
    assert a.calculation == "method1_no_target_limit"
    assert a.status == "moderate_progress"
    assert a.score == pytest.approx(1.25, abs=1e-9)
    # absolute values are used: |-250| >= 2 * |-100|
    assert assess({2015: -250.0, 2020: -240.0}, direction="decrease", limit=-100).coefficient == 1.0


def test_limit_factor_base_below_limit():
    # |base| = 50 <= 100 -> C = 1 - 0.5 ** 4.44 = 1 - e ** (-4.44 * 0.6931472)
    #                     = 1 - e ** -3.0775735 = 1 - 0.0460709 = 0.9539291
    a = assess({2015: 50.0, 2020: 51.0}, direction="increase", limit=100)
    assert a.coefficient == pytest.approx(0.9539291, abs=1e-6)
    assert a.thresholds[0] == pytest.approx(0.015 * 0.9539291, rel=1e-6)


def test_limit_factor_between_limit_and_twice_limit():
    # 100 < |base| = 120 < 200 -> C = 1 - ((200 - 120)/100) ** 4.44 = 1 - 0.8 ** 4.44
    #   = 1 - e ** (4.44 * -0.2231436) = 1 - e ** -0.9907574 = 1 - 0.3712954 = 0.6287046
    # (the "<= limit" formula would give 1 - 1.2 ** 4.44 < 0)
    a = assess({2015: 120.0, 2020: 119.0}, direction="decrease", limit=100)
    assert a.coefficient == pytest.approx(0.6287046, abs=1e-6)
    # pv = -1 * ((119/120) ** 0.2 - 1) = 0.0016722; high = 0.015*C = 0.0094306, med = 0.0031435
    assert a.status == "limited_progress"
    # score = 500 * pv / C - 2.5 = 500 * 0.0016722 / 0.6287046 - 2.5 = -1.170087
    assert a.score == pytest.approx(-1.170087, abs=1e-5)


def test_limit_factor_zero_gives_score_5():
    # base == limit -> C = 1 - 1 = 0: all thresholds 0; pv >= 0 -> on track, score 5
    a = assess({2015: 100.0, 2020: 100.0}, direction="increase", limit=100)
    assert a.coefficient == 0.0 and a.thresholds == (0.0, 0.0, 0.0)
    assert a.status == "substantial_progress" and a.score == 5
    b = assess({2015: 100.0, 2020: 101.0}, direction="increase", limit=100)
    assert b.status == "substantial_progress" and b.score == 5
    # pv < 0 is scored as usual: pv = 0.99 ** 0.2 - 1 = -0.0020080; 125 * pv - 2.5 = -2.751
    c = assess({2015: 100.0, 2020: 99.0}, direction="increase", limit=100)
    assert c.status == "deterioration"
    assert c.score == pytest.approx(-2.751, abs=1e-3)


def test_limit_ignored_with_target():
    a = assess({2015: 90.0, 2020: 95.0}, direction="increase", target=99, limit=100)
    assert a.coefficient is None and a.calculation == "method2_target"
    assert a.thresholds == (0.95, 0.6, 0.0)


# --------------------------------------------------------------------------- threshold edges


@pytest.mark.parametrize(
    "pv,status",
    [
        (0.015, "substantial_progress"),
        (0.005, "moderate_progress"),
        (0.0, "limited_progress"),
        (-1e-12, "deterioration"),
    ],
)
def test_method1_default_threshold_edges(pv, status):
    assert _classify(pv, 0.015, 0.005, 0.0) == status


def test_method1_scores_at_edges_are_continuous():
    # pv = high: 500*0.015 - 5 = 2.5; pv = med: 250*0.005 - 1.25 = 0; pv = low: 500*0 - 2.5 = -2.5
    assert _score_method1(0.015, 0.015, 0.005, 0.0, 1.0) == pytest.approx(2.5, abs=1e-12)
    assert _score_method1(0.005, 0.015, 0.005, 0.0, 1.0) == pytest.approx(0.0, abs=1e-12)
    assert _score_method1(0.0, 0.015, 0.005, 0.0, 1.0) == -2.5
    assert _score_method1(-0.02, 0.015, 0.005, 0.0, 1.0) == -5
    assert _score_method1(0.03, 0.015, 0.005, 0.0, 1.0) == 5


def test_method1_low_edge_end_to_end():
    # no change: pv = 0 exactly -> limited, score -2.5
    a = assess({2015: 7.0, 2020: 7.0}, direction="decrease")
    assert a.progress_value == 0 and a.status == "limited_progress" and a.score == -2.5


def test_method1_edges_with_threshold_override():
    # base 4, one year: pv = 6/4 - 1 = 0.5 (exact), 5/4 - 1 = 0.25 (exact)
    t = {"high": 0.5, "med": 0.25}
    assert assess({2015: 4.0, 2016: 6.0}, direction="increase", thresholds=t).status == "substantial_progress"
    assert assess({2015: 4.0, 2016: 5.0}, direction="increase", thresholds=t).status == "moderate_progress"


@pytest.mark.parametrize(
    "current,pv,status,score",
    [
        # base 1, target 21, target_year 2016: CAGR_r = 20; pv = (current - 1) / 20
        (20.0, 0.95, "substantial_progress", 7.1429 * 0.95 - 4.2857),  # 2.500055
        (13.0, 0.6, "moderate_progress", 7.1429 * 0.6 - 4.2857),  # 0.00004
        (1.0, 0.0, "limited_progress", -2.5),  # 4.1667*0 - 2.5
    ],
)
def test_method2_threshold_edges(current, pv, status, score):
    a = assess({2015: 1.0, 2016: current}, direction="increase", target=21, target_year=2016)
    assert a.progress_value == pv
    assert a.status == status
    assert a.score == pytest.approx(score, abs=1e-12)


def test_method2_just_below_zero_is_deterioration():
    # pv = (0.99 - 1)/20 = -0.0005 -> deterioration, 4.1667 * -0.0005 - 2.5 = -2.50208
    a = assess({2015: 1.0, 2016: 0.99}, direction="increase", target=21, target_year=2016)
    assert a.status == "deterioration"
    assert a.score == pytest.approx(-2.5020834, abs=1e-6)


# --------------------------------------------------------------------------- combine


def test_combine_no_scorable_series():
    c = combine(
        [assess({2017: 5.5}, direction="decrease", target=3), assess({2015: -1.0, 2020: 1.0}, direction="increase")]
    )
    assert c.status == "not_available" and c.score is None
    assert (c.n_series, c.n_scored) == (2, 0)
    assert combine([]).status == "not_available"


def test_combine_all_target_achieved():
    series = [
        assess({2015: 7.05, 2024: 12.58}, direction="decrease", target=70),
        assess({2015: 1.0, 2020: 3.0}, direction="increase", target=2),
        assess({2017: 5.5}, direction="decrease", target=3),
    ]  # not scored, ignored
    c = combine(series)
    assert c.status == "target_achieved" and c.score == 5
    assert (c.n_series, c.n_scored, c.n_target_achieved) == (3, 2, 2)


def test_combine_target_achieved_needs_all_scored():
    # 5 and 2.8153866 -> mean 3.9076933, not all achieved -> substantial
    c = combine([Assessment("target_achieved", score=5.0), Assessment("substantial_progress", score=2.8153866)])
    assert c.status == "substantial_progress"
    assert c.score == pytest.approx(3.9076933, abs=1e-7)


def test_combine_nested_groups():
    # group 1: (5 + 2.8153866)/2 = 3.9076933 ; group 2: -2.7348688 ; mean = 0.58641225 -> moderate
    g1 = combine([Assessment("target_achieved", score=5.0), Assessment("substantial_progress", score=2.8153866)])
    g2 = combine([Assessment("deterioration", score=-2.7348688)])
    c = combine([g1, g2])
    assert c.status == "moderate_progress"
    assert c.score == pytest.approx(0.58641225, abs=1e-7)


@pytest.mark.parametrize(
    "score,status",
    [
        (5, "substantial_progress"),
        (2.5, "substantial_progress"),
        (2.4999, "moderate_progress"),
        (0, "moderate_progress"),
        (-1e-9, "limited_progress"),
        (-2.5, "limited_progress"),
        (-2.5001, "deterioration"),
        (-5, "deterioration"),
        (None, "not_available"),
    ],
)
def test_status_from_score_edges(score, status):
    assert status_from_score(score) == status


# --------------------------------------------------------------------------- UN CR


# decrease, base 100 (2015), target 50 in 2030: CAGR_r = 0.5 ** (1/15) - 1 = -0.0451583
GR_UN = 0.5 ** (1 / 15) - 1


@pytest.mark.parametrize(
    "ga,cr,status",
    [
        (-0.05, 1.107216, "substantial_progress"),  # -0.05 / -0.0451583
        (-0.03, 0.664330, "moderate_progress"),  # -0.03 / -0.0451583
        (-0.01, 0.221443, "limited_progress"),  # -0.01 / -0.0451583
        (0.002, -0.044289, "limited_progress"),  # 0.002 / -0.0451583 (>= -0.1)
        (0.01, -0.221443, "deterioration"),  # 0.01 / -0.0451583 (< -0.1)
    ],
)
def test_un_cr_with_target(ga, cr, status):
    current = 100 * (1 + ga) ** 5  # five years of CAGR ga, 2015 -> 2020
    a = assess({2015: 100.0, 2020: current}, direction="decrease", target=50, method="un_cr")
    assert a.method == "un_cr" and a.calculation == "un_cr_target"
    assert a.progress_value == pytest.approx(cr, abs=1e-5)
    assert a.progress_value == pytest.approx(ga / GR_UN, rel=1e-9)
    assert a.status == status
    assert a.score is None
    assert a.thresholds == (0.95, 0.5, -0.1)


@pytest.mark.parametrize(
    "current,status",
    [
        # base 1, target 21, target_year 2016: CAGR_r = 20, CR = (current - 1)/20
        (20.0, "substantial_progress"),  # CR = 0.95 exactly
        (11.0, "moderate_progress"),  # CR = 0.5 exactly
        (10.9, "limited_progress"),  # CR = 0.495
    ],
)
def test_un_cr_edges(current, status):
    a = assess({2015: 1.0, 2016: current}, direction="increase", target=21, target_year=2016, method="un_cr")
    assert a.status == status


def test_un_cr_lower_edge():
    # base 2, current 1, target 12, target_year 2016: CAGR_a = -0.5, CAGR_r = 5, CR = -0.1 exactly
    a = assess({2015: 2.0, 2016: 1.0}, direction="increase", target=12, target_year=2016, method="un_cr")
    assert a.progress_value == -0.1 and a.status == "limited_progress"


def test_un_cr_target_achieved():
    a = assess({2015: 100.0, 2020: 40.0}, direction="decrease", target=50, method="un_cr")
    assert a.status == "target_achieved" and a.score is None and a.progress_value is None


@pytest.mark.parametrize(
    "direction,growth,signed,status",
    [
        # increase: signed CAGR = CAGR; cut-offs 1 %, 0.5 %, -1 %
        ("increase", 0.02, 0.02, "substantial_progress"),
        ("increase", 0.007, 0.007, "moderate_progress"),
        ("increase", 0.001, 0.001, "limited_progress"),
        ("increase", -0.005, -0.005, "limited_progress"),
        ("increase", -0.02, -0.02, "deterioration"),
        # decrease: mirrored, signed CAGR = -CAGR
        ("decrease", -0.02, 0.02, "substantial_progress"),
        ("decrease", -0.007, 0.007, "moderate_progress"),
        ("decrease", 0.005, -0.005, "limited_progress"),
        ("decrease", 0.02, -0.02, "deterioration"),
    ],
)
def test_un_cagr_without_target(direction, growth, signed, status):
    current = 100 * (1 + growth) ** 5
    a = assess({2015: 100.0, 2020: current}, direction=direction, method="un_cr")
    assert a.calculation == "un_cagr_no_target"
    assert a.progress_value == pytest.approx(signed, abs=1e-12)
    assert a.status == status and a.score is None
    assert a.thresholds == (0.01, 0.005, -0.01)


def test_un_cr_ignores_limit_and_combine_is_unscored():
    a = assess({2015: 99.0, 2020: 99.5}, direction="increase", limit=100, method="un_cr")
    # signed CAGR = (99.5/99) ** 0.2 - 1 = 0.001008 -> limited (no limit factor)
    assert a.status == "limited_progress" and a.coefficient is None
    c = combine([a])
    assert c.status == "not_available" and c.n_scored == 0


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "obs,kwargs,match",
    [
        ({2015: 1, 2020: 2}, {"direction": "up"}, "direction"),
        ({2015: 1, 2020: 2}, {"direction": "increase", "method": "sdg"}, "method"),
        ({2015: 1, 2020: 2}, {"direction": "increase", "target_year": 2015}, "target_year"),
        ({2015: 1, 2020: 2}, {"direction": "increase", "base_year": 2031}, "target_year"),
        ({2015: 1, 2020: 2}, {"direction": "increase", "base_year": "2015"}, "base_year"),
        ({2015: "abc", 2020: 2}, {"direction": "increase"}, "non-numeric"),
        ({2015: "1.5", 2020: 2}, {"direction": "increase"}, "non-numeric"),
        ({2015: True, 2020: 2}, {"direction": "increase"}, "non-numeric"),
        ({2015: float("inf"), 2020: 2}, {"direction": "increase"}, "infinite"),
        ({"year": 1, 2020: 2}, {"direction": "increase"}, "invalid year"),
        ({2015: 1, "2015-16": 2}, {"direction": "increase"}, "duplicate"),
        ({2015: 1, 2020: 2}, {"direction": "increase", "target": "x"}, "target"),
        ({2015: 1, 2020: 2}, {"direction": "increase", "limit": "x"}, "limit"),
        ({2015: 1, 2020: 2}, {"direction": "increase", "thresholds": {"top": 1}}, "threshold"),
        ({2015: 1, 2020: 2}, {"direction": "increase", "method": "un_cr", "thresholds": {"high": 1}}, "opensdg"),
        ([(2015, 1), (2020, 2)], {"direction": "increase"}, "mapping"),
    ],
)
def test_invalid_arguments_raise_value_error(obs, kwargs, match):
    with pytest.raises(ValueError, match=match):
        assess(obs, **kwargs)


def test_nan_target_and_limit_mean_not_set():
    a = assess({2015: 1.0, 2020: 2.0}, direction="increase", target=float("nan"), limit=float("nan"))
    assert a.calculation == "method1_no_target" and a.target is None and a.limit is None


# --------------------------------------------------------------------------- misc


def test_assessment_is_frozen_and_serialisable():
    a = assess({2015: 14.5, 2023: 10.2}, direction="decrease", target=7.25)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.status = "x"  # type: ignore[misc]
    d = a.to_dict()
    assert d["status"] == "substantial_progress" and d["calculation"] == "method2_target"
    assert d["thresholds"] == [0.95, 0.6, 0.0]


def test_status_labels():
    assert set(STATUS_LABELS) == {"en", "es", "pt"}
    for lang in STATUS_LABELS:
        assert set(STATUS_LABELS[lang]) == set(STATUSES)
    assert STATUS_LABELS["en"]["substantial_progress"] == "On track"
    assert STATUS_LABELS["en"]["moderate_progress"] == "Progress made but acceleration needed"
    assert STATUS_LABELS["en"]["not_available"] == "Not available"
    assert Assessment("deterioration").label("es") == "Deterioro"


def test_assess_many_matches_assess():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {"series": ["a", "a", "b", "b"], "year": [2015, 2023, 2015, 2024], "value": [14.5, 10.2, 51.59, 50.44]}
    )
    out = assess_many(frame, direction="decrease", configs={"a": {"target": 7.25}, "b": {"direction": "increase"}})
    assert list(out["series"]) == ["a", "b"]
    assert list(out["status"]) == ["substantial_progress", "deterioration"]
    assert out.loc[0, "score"] == pytest.approx(2.5185564, abs=1e-6)
    dup = pd.DataFrame({"series": ["a", "a"], "year": [2015, 2015], "value": [1.0, 2.0]})
    with pytest.raises(ValueError, match="duplicate"):
        assess_many(dup, direction="increase")
