"""Tests for sources/harmonise/periods.py (canonical forms are in its docstring)."""

from __future__ import annotations

import dataclasses

import pytest

from sources.harmonise.periods import Period, parse_period, period_sort_key


@pytest.mark.parametrize(
    "raw, canonical, kind, start, end, ref",
    [
        ("2019", "2019", "year", 2019, 2019, 2019),
        (" 2019 ", "2019", "year", 2019, 2019, 2019),
        ("2019.0", "2019", "year", 2019, 2019, 2019),  # spreadsheet float as text
        (2019, "2019", "year", 2019, 2019, 2019),
        (2019.0, "2019", "year", 2019, 2019, 2019),
        ("2024-Q3", "2024-Q3", "quarter", 2024, 2024, 2024),
        ("2024Q3", "2024-Q3", "quarter", 2024, 2024, 2024),
        ("2024q3", "2024-Q3", "quarter", 2024, 2024, 2024),
        ("Q3 2024", "2024-Q3", "quarter", 2024, 2024, 2024),
        ("2024-T3", "2024-Q3", "quarter", 2024, 2024, 2024),  # trimestre
        ("3T2024", "2024-Q3", "quarter", 2024, 2024, 2024),
        ("T1 2023", "2023-Q1", "quarter", 2023, 2023, 2023),
        ("2024-03", "2024-03", "month", 2024, 2024, 2024),
        ("2024-M03", "2024-03", "month", 2024, 2024, 2024),
        ("03/2024", "2024-03", "month", 2024, 2024, 2024),
        ("2024-S1", "2024-S1", "half_year", 2024, 2024, 2024),
        ("H2 2024", "2024-S2", "half_year", 2024, 2024, 2024),
        ("2018/19", "2018/2019", "fiscal_year", 2018, 2019, 2019),
        ("2018/2019", "2018/2019", "fiscal_year", 2018, 2019, 2019),
        ("FY2018/19", "2018/2019", "fiscal_year", 2018, 2019, 2019),
        ("FY 2018/2019", "2018/2019", "fiscal_year", 2018, 2019, 2019),
        ("1999/00", "1999/2000", "fiscal_year", 1999, 2000, 2000),
        ("2020-2021", "2020/P2Y", "range", 2020, 2021, 2021),
        ("2020\u20132021", "2020/P2Y", "range", 2020, 2021, 2021),  # en dash
        ("2019 - 2023", "2019/P5Y", "range", 2019, 2023, 2023),
    ],
)
def test_parse(raw, canonical, kind, start, end, ref):
    p = parse_period(raw)
    assert p == Period(canonical, kind, start, end, ref)


@pytest.mark.parametrize(
    "raw",
    [
        "2019-Q5",
        "2019-Q0",
        "abc",
        "",
        None,
        "1850",
        1850,
        "2101",
        "2019/2017",
        "2018/2020",
        "2021-2020",
        "2020-2020",
        "2019-13",
        "2019-00",
        "2018-19",  # fiscal or range? ambiguous
        "FY2019",
        "2019.5",
        2019.5,
        float("nan"),
        True,
        "Q3",
        "2019-Q3-2020",
    ],
)
def test_invalid(raw):
    assert parse_period(raw) is None


def test_fiscal_year_and_range_stay_distinct():
    fiscal, rng = parse_period("2018/2019"), parse_period("2018-2019")
    assert fiscal.kind == "fiscal_year" and rng.kind == "range"
    assert fiscal.canonical != rng.canonical
    assert (fiscal.start_year, fiscal.end_year) == (rng.start_year, rng.end_year)


@pytest.mark.parametrize("raw", ["2019", "2024-Q3", "2024-03", "2024-S2", "2018/19", "2020-2022"])
def test_canonical_round_trips(raw):
    p = parse_period(raw)
    assert parse_period(p.canonical) == p


def test_period_is_frozen():
    p = parse_period("2019")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.canonical = "2020"  # type: ignore[misc]


def test_months_of_subperiods():
    assert (parse_period("2024-Q3").start_month, parse_period("2024-Q3").end_month) == (7, 9)
    assert (parse_period("2024-S2").start_month, parse_period("2024-S2").end_month) == (7, 12)
    assert parse_period("2018/19").start_month is None


def test_sort_key():
    raw = ["2020", "abc", "2019-Q4", "2019", "2019-12", "2019-Q1", "2018/19", "2019-2020"]
    ordered = [parse_period(x).canonical if parse_period(x) else x for x in sorted(raw, key=period_sort_key)]
    assert ordered == ["2018/2019", "2019", "2019/P2Y", "2019-Q1", "2019-Q4", "2019-12", "2020", "abc"]
    assert period_sort_key(parse_period("2019")) == period_sort_key("2019")
