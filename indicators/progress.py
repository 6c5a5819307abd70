"""Progress assessment of indicator series (Open SDG / Statistics Canada and UN CR).

Public API::

    from indicators.progress import assess, combine, STATUS_LABELS
    a = assess({2015: 14.5, 2023: 10.2}, direction="decrease", target=7.25)
    a.status, a.score, a.progress_value, a.calculation
    combine([a, ...]).status

Reference: ``/work/shared/docs/progress-methodology.md`` (the "methodology file").
The ``opensdg`` method reproduces sdg-build's ``SeriesProgress``
(``sdg/ProgressMeasure.py``); the version read for this module is the one stored
at open-sdg/sdg-build commit 139fede74ba534d2ed8b9eee4cd878b41f54cb67 (the
``SeriesProgress`` / ``IndicatorProgress`` / ``get_progress_status_from_score``
implementation), checked against the Open SDG docs ``docs/progress.md`` and
``docs/progress-methodology.md`` (open-sdg/open-sdg).

Open SDG / StatCan method (``method="opensdg"``)
------------------------------------------------
1. NaN/None values are dropped.  Current year = latest year with a value.  Base
   year = ``base_year`` if it has a value, else the first later year with a value
   (``notes`` gets ``"base_year_fallback"``).  current - base < 1 ->
   ``not_available`` / ``insufficient_years``; no value at or after the base year ->
   ``not_available`` / ``no_data_since_base_year``; nothing at all -> ``no_data``.
2. A target of 0 is replaced by 0.001 (note ``"target_zero_replaced"``).
3. Target achieved (d=+1 and current >= target, or d=-1 and current <= target) ->
   ``target_achieved``, score 5, ``progress_value`` None.  This is checked before
   anything about the trend (zero base, signs, growth rates).
4. A base value of 0 is replaced by 0.001 (note ``"base_zero_replaced"``); base and
   current of opposite signs -> ``not_available`` / ``opposite_signs``;
   sign = -1 if base < 0 else 1.  ``base_value``/``target`` in the result are the
   values actually used (after replacement), as in sdg-build's calculation
   components.
5. Method 1 (no target, calculation ``method1_no_target``, or
   ``method1_no_target_limit`` when a limit is set): pv = sign*d*CAGR;
   thresholds (0.015, 0.005, 0) times C when ``limit`` is set
   (C = 1 if |base| >= 2|limit|; 1 - (|base|/|limit|)**4.44 if |base| <= |limit|;
   else 1 - ((2|limit| - |base|)/|limit|)**4.44).  C is in ``coefficient``.
6. Method 2 (target, calculation ``method2_target``):
   pv = sign*d*CAGR_observed/|CAGR_required|, CAGR_required from the (effective)
   base year to ``target_year``; thresholds (0.95, 0.6, 0); ``limit`` ignored.
7. Status: pv >= high substantial; med <= pv < high moderate; low <= pv < med
   limited; pv < low deterioration.
8. Scores exactly as in the file / sdg-build (including the rounded constants
   7.1429, 4.2857, 4.1667, so e.g. pv = 0.6 scores 0.00004, not 0).
9. ``combine``: mean of the series scores that are not None (``numpy.mean`` as in
   sdg-build); ``target_achieved`` only if every scored series achieved its
   target; otherwise [2.5, 5] substantial, [0, 2.5) moderate, [-2.5, 0) limited,
   [-5, -2.5) deterioration; nothing scored -> ``not_available``.

Optional ``thresholds={"high": .., "med": .., "low": ..}`` overrides the defaults
(the file's "optional threshold overrides"; merged into the defaults and, for
method 1, multiplied by C, as sdg-build does).  The score formulas are not
changed by an override (sdg-build: "Score functions hardcoded based on default
progress thresholds"); for method 1 the branch points are the (overridden,
C-scaled) high/med/low thresholds, for method 2 the split is pv >= 0.6 as the
file writes it.

UN SDG Progress Chart 2022 (``method="un_cr"``)
-----------------------------------------------
Same data handling as above (steps 1-4: base-year fallback, 0 -> 0.001 for base
and target, target achieved first, opposite signs -> not_available; the UN note
says nothing about zeros or negative values, these are this module's choices so
both methods see the same series).  ``limit`` is ignored (the UN method has no
limit factor); ``thresholds`` is rejected.

* With a target (calculation ``un_cr_target``): CR = CAGR_actual/CAGR_required,
  computed as sign*d*CAGR_actual/|CAGR_required| - identical to the plain ratio
  whenever the target lies on the desired side of the base value (the only case
  the UN note considers) and still meaningful when it does not.  CR >= 0.95
  ``substantial_progress`` (on track); 0.5 <= CR < 0.95 ``moderate_progress``
  (fair progress, acceleration needed); -0.1 <= CR < 0.5 ``limited_progress``
  (limited or no progress); CR < -0.1 ``deterioration``.  ``progress_value`` = CR.
* Without a target (calculation ``un_cagr_no_target``): ``progress_value`` = the
  signed CAGR, sign*d*CAGR (the cut-offs 1 %, 0.5 %, -1 % are thus mirrored when
  decrease is better); >= 0.01 substantial, [0.005, 0.01) moderate,
  [-0.01, 0.005) limited, < -0.01 deterioration.  Lower bounds are inclusive, as
  for CR (the file does not state the inclusivity of the CAGR cut-offs).
* ``score`` is always None for ``un_cr`` (the UN method defines no score), so
  ``combine`` over ``un_cr`` assessments gives ``not_available`` with
  ``n_scored == 0``; only the per-series statuses are meaningful.

Differences found between the methodology file and sdg-build (file followed)
----------------------------------------------------------------------------
D1. Target achieved with fewer than two usable years: sdg-build computes
    ``is_target_achieved`` from the latest value only, before and independently
    of the data-sufficiency checks, so a single-year series already past its
    target is ``target_achieved`` with score 5.  The file's step 1 makes it
    ``not_available`` (``insufficient_years``); this module follows the file.
D2. ``progress_value`` of a target-achieved series: sdg-build still computes and
    publishes the ratio in its calculation components; the file's reference table
    gives "-", so it is None here.
D3. Order of the zero-base replacement and the limit factor: sdg-build computes C
    (``get_progress_thresholds``, in ``__init__``) with the raw base value and only
    later (``calculate_progress_value``) replaces a zero base by 0.001; the file
    replaces first (step 2).  Results differ only when |limit| <= 0.001-ish (e.g.
    base 0, limit 0.001: sdg-build C = 1, here C = 0).
D4. Base year with no data at or after it: sdg-build crashes (``min()`` of an
    empty selection is NaN, then ``.item()`` raises ValueError); the file's
    rule cannot apply; here ``not_available`` / ``no_data_since_base_year``.  (The
    older functional version of ProgressMeasure.py, commit 27c0bf0, returned None
    in this case.)
D5. Method-2 score split: sdg-build splits at the ``med`` threshold (identical
    formula for pv >= high and pv >= med), the file at pv >= 0.6.  Identical with
    the default thresholds; with a ``med`` override this module uses 0.6.
D6. Indicator level with nothing scorable: sdg-build returns status ``''`` (its
    initial value); the file says not available -> ``not_available`` here.

Edge cases the file does not cover (sdg-build behaviour noted, choice made)
---------------------------------------------------------------------------
E1. Target on the other side of zero from the base value (including a zero
    target, i.e. 0.001, for a negative series): sdg-build raises a negative number
    to a fractional power; with a Python-int base year this gives a *complex*
    CAGR_required whose modulus is used (a meaningless real pv), with a fallback
    (numpy.int64) base year numpy returns NaN and the series ends up
    ``not_available``.  Here always ``not_available`` / ``target_opposite_sign``
    (Open SDG docs: the method "is valid only when all values are positive or
    all values are negative").
E2. CAGR_required == 0 (target equal to the base value, not achieved): sdg-build
    divides a numpy float by 0.0 and gets -inf (the series moved away from a
    target it sat on) -> deterioration, score -5.  Reproduced: progress_value is
    -inf, note ``"required_growth_zero"``.  (Same for ``un_cr``.)
E3. Effective base year at/after ``target_year`` (base-year fallback past the
    target year): sdg-build divides by zero or uses a negative exponent (garbage
    or NaN); here ``not_available`` / ``base_year_not_before_target_year``.
E4. sdg-build defaults ``direction`` to "negative" when missing/unknown; here the
    direction is required and must be "increase" or "decrease".
E5. Duplicate years (e.g. 2015 and "2015-16") raise ValueError, as sdg-build
    raises.  String years "YYYY" / "YYYY-YY" are read as their first four digits,
    as sdg-build does for year ranges.
E6. Open SDG docs (progress-methodology.md) say a limit only counts when it bounds
    progress in the desired direction, that C is not applied to thresholds <= 0,
    and that insufficient data is "Unable to assess".  sdg-build and the file
    apply C whenever a limit is given (only warning when the base value is on the
    wrong side), scale all three thresholds (so a negative ``low`` override would
    be scaled) and use ``not_available``; this module follows the file.
E7. Open SDG docs describe "sub-indicator grouping" (series grouped and averaged
    first, then the group means averaged); the sdg-build version read averages
    the series flat, as does the file.  ``combine`` also accepts ``Combined``
    objects (it only reads ``score`` and ``status``), so nested grouping can be
    done by combining group results: ``combine([combine(g1), combine(g2)])``.
E8. The file cites "sdg-build release 2.4.0"; Open SDG's docs/progress.md says the
    automated progress feature needs *Open SDG* 2.4.0 or later.  The stored
    sdg-build source could not be tied to a release tag; the commit read is named
    above.

Labels: ``STATUS_LABELS["en"]`` uses Open SDG's English wording from the file.
Open SDG's own Spanish/Portuguese strings for these statuses were not found in the
stored ``open-sdg/sdg-translations`` / ``open-sdg/translations-open-sdg`` files
(only older ``status.yml`` versions without progress keys are stored), so ``es``
and ``pt`` are careful translations made for this project, using the UN's
Spanish/Portuguese SDG vocabulary ("meta" for target).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, Iterable, Mapping

__all__ = [
    "Assessment",
    "Combined",
    "STATUSES",
    "STATUS_LABELS",
    "assess",
    "assess_many",
    "combine",
    "status_from_score",
    "status_label",
]

STATUSES = (
    "target_achieved",
    "substantial_progress",
    "moderate_progress",
    "limited_progress",
    "deterioration",
    "not_available",
    "insufficient_coverage",
    "context",
)

STATUS_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "target_achieved": "Target achieved",
        "substantial_progress": "On track",
        "moderate_progress": "Progress made but acceleration needed",
        "limited_progress": "Limited progress",
        "deterioration": "Deterioration",
        "not_available": "Not available",
        "insufficient_coverage": "Coverage too low for a regional status",
        "context": "Context indicator (no progress status)",
    },
    # Project translations (Open SDG's own es/pt strings not found, see docstring).
    "es": {
        "target_achieved": "Meta alcanzada",
        "substantial_progress": "En buen camino",
        "moderate_progress": "Se han logrado avances, pero es necesario acelerar",
        "limited_progress": "Progreso limitado",
        "deterioration": "Deterioro",
        "not_available": "No disponible",
        "insufficient_coverage": "Cobertura insuficiente para un estado regional",
        "context": "Indicador de contexto (sin estado de progreso)",
    },
    "pt": {
        "target_achieved": "Meta alcançada",
        "substantial_progress": "No caminho certo",
        "moderate_progress": "Houve progresso, mas é necessário acelerar",
        "limited_progress": "Progresso limitado",
        "deterioration": "Deterioração",
        "not_available": "Não disponível",
        "insufficient_coverage": "Cobertura insuficiente para um estado regional",
        "context": "Indicador de contexto (sem estado de progresso)",
    },
}

METHODS = ("opensdg", "un_cr")

# Open SDG default thresholds (high, med, low).
_M1_THRESHOLDS = (0.015, 0.005, 0.0)
_M2_THRESHOLDS = (0.95, 0.6, 0.0)
# UN SDG Progress Chart 2022.
_UN_CR_THRESHOLDS = (0.95, 0.5, -0.1)
_UN_CAGR_THRESHOLDS = (0.01, 0.005, -0.01)
_LIMIT_EXPONENT = 4.44
_ZERO_REPLACEMENT = 0.001
_INF = math.inf


@dataclass(frozen=True, slots=True)
class Assessment:
    """Result of :func:`assess` for one series."""

    status: str
    score: float | None = None
    progress_value: float | None = None
    base_year: int | None = None
    current_year: int | None = None
    base_value: float | None = None
    current_value: float | None = None
    target: float | None = None
    target_year: int = 2030
    method: str = "opensdg"
    calculation: str = ""
    direction: str | None = None
    limit: float | None = None
    coefficient: float | None = None  # limit factor C (opensdg method 1 with a limit)
    thresholds: tuple[float, float, float] | None = None  # effective (high, med, low)
    notes: tuple[str, ...] = ()

    @property
    def target_achieved(self) -> bool:
        return self.status == "target_achieved"

    def label(self, lang: str = "en") -> str:
        return status_label(self.status, lang)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["thresholds"] = list(self.thresholds) if self.thresholds is not None else None
        d["notes"] = list(self.notes)
        return d


@dataclass(frozen=True, slots=True)
class Combined:
    """Indicator-level result of :func:`combine`."""

    status: str
    score: float | None
    n_series: int
    n_scored: int
    n_target_achieved: int = 0

    def label(self, lang: str = "en") -> str:
        return status_label(self.status, lang)


def status_label(status: str, lang: str = "en") -> str:
    try:
        labels = STATUS_LABELS[lang]
    except KeyError:
        raise ValueError(f"unknown language {lang!r}; expected one of {sorted(STATUS_LABELS)}") from None
    try:
        return labels[status]
    except KeyError:
        raise ValueError(f"unknown status {status!r}; expected one of {list(STATUSES)}") from None


# --------------------------------------------------------------------------- input checks


def _year_param(value: Any, name: str) -> int:
    if type(value) is int:
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer year, got {value!r}")
    return int(value)


def _optional_number(value: Any, name: str) -> float | None:
    if value is None:
        return None
    t = type(value)
    if t is not float and t is not int:
        if isinstance(value, bool) or not isinstance(value, (numbers.Real, Decimal)):
            raise ValueError(f"{name} must be a number or None, got {value!r}")
    value = float(value)
    if value != value:  # NaN: treated as "not set"
        return None
    if value == _INF or value == -_INF:
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def _coerce_year(y: Any) -> int:
    if isinstance(y, bool):
        raise ValueError(f"invalid year {y!r}")
    if isinstance(y, numbers.Integral):
        return int(y)
    if isinstance(y, float) and y.is_integer():
        return int(y)
    if isinstance(y, str):
        s = y.strip()
        # sdg-build: a year longer than 4 characters is a range; take its first year.
        if len(s) >= 4 and s[:4].isdigit() and (len(s) == 4 or not s[4].isdigit()):
            return int(s[:4])
    raise ValueError(f"invalid year {y!r}: expected an integer year (or 'YYYY' / 'YYYY-YY')")


def _coerce_value(v: Any, year: int) -> float | None:
    """Slow path for values that are not plain float/int. None means 'missing'."""
    if v is None:
        return None
    if isinstance(v, bool):
        raise ValueError(f"non-numeric value {v!r} for year {year}")
    if isinstance(v, (numbers.Real, Decimal)):
        v = float(v)
    elif type(v).__name__ in ("NAType", "NaTType"):  # pandas.NA / pandas.NaT
        return None
    else:
        raise ValueError(f"non-numeric value {v!r} for year {year}")
    if v != v:
        return None
    if v == _INF or v == -_INF:
        raise ValueError(f"infinite value for year {year}")
    return v


def _clean(observations: Any) -> dict[int, float]:
    try:
        items = observations.items()
    except AttributeError:
        raise ValueError(f"observations must be a mapping {{year: value}}, got {type(observations).__name__}") from None
    pts: dict[int, float] = {}
    for y, v in items:
        if type(y) is not int:
            y = _coerce_year(y)
        tv = type(v)
        if tv is float:
            if v != v:
                continue
            if v == _INF or v == -_INF:
                raise ValueError(f"infinite value for year {y}")
        elif tv is int:
            v = float(v)
        else:
            v = _coerce_value(v, y)
            if v is None:
                continue
        if y in pts:
            raise ValueError(f"duplicate value for year {y}")
        pts[y] = v
    return pts


def _threshold_overrides(thresholds: Any) -> dict[str, float]:
    if not isinstance(thresholds, Mapping):
        raise ValueError("thresholds must be a mapping with keys among 'high', 'med', 'low'")
    out = {}
    for k, v in thresholds.items():
        if k not in ("high", "med", "low"):
            raise ValueError(f"unknown threshold {k!r}; expected 'high', 'med' or 'low'")
        fv = _optional_number(v, f"thresholds[{k!r}]")
        if fv is None:
            raise ValueError(f"thresholds[{k!r}] must be a number")
        out[k] = fv
    return out


# --------------------------------------------------------------------------- core


def _classify(pv: float, high: float, med: float, low: float) -> str:
    if pv >= high:
        return "substantial_progress"
    if pv >= med:
        return "moderate_progress"
    if pv >= low:
        return "limited_progress"
    return "deterioration"


def _limit_coefficient(base_value: float, limit: float) -> float:
    b = abs(base_value)
    lim = abs(limit)
    if b >= 2 * lim:  # checked first: C = 1 when base and limit are both zero
        return 1.0
    if b <= lim:
        return 1 - (b / lim) ** _LIMIT_EXPONENT
    return 1 - ((2 * lim - b) / lim) ** _LIMIT_EXPONENT


def _score_method1(pv: float, high: float, med: float, low: float, coeff: float) -> float:
    if pv < low:
        return max(125 * pv - 2.5, -5.0)
    if coeff == 0:  # base value at the limit and pv >= 0: limit maintained
        return 5.0
    if pv >= high:
        return min(500 * pv / coeff - 5, 5.0)
    if pv >= med:
        return 250 * pv / coeff - 1.25
    return 500 * pv / coeff - 2.5


def _score_method2(pv: float) -> float:
    if pv >= 0.6:
        return min(7.1429 * pv - 4.2857, 5.0)
    return max(4.1667 * pv - 2.5, -5.0)


def assess(
    observations: Mapping[int, float],
    *,
    direction: str,
    base_year: int = 2015,
    target: float | None = None,
    target_year: int = 2030,
    limit: float | None = None,
    method: str = "opensdg",
    thresholds: Mapping[str, float] | None = None,
) -> Assessment:
    """Assess the progress of one series ``{year: value}``.  See the module docstring."""
    if direction == "increase":
        d = 1
    elif direction == "decrease":
        d = -1
    else:
        raise ValueError(f"direction must be 'increase' or 'decrease', got {direction!r}")
    if method != "opensdg" and method != "un_cr":
        raise ValueError(f"method must be 'opensdg' or 'un_cr', got {method!r}")
    if type(base_year) is not int:
        base_year = _year_param(base_year, "base_year")
    if type(target_year) is not int:
        target_year = _year_param(target_year, "target_year")
    if target_year <= base_year:
        raise ValueError(f"target_year ({target_year}) must be after base_year ({base_year})")
    if target is not None:
        target = _optional_number(target, "target")
    if limit is not None:
        limit = _optional_number(limit, "limit")
    overrides = None
    if thresholds is not None:
        if method != "opensdg":
            raise ValueError("thresholds overrides only apply to method 'opensdg'")
        overrides = _threshold_overrides(thresholds)

    pts = _clean(observations)
    notes: list[str] = []

    def na(calculation: str, **kw: Any) -> Assessment:
        return Assessment(
            "not_available",
            None,
            None,
            kw.get("by"),
            kw.get("cy"),
            kw.get("bv"),
            kw.get("cv"),
            target,
            target_year,
            method,
            calculation,
            direction,
            limit,
            None,
            None,
            tuple(notes),
        )

    if not pts:
        return na("no_data")
    cy = max(pts)
    cv = pts[cy]
    if base_year in pts:
        by = base_year
    else:
        later = [y for y in pts if y > base_year]
        if not later:
            return na("no_data_since_base_year", cy=cy, cv=cv)
        by = min(later)
        notes.append("base_year_fallback")
    bv = pts[by]
    if cy - by < 1:
        return na("insufficient_years", by=by, cy=cy, bv=bv, cv=cv)

    if target == 0:
        target = _ZERO_REPLACEMENT
        notes.append("target_zero_replaced")

    # Target achieved is checked before anything about the trend.
    if target is not None and ((d == 1 and cv >= target) or (d == -1 and cv <= target)):
        return Assessment(
            "target_achieved",
            5.0 if method == "opensdg" else None,
            None,
            by,
            cy,
            bv,
            cv,
            target,
            target_year,
            method,
            "target_achieved",
            direction,
            limit,
            None,
            None,
            tuple(notes),
        )

    if bv == 0:
        bv = _ZERO_REPLACEMENT
        notes.append("base_zero_replaced")
    if (bv > 0 and cv < 0) or (bv < 0 and cv > 0):
        return na("opposite_signs", by=by, cy=cy, bv=bv, cv=cv)
    sign = -1 if bv < 0 else 1
    cagr_o = (cv / bv) ** (1.0 / (cy - by)) - 1.0

    coeff = None
    if target is None:
        if method == "opensdg":
            high, med, low = _M1_THRESHOLDS
            if overrides:
                high = overrides.get("high", high)
                med = overrides.get("med", med)
                low = overrides.get("low", low)
            calculation = "method1_no_target"
            if limit is not None:
                coeff = _limit_coefficient(bv, limit)
                high *= coeff
                med *= coeff
                low *= coeff
                calculation = "method1_no_target_limit"
        else:
            high, med, low = _UN_CAGR_THRESHOLDS
            calculation = "un_cagr_no_target"
        pv = sign * d * cagr_o
    else:
        if target_year - by <= 0:
            return na("base_year_not_before_target_year", by=by, cy=cy, bv=bv, cv=cv)
        if (bv > 0 and target < 0) or (bv < 0 and target > 0):
            return na("target_opposite_sign", by=by, cy=cy, bv=bv, cv=cv)
        cagr_r = (target / bv) ** (1.0 / (target_year - by)) - 1.0
        num = sign * d * cagr_o
        if cagr_r == 0:
            notes.append("required_growth_zero")
            if num == 0:
                return na("not_computable", by=by, cy=cy, bv=bv, cv=cv)
            pv = math.copysign(_INF, num)
        else:
            pv = num / abs(cagr_r)
        if method == "opensdg":
            high, med, low = _M2_THRESHOLDS
            if overrides:
                high = overrides.get("high", high)
                med = overrides.get("med", med)
                low = overrides.get("low", low)
            calculation = "method2_target"
        else:
            high, med, low = _UN_CR_THRESHOLDS
            calculation = "un_cr_target"

    if pv != pv:  # NaN (only reachable through overflowing inputs)
        return na("not_computable", by=by, cy=cy, bv=bv, cv=cv)

    status = _classify(pv, high, med, low)
    if method == "opensdg":
        if target is None:
            score = _score_method1(pv, high, med, low, 1.0 if coeff is None else coeff)
        else:
            score = _score_method2(pv)
    else:
        score = None
    return Assessment(
        status,
        score,
        pv,
        by,
        cy,
        bv,
        cv,
        target,
        target_year,
        method,
        calculation,
        direction,
        limit,
        coeff,
        (high, med, low),
        tuple(notes),
    )


def status_from_score(score: float | None, target_achieved: bool = False) -> str:
    """Indicator-level status from a mean score (sdg-build ``get_progress_status_from_score``)."""
    if target_achieved:
        return "target_achieved"
    if score is None or score != score:
        return "not_available"
    if score >= 2.5:
        return "substantial_progress"
    if score >= 0:
        return "moderate_progress"
    if score >= -2.5:
        return "limited_progress"
    return "deterioration"


def combine(assessments: Iterable[Assessment | Combined]) -> Combined:
    """Combine the series of one indicator: mean score of the scored series.

    Items may also be ``Combined`` results (sub-indicator grouping, see E7)."""
    n_series = 0
    scores: list[float] = []
    n_achieved = 0
    for a in assessments:
        n_series += 1
        if a.score is not None:
            scores.append(a.score)
            if a.status == "target_achieved":
                n_achieved += 1
    if not scores:
        return Combined("not_available", None, n_series, 0, 0)
    import numpy as np  # sdg-build uses np.mean; keep the same summation

    mean = float(np.mean(scores))
    status = status_from_score(mean, target_achieved=n_achieved == len(scores))
    return Combined(status, mean, n_series, len(scores), n_achieved)


def assess_many(
    frame: Any,
    *,
    series_col: str | list[str] = "series",
    year_col: str = "year",
    value_col: str = "value",
    configs: Mapping[Any, Mapping[str, Any]] | None = None,
    **defaults: Any,
) -> Any:
    """Assess every series of a long DataFrame (one row per series and year).

    ``defaults`` are keyword arguments of :func:`assess` applied to every series;
    ``configs`` maps a series key (the groupby key) to per-series overrides.
    Returns a DataFrame with one row per series: the key column(s) and the
    fields of :class:`Assessment`.  This is a convenience loop over
    :func:`assess`, not a vectorised reimplementation.
    """
    import pandas as pd

    keys = [series_col] if isinstance(series_col, str) else list(series_col)
    rows = []
    for key, grp in frame.groupby(keys if len(keys) > 1 else keys[0], sort=True):
        years = grp[year_col].tolist()
        obs = dict(zip(years, grp[value_col].tolist()))
        if len(obs) != len(years):
            raise ValueError(f"duplicate years in series {key!r}")
        kw = dict(defaults)
        if configs is not None and key in configs:
            kw.update(configs[key])
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        row.update(assess(obs, **kw).to_dict())
        rows.append(row)
    return pd.DataFrame(rows)
