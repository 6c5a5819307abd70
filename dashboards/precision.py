"""One precision rule per unit, for every table, chart and CSV file of the site.

- counts (unit ``NUMBER``) are whole numbers: ``359``, never ``359.0``;
- every other unit (rates per 100, per 100,000, percentages, days) keeps
  :data:`SIGNIFICANT_DIGITS` significant digits, and never rounds the integer part
  (``328.74554728349955`` -> ``329``, ``0.51871`` -> ``0.519``, ``1086.3`` -> ``1086``).

The site's pages state the rule (``precision_note``); CSV files carry the same rounded values.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

SIGNIFICANT_DIGITS = 3
COUNT_UNITS = {"NUMBER"}


def decimals(value: float, unit: str) -> int:
    """The number of decimals ``value`` is shown and published with."""
    if unit in COUNT_UNITS or value == 0 or not math.isfinite(value):
        return 0
    return max(0, SIGNIFICANT_DIGITS - 1 - math.floor(math.log10(abs(value))))


def rounded(value: Any, unit: str) -> float | int | None:
    """``value`` under the rule (an int for counts and whole results; None when missing)."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(number):
        return None
    places = decimals(number, unit)
    result = round(number, places)
    return int(result) if float(result).is_integer() else result


def round_column(values: pd.Series, units: pd.Series | str) -> pd.Series:
    """A column of values rounded by the unit of each row; whole columns become integers."""
    unit_list = [units] * len(values) if isinstance(units, str) else list(units)
    out = [rounded(v, str(u)) for v, u in zip(values, unit_list)]
    if all(v is None or float(v).is_integer() for v in out):
        return pd.Series([None if v is None else int(v) for v in out], index=values.index, dtype="Int64")
    # mixed: whole results stay ints (``329``, never ``329.0``) beside the others (``0.519``)
    return pd.Series(out, index=values.index, dtype="object")


def whole_if_whole(values: pd.Series) -> pd.Series:
    """Source counts (numerators, denominators) as integers when every one is whole."""
    numbers = pd.to_numeric(values, errors="coerce")
    present = numbers.dropna()
    if len(present) and (present == present.round()).all():
        return numbers.round().astype("Int64")
    return values
