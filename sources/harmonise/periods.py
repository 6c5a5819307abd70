"""Reference periods: parse the many ways sources write a period into one canonical form.

Canonical forms (SDMX-inspired; ``Period.canonical``)
-----------------------------------------------------

kind ``year``, canonical ``2019``
    from ``2019``, ``2019.0``, int ``2019``, float ``2019.0``; ref_year 2019.
kind ``half_year``, canonical ``2024-S1`` / ``2024-S2``
    from ``2024-S1``, ``2024S1``, ``S1 2024``, ``2024-H1``, ``H1 2024``, ``1S2024``.
kind ``quarter``, canonical ``2024-Q3``
    from ``2024-Q3``, ``2024Q3``, ``2024 Q3``, ``Q3 2024``, ``Q3-2024``, ``2024-T3``
    (trimestre, es/pt), ``T3 2024``, ``3T2024``, ``3Q2024``; ref_year 2024.
kind ``month``, canonical ``2024-03``
    from ``2024-03``, ``2024-3``, ``2024M03``, ``2024-M03``, ``03/2024``.
kind ``fiscal_year``, canonical ``2018/2019``
    from ``2018/19``, ``2018/2019``, ``FY2018/19``, ``FY 2018/2019``, ``AF2018/19``
    (año/ano fiscal); the two years must be consecutive; ref_year 2019.
kind ``range``, canonical ``2020/P2Y``
    from ``2020-2021``, ``2020–2021``, ``2020 — 2022`` (two four-digit years joined
    by a dash, end > start), and the canonical ``2020/P2Y`` itself; ref_year 2021
    (the end year).

Every canonical form parses back to the same ``Period``.

* A **fiscal year** is one twelve-month period straddling two calendar years; its
  canonical form keeps both years, ``2018/2019``.  The month it starts in is not
  known from the label (it differs by country).
* A **range** covers whole calendar years; its canonical form is an ISO 8601 /
  SDMX time range written as start year and duration: ``2020/P2Y`` = 2020 and 2021.
  ``2020-2021`` and ``2018/2019`` are therefore never confused: a slash between two
  years means a fiscal year, a dash (or the word "to": ``2018 to 2020``) means a range
  of calendar years.
* ``ref_year`` is the year used when comparing with annual data: the (last) year the
  period ends in.

Rejected (``parse_period`` returns ``None``; the caller quarantines the value):
unparseable text (``abc``), years outside 1900-2100 (``1850``), impossible
sub-periods (``2019-Q5``, ``2019-13``), reversed or non-consecutive fiscal years
(``2019/2017``, ``2018/2020``), reversed or one-year ranges (``2021-2020``,
``2020-2020``), and forms that are genuinely ambiguous: ``2018-19`` (a fiscal year
or a two-year range?) and ``FY2019`` (which twelve months?).  The source adapter
must say which is meant.

Caveat: ``YYYY-MM`` is always read as a month (ISO 8601), so ``2011-12`` is
December 2011, never the fiscal year 2011/12.
"""

from __future__ import annotations

import numbers
import re
import unicodedata
from dataclasses import dataclass

MIN_YEAR = 1900
MAX_YEAR = 2100

KINDS = ("year", "half_year", "quarter", "month", "fiscal_year", "range")
_KIND_ORDER = {"year": 0, "fiscal_year": 1, "range": 2, "half_year": 3, "quarter": 4, "month": 5}


@dataclass(frozen=True)
class Period:
    """A parsed reference period (see the module docstring for the canonical forms)."""

    canonical: str
    kind: str
    start_year: int
    end_year: int
    ref_year: int

    def __str__(self) -> str:
        return self.canonical

    @property
    def start_month(self) -> int | None:
        """First month covered (None for fiscal years: the start month is not known)."""
        if self.kind in ("year", "range"):
            return 1
        if self.kind == "half_year":
            return 1 if self.canonical.endswith("S1") else 7
        if self.kind == "quarter":
            return 3 * int(self.canonical[-1]) - 2
        if self.kind == "month":
            return int(self.canonical[5:7])
        return None

    @property
    def end_month(self) -> int | None:
        """Last month covered (None for fiscal years)."""
        if self.kind in ("year", "range"):
            return 12
        if self.kind == "half_year":
            return 6 if self.canonical.endswith("S1") else 12
        if self.kind == "quarter":
            return 3 * int(self.canonical[-1])
        if self.kind == "month":
            return int(self.canonical[5:7])
        return None


def _ok_year(y: int) -> bool:
    return MIN_YEAR <= y <= MAX_YEAR


def _year(y: int) -> Period | None:
    return Period(str(y), "year", y, y, y) if _ok_year(y) else None


def _half(y: int, h: int) -> Period | None:
    if not _ok_year(y) or h not in (1, 2):
        return None
    return Period(f"{y}-S{h}", "half_year", y, y, y)


def _quarter(y: int, q: int) -> Period | None:
    if not _ok_year(y) or not 1 <= q <= 4:
        return None
    return Period(f"{y}-Q{q}", "quarter", y, y, y)


def _month(y: int, m: int) -> Period | None:
    if not _ok_year(y) or not 1 <= m <= 12:
        return None
    return Period(f"{y}-{m:02d}", "month", y, y, y)


def _fiscal(y1: int, second: str) -> Period | None:
    if len(second) == 2:
        y2 = y1 + 1 if (y1 + 1) % 100 == int(second) else None
    elif len(second) == 4:
        y2 = int(second)
    else:
        return None
    if y2 is None or y2 != y1 + 1 or not (_ok_year(y1) and _ok_year(y2)):
        return None
    return Period(f"{y1}/{y2}", "fiscal_year", y1, y2, y2)


def _range(y1: int, y2: int) -> Period | None:
    if not (_ok_year(y1) and _ok_year(y2)) or y2 <= y1:
        return None
    return Period(f"{y1}/P{y2 - y1 + 1}Y", "range", y1, y2, y2)


_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-")
_SEP = r"\s*[-/ ]?\s*"
_PATTERNS: list[tuple[re.Pattern, object]] = [
    (re.compile(r"^(\d{4})(?:\.0+)?$"), lambda m: _year(int(m[1]))),
    # half years
    (re.compile(rf"^(\d{{4}}){_SEP}[SH]([1-2])$"), lambda m: _half(int(m[1]), int(m[2]))),
    (re.compile(rf"^[SH]([1-2]){_SEP}(\d{{4}})$"), lambda m: _half(int(m[2]), int(m[1]))),
    (re.compile(rf"^([1-2])\s*[SH]{_SEP}(\d{{4}})$"), lambda m: _half(int(m[2]), int(m[1]))),
    # quarters (Q = quarter, T = trimestre)
    (re.compile(rf"^(\d{{4}}){_SEP}[QT](\d)$"), lambda m: _quarter(int(m[1]), int(m[2]))),
    (re.compile(rf"^[QT](\d){_SEP}(\d{{4}})$"), lambda m: _quarter(int(m[2]), int(m[1]))),
    (re.compile(rf"^(\d)\s*[QT]{_SEP}(\d{{4}})$"), lambda m: _quarter(int(m[2]), int(m[1]))),
    # months
    (re.compile(r"^(\d{4})-(\d{1,2})$"), lambda m: _month(int(m[1]), int(m[2]))),
    (re.compile(r"^(\d{4})-?M(\d{1,2})$"), lambda m: _month(int(m[1]), int(m[2]))),
    (re.compile(r"^(\d{1,2})/(\d{4})$"), lambda m: _month(int(m[2]), int(m[1]))),
    # fiscal years: a slash between two years
    (re.compile(r"^(?:(?:FY|AF)\s*)?(\d{4})\s*/\s*(\d{2}|\d{4})$"), lambda m: _fiscal(int(m[1]), m[2])),
    # ranges of calendar years: a dash between two four-digit years
    (re.compile(r"^(\d{4})\s*-\s*(\d{4})$"), lambda m: _range(int(m[1]), int(m[2]))),
    # ... or the word "to" (Open SDG UK: "2018 to 2020")
    (re.compile(r"^(\d{4})\s+to\s+(\d{4})$", re.I), lambda m: _range(int(m[1]), int(m[2]))),
    # the canonical range form itself (start year / duration in years, at least 2)
    (re.compile(r"^(\d{4})/P(\d{1,3})Y$"), lambda m: _range(int(m[1]), int(m[1]) + int(m[2]) - 1)),
]


def parse_period(raw: object) -> Period | None:
    """Parse a raw period value (str, int or float) into a :class:`Period`, or None.

    See the module docstring for the accepted inputs and canonical forms.
    """
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, numbers.Integral):
        return _year(int(raw))
    if isinstance(raw, numbers.Real):
        f = float(raw)
        if f != f or not f.is_integer():
            return None
        return _year(int(f))
    if isinstance(raw, Period):
        return raw
    s = unicodedata.normalize("NFKC", str(raw)).translate(_DASHES).strip().upper()
    s = re.sub(r"\s+", " ", s)
    if not s:
        return None
    for pat, build in _PATTERNS:
        m = pat.match(s)
        if m:
            return build(m)  # type: ignore[operator]
    return None


def period_sort_key(value: Period | str | object) -> tuple:
    """Sort key for periods (or raw values): chronological by start, then by kind.

    Periods starting together sort year, fiscal year, range, half year, quarter,
    month (so ``2019`` comes before ``2019-Q1``), then by end.  Unparseable values
    sort after every valid period, by their text.  Fiscal years (start month
    unknown) sort as if they began in January of their first year.
    """
    p = value if isinstance(value, Period) else parse_period(value)
    if p is None:
        return (1, 0, 0, 0, 0, 0, str(value))
    return (
        0,
        p.start_year,
        p.start_month or 1,
        _KIND_ORDER[p.kind],
        p.end_year,
        p.end_month or 12,
        p.canonical,
    )
