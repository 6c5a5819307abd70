"""Disclosure control: small counts withheld, and nothing withheld can be recovered.

The attacker here is written independently of the module: it knows every published
value and every additive relation a reader can see (a region = the sum of its
countries, SEX total = F + M), and tries (1) repeated subtraction and (2) exact linear
algebra (null space of the relations over the withheld cells).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from governance.disclosure import Constraint, additive_constraints, suppress

REGIONS = {"LAC": ["CAR", "SOU"], "CAR": ["JAM", "TTO", "BRB"], "SOU": ["BRA", "ARG", "URY"]}
SEXES = {"_T": ["F", "M"]}


def table(values: dict[tuple[str, str], int]) -> pd.DataFrame:
    """Country × sex counts (F, M given), with _T and the regional sums computed as published."""
    rows = []
    countries = [c for parts in REGIONS.values() for c in parts if c not in REGIONS]
    for country in countries:
        f, m = values[(country, "F")], values[(country, "M")]
        rows += [(country, "F", f), (country, "M", m), (country, "_T", f + m)]
    frame = pd.DataFrame(rows, columns=["REF_AREA", "SEX", "COUNT"])
    for region in ["CAR", "SOU", "LAC"]:
        members = REGIONS[region]
        for sex in ["F", "M", "_T"]:
            total = frame[(frame.REF_AREA.isin(members)) & (frame.SEX == sex)].COUNT.sum()
            frame.loc[len(frame)] = (region, sex, total)
    return frame.reset_index(drop=True)


def relations(frame: pd.DataFrame) -> list[tuple[int, list[int]]]:
    """What a reader sees adds up: built here without the module under test."""
    key = {(r.REF_AREA, r.SEX): i for i, r in frame.iterrows()}
    out = []
    for (area, sex), i in key.items():
        if sex == "_T":
            out.append((i, [key[(area, "F")], key[(area, "M")]]))
        if area in REGIONS:
            out.append((i, [key[(member, sex)] for member in REGIONS[area]]))
    return out


def recoverable(published: pd.DataFrame) -> set[int]:
    hidden = [i for i in published.index if pd.isna(published.at[i, "COUNT"])]
    known = {i: published.at[i, "COUNT"] for i in published.index if i not in hidden}
    rels = relations(published)
    # (1) repeated subtraction
    solved = dict(known)
    changed = True
    while changed:
        changed = False
        for total, parts in rels:
            cells = [total, *parts]
            unknown = [c for c in cells if c not in solved]
            if len(unknown) == 1:
                u = unknown[0]
                solved[u] = (
                    (solved[total] - sum(solved[p] for p in parts if p != u))
                    if u != total
                    else sum(solved[p] for p in parts)
                )
                changed = True
    found = {c for c in hidden if c in solved}
    # (2) null space: a hidden cell is determined iff every null-space vector is 0 there
    column = {c: j for j, c in enumerate(hidden)}
    matrix = np.zeros((len(rels), len(hidden)))
    for r, (total, parts) in enumerate(rels):
        if total in column:
            matrix[r, column[total]] += 1
        for p in parts:
            if p in column:
                matrix[r, column[p]] -= 1
    _, singular, vt = np.linalg.svd(matrix) if len(hidden) else (None, np.array([]), np.zeros((0, 0)))
    rank = int((singular > 1e-9).sum())
    null = vt[rank:]
    for c, j in column.items():
        if null.shape[0] == 0 or np.all(np.abs(null[:, j]) < 1e-9):
            found.add(c)
    return found


def protect(frame: pd.DataFrame, threshold: int = 4) -> pd.DataFrame:
    constraints = additive_constraints(frame, dimension="SEX", hierarchy=SEXES, by=["REF_AREA"])
    constraints += additive_constraints(frame, dimension="REF_AREA", hierarchy=REGIONS, by=["SEX"])
    return suppress(
        frame, value="COUNT", sensitive=pd.Series(True, index=frame.index), constraints=constraints, threshold=threshold
    )


BASE = {
    ("JAM", "F"): 2,
    ("JAM", "M"): 40,
    ("TTO", "F"): 25,
    ("TTO", "M"): 31,
    ("BRB", "F"): 0,
    ("BRB", "M"): 12,
    ("BRA", "F"): 410,
    ("BRA", "M"): 388,
    ("ARG", "F"): 120,
    ("ARG", "M"): 3,
    ("URY", "F"): 17,
    ("URY", "M"): 22,
}


def test_small_counts_are_withheld_and_zero_is_shown():
    published = protect(table(BASE))
    status = {(r.REF_AREA, r.SEX): r.CONF_STATUS for r in published.itertuples()}
    assert status[("JAM", "F")] == "C" and status[("ARG", "M")] == "C"
    assert status[("BRB", "F")] in ("F", "D")  # 0 is not a small count
    assert published.loc[published.CONF_STATUS == "C", "COUNT"].isna().all()
    # large, unrelated cells stay published
    assert status[("BRA", "_T")] == "F" or status[("BRA", "F")] == "F"


def test_no_withheld_cell_can_be_recovered():
    published = protect(table(BASE))
    assert (published.CONF_STATUS != "F").sum() > 2, "secondary suppression happened"
    assert recoverable(published) == set()


def test_without_secondary_suppression_the_attack_succeeds():
    """The attacker works: primary suppression alone leaks (JAM F = JAM total - JAM M)."""
    frame = table(BASE)
    naive = frame.copy()
    naive.loc[naive.COUNT.between(1, 4), "COUNT"] = np.nan
    assert recoverable(naive), "the attack should recover a primary-only suppression"


@pytest.mark.parametrize("seed", range(12))
def test_random_tables_are_protected(seed):
    rng = np.random.default_rng(seed)
    values = {
        (c, s): int(rng.choice([0, 1, 2, 3, 5, 8, 30, 200]))
        for c, s in itertools.product(["JAM", "TTO", "BRB", "BRA", "ARG", "URY"], ["F", "M"])
    }
    published = protect(table(values))
    assert recoverable(published) == set()
    small = table(values).COUNT.between(1, 4)
    assert (published.loc[small, "CONF_STATUS"] != "F").all()


def test_threshold_is_configurable():
    published = protect(table(BASE), threshold=2)
    status = {(r.REF_AREA, r.SEX): r.CONF_STATUS for r in published.itertuples()}
    assert status[("JAM", "F")] == "C"
    assert status[("ARG", "M")] != "C"  # 3 is above a threshold of 2


def constraints_by_group_loop(frame, *, dimension, hierarchy, by):
    """The definition, written as a loop over the groups (the implementation before it was
    made set-wise): the oracle for :func:`test_set_wise_constraints_equal_the_group_loop`."""
    constraints = []
    for _, group in frame.groupby(list(by), sort=False, dropna=False):
        index_of = dict(zip(group[dimension], group.index))
        for total_code, part_codes in hierarchy.items():
            if total_code in index_of:
                parts = tuple(index_of[c] for c in part_codes if c in index_of)
                if parts:
                    constraints.append(Constraint(index_of[total_code], parts))
    return constraints


@pytest.mark.parametrize("seed", range(8))
def test_set_wise_constraints_equal_the_group_loop(seed):
    rng = np.random.default_rng(seed)
    n = 400
    frame = pd.DataFrame(
        {
            "REF_AREA": rng.choice(["JAM", "TTO", "BRB", "LAC", None], n),
            "SEX": rng.choice(["_T", "F", "M", "U"], n),
            "AGE": rng.choice(["_T", "Y0T13", "Y14T17", "Y0T17"], n),
            "TIME_PERIOD": rng.choice(["2020", "2021", "2022"], n),
        }
    )
    if seed % 2:  # labels that are not positions
        frame.index = [f"r{i}" for i in range(n)] if seed % 4 == 1 else np.arange(n) * 3 + 7
    frame = frame.sample(frac=1.0, random_state=seed)  # rows out of order, duplicates inside groups
    hierarchies = [
        ("SEX", {"_T": ["F", "M", "U"]}, ["REF_AREA", "AGE", "TIME_PERIOD"]),
        ("AGE", {"Y0T17": ["Y0T13", "Y14T17"], "_T": ["Y0T17"]}, ["REF_AREA", "SEX", "TIME_PERIOD"]),
        ("REF_AREA", {"LAC": ["JAM", "TTO", "BRB"]}, ["SEX", "AGE", "TIME_PERIOD"]),
    ]
    for dimension, hierarchy, by in hierarchies:
        expected = constraints_by_group_loop(frame, dimension=dimension, hierarchy=hierarchy, by=by)
        assert expected, "the random table must hold some constraints"
        assert additive_constraints(frame, dimension=dimension, hierarchy=hierarchy, by=by) == expected
    assert additive_constraints(frame.iloc[:0], dimension="SEX", hierarchy={"_T": ["F"]}, by=["AGE"]) == []
