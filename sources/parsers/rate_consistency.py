"""Counts and rates per 100,000 published side by side: do they agree with population?

The UNODC crime-trends survey publishes each offence both as a count and as a rate per
100,000 population. The observatory keeps both. This check derives the population the
publisher must have used (count / rate x 100,000) and compares it with the World Bank
population the observatory divides by (:func:`sources.reference.population.population_total`).
A relative difference above :data:`TOLERANCE` is a *warning*, never an error: UNODC uses
UN World Population Prospects, which differs a little from the World Bank series, and a
mismatch beyond that says the two figures are not about the same thing (a revised count,
a rate on a different base) and a reader should know.

Rates by sex are per 100,000 people *of that sex*, a population the observatory does not
hold: only the both-sexes pairs are compared, the others are counted as not checked.
Pairs where the rate is 0 (the count must be 0 too, else that is a warning) or where the
observatory has no population for the year are counted as not checked.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

#: Largest accepted relative difference between implied and World Bank population (5 %).
TOLERANCE = 0.05
MAX_LISTED = 20


def check_counts_against_rates(rows: pd.DataFrame, pairs: dict[str, str]) -> dict[str, Any]:
    """Compare every (count, rate) pair of ``rows`` (parsed rows; ``pairs`` maps a count
    measure to its rate measure). Returns a summary for the parse facts, with up to
    :data:`MAX_LISTED` warnings (area, period, series, count, rate, implied and World Bank
    population, relative difference, sheet rows)."""
    from sources.reference.population import population_total

    key = ["AREA_RAW", "TIME_PERIOD_RAW", "SEX", "AGE", "DISAGGREGATION"]
    ok = rows[rows["PARSE_ERROR"] == ""]
    counts = ok[ok["MEASURE"].isin(list(pairs))]
    rates = ok[ok["MEASURE"].isin(list(pairs.values()))].assign(
        MEASURE=lambda f: f["MEASURE"].map({v: k for k, v in pairs.items()})
    )
    merged = counts.merge(rates, on=["MEASURE"] + key, suffixes=("_count", "_rate"))
    pop = population_total().rename(columns={"REF_AREA": "AREA_RAW", "POPULATION": "WB_POPULATION"})
    pop["TIME_PERIOD_RAW"] = pop["YEAR"].astype(str)
    merged = merged.merge(
        pop[["AREA_RAW", "TIME_PERIOD_RAW", "WB_POPULATION"]], on=["AREA_RAW", "TIME_PERIOD_RAW"], how="left"
    )
    count, rate = merged["OBS_VALUE_count"], merged["OBS_VALUE_rate"]
    zero_rate = rate == 0
    both_sexes = merged["SEX"].isin(["_T", ""])
    checkable = both_sexes & ~zero_rate & merged["WB_POPULATION"].notna() & count.notna() & rate.notna()
    implied = count / rate * 100_000
    difference = (implied - merged["WB_POPULATION"]).abs() / merged["WB_POPULATION"]
    bad = (checkable & (difference > TOLERANCE)) | (zero_rate & (count > 0))
    warnings = []
    for i in merged.index[bad][:MAX_LISTED]:
        row = merged.loc[i]
        warnings.append(
            {
                "area": row["AREA_RAW"],
                "period": row["TIME_PERIOD_RAW"],
                "measure": row["MEASURE"],
                "series": row["DISAGGREGATION"] or row["SEX"],
                "count": float(row["OBS_VALUE_count"]),
                "rate": float(row["OBS_VALUE_rate"]),
                "implied_population": None if zero_rate[i] else round(float(implied[i])),
                "world_bank_population": None if pd.isna(row["WB_POPULATION"]) else int(row["WB_POPULATION"]),
                "relative_difference": None if not checkable[i] else round(float(difference[i]), 4),
                "rows": [int(row["LOC_ROW_count"]), int(row["LOC_ROW_rate"])],
            }
        )
    return {
        "tolerance": TOLERANCE,
        "pairs": int(len(merged)),
        "checked": int(checkable.sum()),
        "not_checked": int(len(merged) - checkable.sum()),
        "beyond_tolerance": int(bad.sum()),
        "warnings": warnings,
    }
