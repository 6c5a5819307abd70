"""Whole-file rules applied after the row checks, the same for ``clac validate`` and ingestion.

A file can be readable and its rows each plausible on their own, and still be wrong as a
whole. Two rules refuse such a file entirely (nothing of it is staged), with the reason:

* **stated totals** (:mod:`warehouse.reconcile`): a document that states its own total
  (NCMEC's table total and the rounded figure in its introduction) must have rows that
  add up to it. The build's blocking check ``stated_total_matches`` checks the same on
  the warehouse; refusing the file at intake keeps one bad file from blocking every later
  build;
* **mostly implausible**: when more than ``implausible_share`` of a file's rows (and at
  least ``implausible_min_rows``) break a plausibility rule (``plausibility_rules`` in
  ``rules.yaml``, e.g. a x10 change year over year), the file is refused: figures
  shifted one row against the country names, or a different table, look like that.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Callable

import pandas as pd

from sources.catalogue import SourceEntry
from sources.parsers.base import ParseResult, SourceFileError
from sources.validation.row_rules import load_rules
from warehouse.reconcile import states_total, total_problems


def rows_sum(staged: pd.DataFrame, quarantine: pd.DataFrame) -> float:
    """Sum of the values of the staged and the quarantined rows, as the reconciliation sums them."""
    total = float(pd.to_numeric(staged.get("OBS_VALUE"), errors="coerce").fillna(0).sum()) if len(staged) else 0.0
    for text in quarantine.get("ROW_JSON", pd.Series(dtype=object)):
        try:
            value = float(json.loads(text).get("OBS_VALUE"))
        except (TypeError, ValueError, AttributeError):
            continue
        total += value if value == value else 0.0
    return total


def whole_file_problem(
    path: Path, entry: SourceEntry, parsed: ParseResult, staged: pd.DataFrame, quarantine: pd.DataFrame
) -> SourceFileError | None:
    """The reason to refuse the whole file, or None (see the module docstring)."""
    if states_total(entry):
        problems = total_problems(parsed.facts or {}, rows_sum(staged, quarantine))
        if problems:
            return SourceFileError(
                path,
                "the rows do not add up to the total the document states (" + "; ".join(problems) + ").",
                hint="A row was lost or misread: check that this is the publisher's file, unchanged; "
                "if it is, report this message to the Secretariat.",
                code="file_total_mismatch",
                params={"detail": "; ".join(problems)},
            )
    settings = load_rules().settings
    rules = tuple(settings.get("plausibility_rules") or ())
    if rules and len(staged) and "WARNINGS" in staged:
        warned = staged["WARNINGS"].fillna("").map(lambda w: any(r in str(w) for r in rules))
        n, total = int(warned.sum()), len(staged)
        if n >= int(settings["implausible_min_rows"]) and n > float(settings["implausible_share"]) * total:
            share = f"{100 * n / total:.0f}"
            return SourceFileError(
                path,
                f"{n} of its {total} rows ({share} %) break a plausibility rule ({', '.join(rules)}); "
                "a file where most figures are implausible is refused whole.",
                hint="Check that the figures are on the right rows (not shifted against the names) and that "
                "this is the right table; correct the file and send it again.",
                code="file_implausible",
                params={"n": n, "total": total, "share": share, "rules": ", ".join(rules)},
            )
    return None


def check_parsed(
    path: Path,
    entry: SourceEntry,
    parsed: ParseResult,
    *,
    file_id: str,
    resolve_area: Callable[[str], str | None],
    existing_for: Callable[[pd.DataFrame], pd.DataFrame | None] = lambda staged: None,
    today: dt.date | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Row rules, relations and plausibility, then the whole-file rules: what ingestion and
    ``clac validate`` both run on a parsed file.

    Returns ``(staged, quarantine, warnings)``; raises :class:`SourceFileError` when the file
    is refused whole, also when a check stops on something unforeseen in the file (the
    message names the file; never a bare traceback).
    """
    from sources.catalogue import load_measures
    from sources.validation.relations import check_relations
    from sources.validation.row_rules import check_rows

    try:
        staged, quarantine = check_rows(
            parsed.rows, entry=entry, file_id=file_id, measures=load_measures(), resolve_area=resolve_area, today=today
        )
        staged, quarantine, warnings = check_relations(staged, quarantine, entry=entry, existing=existing_for(staged))
    except Exception as exc:  # a check that trips on an odd value: the file is named, the data kept out
        raise SourceFileError(
            path,
            f"the checks of its rows stopped on something unexpected ({type(exc).__name__}: {exc}); "
            "nothing of it was stored.",
            hint="Look for unusual values (very large or very small numbers, zeros, blanks) and send the "
            "file again; if it still fails, report this message to the Secretariat.",
            code="file_check_failed",
            params={"detail": f"{type(exc).__name__}: {exc}"},
        ) from exc
    problem = whole_file_problem(path, entry, parsed, staged, quarantine)
    if problem is not None:
        raise problem
    return staged, quarantine, warnings
