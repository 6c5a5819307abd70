"""Disclosure control for published tables: small-cell and secondary suppression.

Small counts about victims, offenders, cases, prosecutions or convictions can identify
children in small countries. For measures flagged ``sensitive`` in the measures code
list, published tables (public and members audiences) never show a count from 1 to the
threshold (default 4; 0 may be shown):

1. **Primary suppression**: such a cell's value is withheld, ``CONF_STATUS = C``.
2. **Secondary suppression**: a published table also shows totals, regional aggregates
   and breakdowns that add up (a region = the sum of its countries, ``SEX=_T`` = F + M,
   ...). A withheld cell must not be recoverable from them, so more cells are withheld
   (``CONF_STATUS = D``) until no withheld cell is determined by the published ones:
   greedily, the cell that leaves the fewest withheld cells exposed, smallest first.
   The test is exact: a withheld cell is recoverable when its unit vector lies in the
   row space of the additive constraints restricted to the withheld cells (linear
   algebra on the constraint matrix), which covers single subtractions and every
   combination of them.

Cells are rows of a long table; a constraint says "cell ``total`` = sum of cells
``parts``" and comes from :func:`additive_constraints`. The secretariat audience sees
exact values: this module is applied only to the other audiences' outputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

FREE, PRIMARY, SECONDARY = "F", "C", "D"


@dataclass(frozen=True)
class Constraint:
    """Row index ``total`` equals the sum of the rows ``parts``."""

    total: int
    parts: tuple[int, ...]


def additive_constraints(
    frame: pd.DataFrame,
    *,
    dimension: str,
    hierarchy: Mapping[str, Sequence[str]],
    by: Sequence[str],
) -> list[Constraint]:
    """Constraints "total = sum of its parts" along one dimension.

    ``hierarchy`` maps a total's code to its parts' codes (e.g. ``{"_T": ["F", "M"]}`` for
    SEX, or a region to its countries). Within each group of rows equal on ``by``, a
    constraint is made when the total row and at least one part row are present; for
    regional aggregates computed over the reporting countries only, the parts present are
    exactly the members that were summed.
    """
    if frame.empty or not hierarchy:
        return []
    # Set-wise (one merge per side) rather than a loop over groups: a row's group is its
    # position among the groups in order of first appearance; within a group the last row
    # of a code stands for it; constraints come group by group, in the hierarchy's order,
    # with their parts in the order the hierarchy lists them.
    cells = pd.DataFrame(
        {
            "group": frame.groupby(list(by), sort=False, dropna=False).ngroup().to_numpy(),
            "code": frame[dimension].to_numpy(),
            "row": np.arange(len(frame)),
        }
    ).drop_duplicates(["group", "code"], keep="last")
    totals = pd.DataFrame({"code": list(hierarchy), "rank": range(len(hierarchy))})
    parts = pd.DataFrame(
        [
            (rank, position, code)
            for rank, codes in enumerate(hierarchy.values())
            for position, code in enumerate(codes)
        ],
        columns=["rank", "position", "code"],
    )
    with_total = cells.merge(totals, on="code")[["group", "rank", "row"]]
    with_part = cells.merge(parts, on="code")[["group", "rank", "position", "row"]]
    pairs = with_total.merge(with_part, on=["group", "rank"], suffixes=("_total", "_part")).sort_values(
        ["group", "rank", "position"], kind="mergesort"
    )
    labels = frame.index.tolist()
    constraints: list[Constraint] = []
    for (_, _, total), part_rows in pairs.groupby(["group", "rank", "row_total"], sort=False)["row_part"]:
        constraints.append(Constraint(labels[total], tuple(labels[r] for r in part_rows)))
    return constraints


def _matrix(constraints: Sequence[Constraint], cells: Sequence[int]) -> np.ndarray:
    """Constraint coefficients over ``cells`` (total +1, each part -1)."""
    column = {cell: j for j, cell in enumerate(cells)}
    matrix = np.zeros((len(constraints), len(cells)))
    for i, constraint in enumerate(constraints):
        if constraint.total in column:
            matrix[i, column[constraint.total]] += 1.0
        for part in constraint.parts:
            if part in column:
                matrix[i, column[part]] -= 1.0
    return matrix


def _constraint_index(constraints: Sequence[Constraint]) -> dict[int, list[int]]:
    """For each cell, the positions of the constraints it is in."""
    index: dict[int, list[int]] = {}
    for position, constraint in enumerate(constraints):
        for member in (constraint.total, *constraint.parts):
            index.setdefault(member, []).append(position)
    return index


def _group(
    seed: int, is_withheld, constraints: Sequence[Constraint], index: Mapping[int, list[int]]
) -> tuple[tuple[int, ...], tuple[Constraint, ...]]:
    """The withheld cells that constraints link to ``seed`` (itself withheld), with the
    constraints among them."""
    cells, todo, used = {seed}, [seed], set()
    while todo:
        for position in index.get(todo.pop(), ()):
            if position in used:
                continue
            used.add(position)
            for member in (constraints[position].total, *constraints[position].parts):
                if member not in cells and is_withheld(member):
                    cells.add(member)
                    todo.append(member)
    return tuple(sorted(cells)), tuple(constraints[p] for p in sorted(used))


def _components(
    cells: Iterable[int], constraints: Sequence[Constraint], index: Mapping[int, list[int]] | None = None
) -> list[tuple[tuple[int, ...], tuple[Constraint, ...]]]:
    """The withheld cells split into groups that no constraint links (with each group's
    constraints): the constraint matrix is block diagonal over them, so a cell is
    determined by its own group's constraints alone."""
    index = _constraint_index(constraints) if index is None else index
    withheld = set(cells)
    seen: set[int] = set()
    groups = []
    for cell in sorted(withheld):
        if cell in seen:
            continue
        group_cells, group_constraints = _group(cell, withheld.__contains__, constraints, index)
        seen.update(group_cells)
        if group_constraints:
            groups.append((group_cells, group_constraints))
    return groups


@lru_cache(maxsize=200_000)
def _determined_in_component(cells: tuple[int, ...], constraints: tuple[Constraint, ...]) -> tuple[int, ...]:
    """Cell j is determined iff the unit vector e_j lies in the row space of the matrix,
    i.e. iff every vector of its null space is 0 at j (one SVD for the whole group)."""
    if not constraints:
        return ()  # a cell in no relation is determined by nothing
    matrix = _matrix(constraints, cells)
    _, singular, vt = np.linalg.svd(matrix)
    tolerance = singular.max(initial=0.0) * max(matrix.shape) * np.finfo(float).eps
    null_space = vt[int((singular > tolerance).sum()) :]
    return tuple(cell for j, cell in enumerate(cells) if not np.any(np.abs(null_space[:, j]) > 1e-9))


def determined_cells(
    withheld: Iterable[int], constraints: Sequence[Constraint], index: Mapping[int, list[int]] | None = None
) -> list[int]:
    """The withheld cells that the published cells determine exactly.

    With the published values moved to the right-hand side, the withheld cells solve
    ``A x = b``; cell j is determined iff the unit vector e_j lies in the row space of A.
    A is block diagonal over the groups of withheld cells that constraints link, so the
    test runs per group (:func:`_components`), each group once (cached).
    """
    cells = sorted(set(withheld))
    found: list[int] = []
    for group_cells, group_constraints in _components(cells, constraints, index):
        found += _determined_in_component(group_cells, group_constraints)
    return sorted(found)


def suppress(
    frame: pd.DataFrame,
    *,
    value: str,
    sensitive: pd.Series,
    constraints: Sequence[Constraint],
    threshold: int = 4,
    also_hide: Sequence[str] = (),
    forced: pd.Series | None = None,
) -> pd.DataFrame:
    """Apply primary and secondary suppression; returns a copy with ``CONF_STATUS``.

    ``sensitive`` is a boolean Series aligned with ``frame`` (rows of sensitive measures);
    ``value`` is the count column tested against the threshold (e.g. the NUMERATOR of an
    indicator), and it and every column in ``also_hide`` (e.g. the rate computed from it)
    are set to NaN in withheld rows. ``forced`` (boolean, aligned) marks rows that must be
    withheld for a reason outside this table (the same count is withheld in another
    published table); they are withheld as secondary cells.
    """
    out = frame.copy()
    out["CONF_STATUS"] = FREE
    counts = pd.to_numeric(out[value], errors="coerce")
    primary = sensitive.reindex(out.index, fill_value=False) & counts.between(1, threshold)
    withheld = set(out.index[primary])
    out.loc[primary, "CONF_STATUS"] = PRIMARY
    if forced is not None:  # withheld elsewhere: secondary here, unless a small count itself
        extra = forced.reindex(out.index, fill_value=False) & ~primary
        withheld |= set(out.index[extra])
        out.loc[extra, "CONF_STATUS"] = SECONDARY

    index = _constraint_index(constraints)
    unpinned: set[int] = set()  # "determined" by relations in which no published value appears
    determined = set(determined_cells(withheld, constraints, index))
    while True:
        exposed = sorted(determined - unpinned)
        if not exposed:
            break
        cell = exposed[0]
        # published cells in the exposed cell's own relations first; if all of those are
        # already withheld, the cell is pinned through other withheld cells: widen to the
        # published cells in any relation of a withheld cell linked to it
        group = set(_group(cell, withheld.__contains__, constraints, index)[0])
        candidates = _secondary_candidates({cell}, withheld, constraints, index) or _secondary_candidates(
            group, withheld, constraints, index
        )
        if not candidates:
            # every relation linking these cells is among withheld cells only: no published
            # value enters what they imply (relations that disagree, e.g. two hierarchies of
            # one table), so nothing of the cells' values can be recovered from the table
            unpinned |= {c for c in exposed if c in group}
            continue

        def cost(candidate: int) -> tuple:
            # withholding the candidate changes only the group it joins: the cells exposed
            # elsewhere stay exposed (the same count as determined_cells(withheld | {candidate}))
            group_cells, group_constraints = _group(
                candidate, lambda cell: cell == candidate or cell in withheld, constraints, index
            )
            inside = set(group_cells)
            still_exposed = (
                len(exposed)
                - sum(1 for c in exposed if c in inside)
                + len(_determined_in_component(group_cells, group_constraints))
            )
            size = counts.get(candidate)
            return (still_exposed, abs(size) if pd.notna(size) else np.inf, candidate)

        choice = min(candidates, key=cost)
        withheld.add(choice)
        out.loc[choice, "CONF_STATUS"] = SECONDARY
        # only the group the choice joins changes: its cells are tested again, the rest stand
        group_cells, group_constraints = _group(choice, withheld.__contains__, constraints, index)
        determined.difference_update(group_cells)
        determined.update(_determined_in_component(group_cells, group_constraints))

    hidden = out["CONF_STATUS"] != FREE
    for column in (value, *also_hide):
        out.loc[hidden, column] = np.nan
    return out


def _secondary_candidates(
    cells: set[int], withheld: set[int], constraints: Sequence[Constraint], index: Mapping[int, list[int]] | None = None
) -> list[int]:
    """Published cells sharing a relation with any of ``cells``: hiding one of them helps."""
    index = _constraint_index(constraints) if index is None else index
    candidates: set[int] = set()
    for position in {p for cell in cells for p in index.get(cell, ())}:
        candidates.update({constraints[position].total, *constraints[position].parts} - withheld)
    return sorted(candidates)
