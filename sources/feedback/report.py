"""Submitter feedback: check one file as ingestion would, without touching the warehouse.

:func:`validate_file` runs the source's parser, the row rules, and the relation and
plausibility rules exactly as :func:`sources.ingest.ingest_file` does, and returns a
:class:`Report`: rows read, rows that would be staged, and every problem (whole-file or
per row) with its location, column, rule, value and a message in Spanish (default),
English or Portuguese. When a warehouse exists it is opened read-only, briefly, to compare
with earlier periods and with the related figures already held (plausibility, relations);
nothing is written to it.

:func:`write_html` (Jinja2 template ``templates/validation_report.html.j2``, autoescaped)
and :func:`write_csv` (cells neutralised against formula injection) write the report.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sources.catalogue import SourceEntry, load_measures
from sources.validation import messages as msg

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
CSV_COLUMNS = [
    "file",
    "source_id",
    "severity",
    "rule",
    "location",
    "page",
    "line",
    "sheet",
    "row",
    "column",
    "value",
    "message",
]


@dataclass
class Problem:
    severity: str  # error | warning
    rule: str  # a rules.yaml rule, or a file-problem code
    column: str
    value: str
    message: str  # in the report's language
    location: dict[str, Any] = field(default_factory=dict)
    where: str = ""  # the location, written in the report's language


@dataclass
class Report:
    path: Path
    source_id: str
    lang: str
    sha256: str
    checked_at: str
    synthetic: bool = False
    rows_read: int = 0
    rows_staged: int = 0
    rows_quarantined: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    file_problem: str = ""  # the whole-file message, when the file cannot be read

    @property
    def file_name(self) -> str:
        return self.path.name

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0

    def verdict(self) -> tuple[str, str]:
        """(text, css class)."""
        if self.file_problem:
            return msg.label("verdict_file", self.lang), "bad"
        if self.errors:
            return msg.label("verdict_errors", self.lang), "bad"
        if self.warnings:
            return msg.label("verdict_warnings", self.lang), "warn"
        return msg.label("verdict_ok", self.lang), "ok"


def _location(row: dict[str, Any]) -> dict[str, Any]:
    return msg.row_location(row)


def _existing(entry: SourceEntry, staged: pd.DataFrame, warehouse: Path | None) -> tuple[pd.DataFrame | None, str]:
    """Current warehouse rows to compare with (read-only, brief), and a note if none."""
    import duckdb

    from sources.validation.relations import existing_rows

    if warehouse is None or not warehouse.exists():
        return None, "no_comparison"
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return None, "no_comparison"
    try:
        return existing_rows(con, entry, staged), ""
    except duckdb.Error:
        return None, "no_comparison"
    finally:
        con.close()


def _refused(report: Report, exc, lang: str) -> Report:
    """The report of a file refused whole."""
    report.file_problem = msg.file_problem(exc, lang)
    where = msg.localise_where(exc.where, lang) if exc.where else msg.load_messages()["locations"]["whole_file"][lang]
    report.problems.insert(0, Problem("error", exc.code or "file_unreadable", "", "", report.file_problem, where=where))
    return report


def validate_file(
    path: Path,
    entry: SourceEntry,
    *,
    lang: str = msg.DEFAULT_LANG,
    warehouse: Path | None = None,
    today: dt.date | None = None,
) -> Report:
    """Check a file for a source as ingestion would; nothing is written anywhere.

    The checks are those of ingestion, by the same functions: the reader and its limits
    (:func:`sources.ingest.parse_file`), then for an observation source the row rules,
    relations, plausibility and whole-file rules (:func:`sources.validation.whole_file.check_parsed`:
    stated totals, mostly implausible files), for a quarterly report workbook the checks of
    :func:`sources.quarterly_intake.check_report`. ``report.file_problem`` is set exactly
    when ingestion would refuse the file whole.
    """
    from sources.harmonise.areas import default_resolver
    from sources.ingest import file_sha256, parse_file
    from sources.parsers.base import SourceFileError
    from sources.validation.row_rules import load_rules
    from sources.validation.whole_file import check_parsed

    lang = msg.check_lang(lang)
    path = Path(path)
    sha = file_sha256(path)
    report = Report(
        path=path,
        source_id=entry.id,
        lang=lang,
        sha256=sha,
        synthetic=entry.synthetic,
        checked_at=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )
    try:
        parsed = parse_file(path, entry)
    except SourceFileError as exc:
        return _refused(report, exc, lang)
    _package_notes(report, parsed.facts or {}, lang)
    if entry.parser == "wg_workbook":
        return _quarterly_report(report, parsed, entry, sha[:16], default_resolver().resolve)

    rules = load_rules()
    notes: list[str] = []

    def existing_for(staged: pd.DataFrame) -> pd.DataFrame | None:
        existing, note = _existing(entry, staged, warehouse)
        if note:
            notes.append(note)
        return existing

    report.rows_read = parsed.rows_read
    try:
        staged, quarantine, warnings = check_parsed(
            path,
            entry,
            parsed,
            file_id=sha[:16],
            today=today,
            resolve_area=default_resolver().resolve,
            existing_for=existing_for,
        )
    except SourceFileError as exc:
        return _refused(report, exc, lang)
    report.rows_staged = len(staged)
    report.rows_quarantined = len(quarantine)

    facts = parsed.facts or {}
    if facts.get("extra_columns"):
        report.notes.append(msg.label("extra_columns", lang, columns=", ".join(facts["extra_columns"])))
    if facts.get("encoding") or facts.get("delimiter"):
        report.notes.append(
            msg.label(
                "encoding",
                lang,
                encoding=facts.get("encoding", "-"),
                delimiter=facts.get("delimiter", "-"),
                decimal=facts.get("decimal_separator") or "-",
            )
        )
    for note in notes:
        report.notes.append(msg.label(note, lang))

    for row in quarantine.to_dict("records"):
        location = _location(row)
        report.problems.append(
            Problem(
                rules.severity(row["RULE"]),
                row["RULE"],
                row["COLUMN_NAME"],
                str(row["VALUE"]),
                msg.rule_message(row["RULE"], row.get("DETAIL"), lang, fallback=row["MESSAGE"], rules=rules),
                location,
                msg.location_text(location, lang),
            )
        )
    for row in warnings.to_dict("records"):
        location = _location(row)
        report.problems.append(
            Problem(
                "warning",
                row["RULE"],
                row["COLUMN_NAME"],
                str(row["VALUE"]),
                msg.rule_message(row["RULE"], row.get("DETAIL"), lang, fallback=row["MESSAGE"], rules=rules),
                location,
                msg.location_text(location, lang),
            )
        )
    measures = load_measures()
    for row in staged[staged["WARNINGS"].str.contains("unit_from_measure", regex=False)].to_dict("records"):
        location = _location(row)
        unit = measures[row["MEASURE"]].unit if row["MEASURE"] in measures else row["UNIT_MEASURE"]
        report.problems.append(
            Problem(
                "warning",
                "unit_from_measure",
                "UNIT_MEASURE",
                "",
                rules.message("unit_from_measure", lang, detail=unit),
                location,
                msg.location_text(location, lang),
            )
        )
    report.problems.sort(key=lambda p: (p.severity != "error", _sort_key(p.location)))
    return report


def _package_notes(report: Report, facts: dict[str, Any], lang: str) -> None:
    """Hidden sheets, external links and cells outside the table: the sender is told."""
    if facts.get("hidden_sheets"):
        read = [facts["sheet"]] if facts.get("sheet") else facts.get("sheets_read", [])
        report.notes.append(
            msg.label(
                "hidden_sheets",
                lang,
                sheets=", ".join(f"'{s}'" for s in facts["hidden_sheets"]),
                read=", ".join(f"'{s}'" for s in read),
            )
        )
    if facts.get("external_links"):
        report.notes.append(msg.label("external_links", lang, n=facts["external_links"]))
    if facts.get("outside_cells"):
        cells = facts["outside_cells"]
        report.notes.append(msg.label("outside_cells", lang, n=len(cells), cells=", ".join(cells[:5])))


def _quarterly_report(report: Report, parsed, entry: SourceEntry, file_id: str, resolve) -> Report:
    """A quarterly report workbook, checked by the intake's own row checks (nothing written)."""
    from sources.quarterly_intake import check_report, render_quarantine_message

    frames, quarantine = check_report(parsed, file_id=file_id, resolve_area=resolve, source_id=entry.id)
    report.rows_read = parsed.rows_read
    report.rows_staged = sum(len(frame) for frame in frames.values())
    report.rows_quarantined = len(quarantine)
    for row in quarantine.to_dict("records"):
        location = _location(row)
        report.problems.append(
            Problem(
                "error",
                row["RULE"],
                str(row["COLUMN_NAME"] or ""),
                str(row["VALUE"] or ""),
                render_quarantine_message(row["ROW_JSON"], report.lang),
                location,
                msg.location_text(location, report.lang),
            )
        )
    report.problems.sort(key=lambda p: (p.severity != "error", _sort_key(p.location)))
    return report


def _sort_key(location: dict[str, Any]) -> tuple:
    return (location.get("sheet", ""), location.get("page", 0), location.get("line", 0), location.get("row", 0))


# --------------------------------------------------------------------------- output


def text_lines(report: Report, *, per_rule: int = 20) -> list[str]:
    """The report as plain text lines (for the terminal): at most ``per_rule`` problems per rule."""
    L = lambda name, **kw: msg.label(name, report.lang, **kw)  # noqa: E731
    lines = [
        f"{L('title')}: {report.file_name}",
        f"  {L('source')}: {report.source_id}" + (f" ({L('synthetic')})" if report.synthetic else ""),
        f"  {L('sha256')}: {report.sha256}",
        f"  {L('rows_read')}: {report.rows_read}",
        f"  {L('rows_staged')}: {report.rows_staged}",
        f"  {L('rows_quarantined')}: {report.rows_quarantined}",
        f"  {L('errors')}: {len(report.errors)}   {L('warnings')}: {len(report.warnings)}",
    ]
    for note in report.notes:
        lines.append(f"  · {note}")
    shown: dict[str, int] = {}
    hidden: dict[str, int] = {}
    for p in report.problems:
        shown[p.rule] = shown.get(p.rule, 0) + 1
        if shown[p.rule] > per_rule:
            hidden[p.rule] = hidden.get(p.rule, 0) + 1
            continue
        head = f"[{L(p.severity)}] {report.file_name}"
        if p.where:
            head += f", {p.where}"
        details = [f"{L('rule')}: {p.rule}"]
        if p.column:
            details.append(f"{L('column')}: {p.column}")
        if p.value:
            details.append(f"{L('value')}: '{p.value}'")
        lines.append(f"{head} — {'; '.join(details)}")
        lines.append(f"    {p.message}")
    for rule, n in hidden.items():
        lines.append(f"  {rule}: " + L("more", n=n))
    lines.append(report.verdict()[0])
    return lines


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "file"


def report_frame(report: Report) -> pd.DataFrame:
    rows = [
        {
            "file": report.file_name,
            "source_id": report.source_id,
            "severity": p.severity,
            "rule": p.rule,
            "location": p.where,
            "page": p.location.get("page"),
            "line": p.location.get("line"),
            "sheet": p.location.get("sheet", ""),
            "row": p.location.get("row"),
            "column": p.column,
            "value": p.value,
            "message": p.message,
        }
        for p in report.problems
    ]
    frame = pd.DataFrame(rows, columns=CSV_COLUMNS)
    for col in ("page", "line", "row"):
        frame[col] = pd.array(frame[col], dtype="Int64")
    return frame


def write_csv(report: Report, out_dir: Path) -> Path:
    """The problems as CSV (UTF-8 with BOM for spreadsheet programs), formula-safe."""
    from warehouse.exports import neutralise_formulas

    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{_safe_name(report.file_name)}.validation.csv"
    tmp = out.with_name(f".{out.name}.tmp")
    neutralise_formulas(report_frame(report)).to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\n")
    tmp.replace(out)
    return out


def write_html(report: Report, out_dir: Path) -> Path:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
    )
    labels = {name: texts[report.lang] for name, texts in msg.load_messages()["labels"].items()}
    verdict, css = report.verdict()
    html = env.get_template("validation_report.html.j2").render(
        report=report, lang=report.lang, L=labels, verdict=verdict, verdict_class=css
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{_safe_name(report.file_name)}.validation.html"
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)
    return out
