"""Parser for NCMEC's "CyberTipline Reports by Electronic Service Providers (ESP)" PDFs.

What the documents look like (2019-2023 editions, 5 to 8 pages):

* page 1 holds the title ("2019 CyberTipline Reports by / Electronic Service Providers
  (ESP)"), prose and the start of the table; every later page starts with a running header
  ("2019 Reports by ESP 2") and repeats the table's header line;
* one table, one column: ``ESP | Number of Reports`` (2019-2021) or ``ESP | Reports``
  (2022-2023), providers in alphabetical order, numbers right-aligned with thousands
  separators ("15,884,511");
* long names wrap inside their cell: the number sits on the first line ("Deluxe
  Corporation/ColoCrossing /" / "HudsonValleyHost", 2019-2020) or is centred between the
  two lines ("Web.com/Network Solutions/" / "Register/NameBargain", 2021);
* a trailing "*" marks "Report totals for related platforms and companies have been
  combined" (2019-2020: "Facebook*", "Google*", "Microsoft*", ...); the names are returned
  without it and the printed form is kept in ``facts["provider_footnotes"]``;
* the table ends with a total row ("Totals:" 2019-2020, "Total:" 2021, "Total" 2022-2023):
  the sum of the ESP reports, returned in ``facts["stated_total_table"]`` and not an
  observation;
* the prose states two rounded figures: all CyberTipline reports of the year ("received more
  than 21.7 million reports", which includes the public's reports, so it is *not* the table's
  total) and, from 2020, the reports from ESPs ("21.4 million of these reports were from
  Electronic Service Providers"), which is. Only the second is a stated total
  (``stated_total_text``, checked rounded or truncated); the first is kept as
  ``facts["cybertipline_total_text"]``, for information. 2019 states only the first
  ("16.9 million reports"; the table sums to 16,836,694).

How it is read: words and coordinates from ``pdfplumber`` (the same line grouping as
:mod:`sources.parsers.ncmec_pdf`). A table starts after a header line whose first word is
"ESP" and which holds "Reports". Numbers are right-aligned: words ending at the value column's
right edge form the value cell, the other words the name. A line with a name and no value is
either the continuation of the row above (closer than a normal row pitch) or the start of a
row whose number is centred on the next line. A page's table ends at the total row or at a
vertical gap of about two rows (the copyright footer).

Observations: one per provider and year, ``MEASURE`` ``CYBERTIPLINE_REPORTS_BY_ESP``, area
the world (``AREA_RAW`` "World", M49 001: the reports are NCMEC's worldwide counts), the
provider in ``DISAGGREGATION`` as ``ESP=<canonical name>``. Canonical names come from the
maintained alias table (:mod:`sources.harmonise.providers`); a printed name the table does not
know is **not guessed**: its row is returned with ``PARSE_ERROR`` saying so (it goes to
quarantine with its figure, as an unknown area name does), and the rest of the file is read.
The printed name of every row is kept in ``facts["printed_names"]`` (page, line, printed,
canonical), so the label behind each staged figure can be found.

Locations: LOC_PAGE is the 1-based page; LOC_LINE the 1-based rank, from the top of the page,
of the text line holding the first word of the row's name, counting every non-blank text line
of the page (running header, title, prose and table alike), as in ``ncmec_pdf``.

Options (``parser_options`` of the catalogue entry): ``aliases`` (path of another alias table,
for tests); ``reconcile_stated_total`` is the catalogue's flag for the stated-total check and
is ignored here.
"""

from __future__ import annotations

import re
import statistics
from decimal import Decimal
from pathlib import Path
from typing import Any

from sources.harmonise.providers import (
    PROVIDER_ALIASES_CSV,
    ProviderResolver,
    ProviderTableError,
    clean_printed,
    default_resolver,
)

from .base import ParseResult, SourceFileError, disaggregation_key, make_rows
from .ncmec_pdf import (
    MULTIPLIERS,
    NUMBER_RE,
    add_line,
    open_pdf,
    read_pages,
    report_title,
    split_cells,
    text_lines,
)

MEASURE = "CYBERTIPLINE_REPORTS_BY_ESP"
WORLD = "World"  # M49 001 in sources/reference/special_areas.csv
BREAKDOWN = "ESP"
EXPECTED = "CyberTipline Reports by Electronic Service Providers (ESP)"
HINT_DOWNLOAD = (
    "download it again from https://www.missingkids.org/cybertiplinedata "
    '("CyberTipline Reports by Electronic Service Providers (ESP)") and replace this file.'
)
TITLE_RE = re.compile(r"\b((?:19|20)\d\d)\s+CyberTipline\s+Reports\s+by\s+Electronic\s+Service\s+Providers\b", re.I)
ESP_TEXT_RE = re.compile(
    r"\b(\d+(?:\.\d+)?)\s+(thousand|million|billion)\s+of\s+(?:the\s+)?(?:these\s+)?reports\s+were\s+from\s+"
    r"(?:Electronic\s+Service\s+Providers|ESPs)\b",
    re.I,
)
ALL_TEXT_RE = re.compile(
    r"\bCyberTipline\s+received\s+(?:more\s+than\s+)?(\d+(?:\.\d+)?)\s+(thousand|million|billion)\s+reports\b", re.I
)
TOTAL_WORDS = {"total", "totals"}
HEADER_TAIL = {"number", "of", "reports"}


# --------------------------------------------------------------------------- title, totals


def read_title_and_totals(path: Path, page_texts: list[str]) -> dict[str, Any]:
    """Report year from the page-1 title, and the rounded figures stated in the prose."""
    match = report_title(path, page_texts, TITLE_RE, EXPECTED, f"2019 {EXPECTED}", HINT_DOWNLOAD)
    facts: dict[str, Any] = {
        "report_year": int(match.group(1)),
        "stated_total_text": None,
        "stated_total_text_value": None,
        "stated_total_text_precision": None,
        "cybertipline_total_text": None,
    }
    prose = " ".join(" ".join(page_texts).split())
    found = ESP_TEXT_RE.search(prose)
    if found:
        number, word = Decimal(found.group(1)), found.group(2).lower()
        facts["stated_total_text"] = f"{found.group(1)} {word}"
        facts["stated_total_text_value"] = float(number * MULTIPLIERS[word])
        facts["stated_total_text_precision"] = float(Decimal(10) ** number.as_tuple().exponent * MULTIPLIERS[word])
    everything = ALL_TEXT_RE.search(prose)
    if everything:
        facts["cybertipline_total_text"] = f"{everything.group(1)} {everything.group(2).lower()}"
    return facts


# --------------------------------------------------------------------------- page geometry


def is_header(line: list[dict]) -> bool:
    """``ESP | Number of Reports`` or ``ESP | Reports``."""
    words = [w["text"] for w in line]
    return words[0] == "ESP" and "Reports" in words and {w.lower() for w in words[1:]} <= HEADER_TAIL


def total_of(line: list[dict]) -> str | None:
    """The number of a total row ("Totals: 16,836,694", "Total 31,802,525"), else None."""
    names = [w["text"] for w in line if not NUMBER_RE.match(w["text"])]
    numbers = [w["text"] for w in line if NUMBER_RE.match(w["text"])]
    if len(names) == 1 and names[0].rstrip(":").lower() in TOTAL_WORDS and len(numbers) == 1:
        return numbers[0]
    return None


def table_rows(lines: list[list[dict]]) -> tuple[list[dict], str | None]:
    """Rows of the table below one header (name lines, value text, first word), and the total if printed."""
    numbers = [w for line in lines for w in line if NUMBER_RE.match(w["text"])]
    if not numbers:
        return [], None
    right = statistics.mode(round(w["x1"]) for w in numbers)
    left = min(w["x0"] for w in numbers if abs(w["x1"] - right) <= 3)
    tops = [line[0]["top"] for line in lines]
    gaps = sorted(b - a for a, b in zip(tops, tops[1:]))
    pitch = statistics.median(gaps) if gaps else 1.5 * (lines[0][0]["bottom"] - lines[0][0]["top"])

    rows: list[dict] = []
    last_top = None
    for n, line in enumerate(lines):
        top = min(w["top"] for w in line)
        gap = top - last_top if last_top is not None else 0.0
        if gap > 1.8 * pitch:  # the footer, or a blank line before the total row (2019-2021)
            after = [t for t in (total_of(rest) for rest in lines[n:]) if t is not None]
            return rows, (after[0] if after else None)
        total = total_of(line)
        if total is not None:
            return rows, total
        names, values = split_cells(line, left, right)
        add_line(rows, names, values, gap, pitch)
        last_top = top
    return rows, None


def page_rows(page: Any) -> tuple[list[dict], str | None, str]:
    """The table rows of one page, its total if printed there, and its text."""
    lines = text_lines(page.extract_words())
    text = "\n".join(" ".join(w["text"] for w in line) for line in lines)
    line_no = {id(w): i for i, line in enumerate(lines, start=1) for w in line}
    starts = [i for i, line in enumerate(lines) if is_header(line)]
    found: list[dict] = []
    total = None
    for k, start in enumerate(starts):
        stop = starts[k + 1] if k + 1 < len(starts) else len(lines)
        rows, table_total = table_rows(lines[start + 1 : stop])
        for row in rows:
            row["page"], row["line"] = page.page_number, line_no[id(row["first"])]
        found.extend(rows)
        total = table_total or total
    return found, total, text


# --------------------------------------------------------------------------- rows


def read_count(raw: str | None) -> tuple[float, str]:
    if raw is None:
        return float("nan"), "the Reports cell of this row is empty."
    if NUMBER_RE.match(raw):
        return float(int(raw.replace(",", ""))), ""
    return float("nan"), f"the Reports cell {raw!r} is not a whole number."


def to_record(row: dict, year: int, resolver: ProviderResolver, origin: str) -> tuple[dict[str, Any], str, str]:
    """(record, printed name, canonical name or "") for one table row."""
    printed = clean_printed(" ".join(n for n in row["names"] if n))
    value, error = read_count(row["value"])
    canonical = resolver.resolve(printed) if printed else None
    problems = [error] if error else []
    if not printed:
        problems.append("this row has a number but no provider name.")
    elif canonical is None:
        problems.append(
            f"the provider name '{printed}' is not in the provider list {origin}; add a row mapping it to its "
            "canonical name (or to itself, for a new provider)."
        )
    return (
        {
            "MEASURE": MEASURE,
            "AREA_RAW": WORLD,
            "TIME_PERIOD_RAW": str(year),
            "OBS_VALUE": value,
            "VALUE_RAW": row["value"] or "",
            "UNIT_MEASURE": "NUMBER",
            "OBS_STATUS": "A",
            "DISAGGREGATION": disaggregation_key({BREAKDOWN: canonical or printed}),
            "LOC_PAGE": row["page"],
            "LOC_LINE": row["line"],
            "PARSE_ERROR": " ".join(problems),
        },
        printed,
        canonical or "",
    )


def _resolver(path: Path, aliases: Any) -> ProviderResolver:
    try:
        return default_resolver(Path(aliases)) if aliases else default_resolver(PROVIDER_ALIASES_CSV)
    except ProviderTableError as exc:
        raise SourceFileError(
            path,
            f"the provider list cannot be used ({exc}).",
            hint="Correct sources/reference/provider_aliases.csv (one row per printed name: alias,provider,note).",
            code="",
        ) from None


def parse(path: Path, **options: Any) -> ParseResult:
    """Parse one CyberTipline Reports by ESP PDF. Option: ``aliases`` (another alias table)."""
    path = Path(path)
    resolver = _resolver(path, options.get("aliases"))
    with open_pdf(path, download=HINT_DOWNLOAD) as pdf:
        rows, totals, texts = read_pages(path, pdf, page_rows, download=HINT_DOWNLOAD)
    facts = read_title_and_totals(path, texts)
    if not rows:
        raise SourceFileError(
            path,
            'no provider table was found (no header line "ESP ... Reports" followed by rows with report counts).',
            hint="The layout may have changed: compare the file with earlier years and update "
            "sources/parsers/ncmec_esp_pdf.py, or " + HINT_DOWNLOAD,
            code="file_layout_changed",
        )
    origin = Path(options["aliases"]).name if options.get("aliases") else "sources/reference/provider_aliases.csv"
    records, printed_names = [], []
    for row in rows:
        record, printed, canonical = to_record(row, facts["report_year"], resolver, origin)
        records.append(record)
        printed_names.append({"page": row["page"], "line": row["line"], "printed": printed, "provider": canonical})
    facts["stated_total_table"] = int(totals[-1].replace(",", "")) if totals else None
    facts["provider_footnotes"] = {
        clean_printed(p): p for p in (" ".join(r["names"]) for r in rows) if p.rstrip().endswith("*")
    }
    facts["printed_names"] = printed_names
    facts["unknown_providers"] = sorted({p["printed"] for p in printed_names if p["printed"] and not p["provider"]})
    facts["pages"] = len(texts)
    return ParseResult(rows=make_rows(records), rows_read=len(records), facts=facts)
