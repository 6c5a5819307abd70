"""Words, not internals: every page of every edition and the text of every report PDF speak
to their reader in their language.

Scanned: the site HTML of the three audiences (``audience_home``) and of the default build
(``built_home``), the annual report's HTML and the text of its PDFs (``pdftotext``). Found must
be none of: warehouse, file or module names; SQL; codes where a label exists (statuses, regions,
units, working groups, measures, data-quality codes); English left inside Spanish or
Portuguese pages (every English text of the translation catalogues that has its own Spanish or
Portuguese wording, plus phrases known to have leaked before); SYNTHETIC placeholder text in
a public report.

Every page of every edition and every report is held to this. The one exception is the
downloads page's how-to for programmers (marked ``data-audience="programmers"``), which names
the reader's own tools, files and columns on purpose.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from tests.conftest import PROJECT_ROOT

LANGS = ("es", "en", "pt")

#: Names of the warehouse, files, modules and checks, and SQL: never on a page.
INTERNAL = [
    (r"\b(?:marts|staging|raw|audit)\.[a-z_]+", "warehouse table name"),
    (r"\b[\w-]+\.(?:yaml|yml|py|duckdb|j2)\b", "file name"),
    (r"\bSELECT\b[\s\S]{0,200}?\bFROM\b", "SQL"),
    (r"\b(?:LEFT |INNER )?JOIN\s+\w+", "SQL"),
    (r"\bgx_suite\b|\bgreat_expectations\b|\brows_conserved\b", "check name"),
    (r"\bdo not edit by hand\b|\bgenerated from\b", "note for maintainers"),
    (r"\bsdg-build\b|\bSeriesProgress\b|\bpandas\b|\bDuckDB\b|\bDagster\b", "library name"),
]


@lru_cache(maxsize=1)
def _codes_with_labels() -> set[str]:
    """Codes that have a label in every language: the label belongs on the page, not the code."""
    from indicators.progress import STATUSES
    from indicators.registry import translations

    labels = translations()
    codes = set(STATUSES) - {"context"}  # "context" is also an ordinary English word
    codes |= {
        "LAC_CARIB",
        "LAC_CENTRAL",
        "LAC_SOUTH",
        "on_time",
        "not_scheduled",
        "ratio_of_sums",
        "population_total",
        "population_under18",
        "weighted_mean",
    }
    codes |= {c for c in labels["units"] if "_" in c}
    codes |= {c for c in labels["working_groups"] if "_" in c}
    measures = yaml.safe_load((PROJECT_ROOT / "sources" / "codelists" / "measures.yaml").read_text(encoding="utf-8"))
    entries = measures.get("measures", measures) if isinstance(measures, dict) else {}
    codes |= {c for c in entries if isinstance(c, str) and "_" in c}
    return codes


def _english_texts(value, out: set[str], path: tuple = ()) -> None:
    if isinstance(value, dict):
        if {"es", "en", "pt"} <= set(value):
            if isinstance(value["en"], str) and value["en"] not in (value["es"], value["pt"]):
                out.add(value["en"])
            return
        for key, item in value.items():
            _english_texts(item, out, path + (key,))


@lru_cache(maxsize=1)
def _english_phrases() -> dict[str, list[str]]:
    """Per language (es, pt): English texts of the catalogues whose translation differs, cut into
    sentences of five words or more (long enough not to be a name), plus known leaks."""
    en = yaml.safe_load((PROJECT_ROOT / "dashboards" / "translations" / "en.yaml").read_text(encoding="utf-8"))
    out: dict[str, list[str]] = {}
    for lang in ("es", "pt"):
        other = yaml.safe_load(
            (PROJECT_ROOT / "dashboards" / "translations" / f"{lang}.yaml").read_text(encoding="utf-8")
        )
        texts: set[str] = set()
        _pairs(en, other, texts)
        for catalogue in (
            PROJECT_ROOT / "dashboards" / "translations" / "report.yaml",
            PROJECT_ROOT / "indicators" / "translations.yaml",
        ):
            _english_texts(yaml.safe_load(catalogue.read_text(encoding="utf-8")), texts)
        phrases = set()
        for text in texts:
            for sentence in re.split(r"(?<=[.;:!?])\s+|\{[^}]*\}", re.sub(r"<[^>]+>", " ", text)):
                words = re.findall(r"[A-Za-z']+", sentence)
                if len(words) >= 5:
                    phrases.add(" ".join(sentence.split()).strip(" .,;:"))
        phrases |= {
            "every year from the source's first",
            "synthetic test fixture",
            "as archived in repository",
            "Most restrictive sharing level",
            "annual",  # an update frequency: "anual" in both languages
            "quarterly",
        }
        out[lang] = sorted(phrases)
    return out


def _pairs(en, other, out: set[str]) -> None:
    if isinstance(en, dict) and isinstance(other, dict):
        for key, value in en.items():
            if key in other:
                _pairs(value, other[key], out)
    elif isinstance(en, str) and isinstance(other, str) and en != other:
        out.add(en)


def page_text(path: Path) -> str:
    """What a reader sees: the text outside scripts and styles, with the words of alt, title
    and aria-label attributes."""
    raw = path.read_text(encoding="utf-8")
    raw = re.sub(r"<(script|style)\b[^>]*>[\s\S]*?</\1>", " ", raw, flags=re.IGNORECASE)
    # a how-to addressed to programmers (loading the downloads with their own tools) names those
    # tools, file names and columns on purpose; it is the one section marked so
    raw = re.sub(r'<section\b[^>]*data-audience="programmers"[^>]*>[\s\S]*?</section>', " ", raw)
    attributes = " ".join(m.group(2) for m in re.finditer(r'\b(alt|title|aria-label)="([^"]*)"', raw))
    text = re.sub(r"<[^>]+>", " ", raw) + " " + attributes
    return " ".join(html.unescape(text).split())


def pdf_text(path: Path) -> str:
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(result.stdout.split())


def findings(text: str, lang: str, *, public_report: bool = False) -> list[str]:
    """Every internal name, SQL, labelled code and English phrase (es/pt) found in ``text``."""
    found = []
    for pattern, what in INTERNAL:
        for match in re.finditer(pattern, text):
            found.append(f"{what}: {match.group(0)[:60]!r}")
    for code in _codes_with_labels():
        if code in text and re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text):
            found.append(f"code with a label: {code!r}")
    if lang in ("es", "pt"):
        lowered = text.lower()
        for phrase in _english_phrases()[lang]:
            needle = phrase.lower()  # a quick substring test first; whole words only then
            if needle in lowered and re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", lowered):
                found.append(f"English in {lang}: {phrase[:70]!r}")
    if public_report and re.search(r"SYNTH|SINT[EÉ]TIC", text, re.IGNORECASE):
        found.append("SYNTHETIC text in a public report")
    return found


def _lang_of(path: Path) -> str:
    for part in reversed(path.parts):
        if part in LANGS:
            return part
    match = re.search(r"-(es|en|pt)\.(?:html|pdf)$", path.name)
    return match.group(1) if match else "en"


def _editions(*homes: Path) -> list[Path]:
    return sorted(d for home in homes for d in (home / "build").iterdir() if d.is_dir() and not d.is_symlink())


def _scan(files: list[Path], reader, *, public: bool = False) -> dict[str, list[str]]:
    out = {}
    for path in files:
        found = findings(reader(path), _lang_of(path), public_report=public)
        if found:
            out[str(path)] = sorted(set(found))[:12]
    return out


def _report(problems: dict[str, list[str]]) -> str:
    return "\n".join(f"{path}:\n  " + "\n  ".join(items) for path, items in list(problems.items())[:40])


# ------------------------------------------------------------------- the scanner itself
def test_the_scanner_finds_what_it_looks_for():
    """Each kind of finding on a sample line a reader must never meet, and none on clean text."""
    assert findings("The table marts.legislative_tracker is empty", "en")
    assert findings("generated from indicators/registry/x.yaml; do not edit by hand", "en")
    assert findings("SELECT REF_AREA FROM marts.observations", "en")
    assert findings("Estado: target_achieved", "es")
    assert findings("Región: LAC_CARIB", "es")
    assert findings("Frecuencia: every year from the source's first release", "es")
    assert findings("Frecuencia de actualización: annual", "es")
    assert not findings("Frecuencia de actualización: anual", "pt")
    assert findings("SINTÉTICO: prólogo", "es", public_report=True)
    assert not findings("Informe anual 2023. Meta alcanzada en América del Sur.", "es")
    assert not findings("Annual report 2023: target achieved in South America.", "en")


def test_only_the_programmers_how_to_may_name_their_tools(tmp_path):
    page = tmp_path / "downloads.html"
    page.write_text(
        '<main><section class="sdmx-howto" data-audience="programmers"><p>Loading with pandas</p></section>'
        "<p>Computed with pandas</p></main>",
        encoding="utf-8",
    )
    text = page_text(page)
    assert "Loading with" not in text
    assert findings(text, "en") == ["library name: 'pandas'"]


# ------------------------------------------------------------------- held to it now
@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed (make test installs it)")
def test_report_pdfs_and_html_speak_words(audience_home, built_home):
    reports = [d / "report" for d in _editions(audience_home, built_home) if (d / "report").is_dir()]
    pdfs = sorted(p for r in reports for p in r.glob("annual-report-*.pdf"))
    htmls = sorted(p for r in reports for p in r.glob("annual-report-*.html"))
    assert pdfs and htmls, "no report was built"
    assert {_lang_of(p) for p in pdfs} == set(LANGS)
    problems = _scan(htmls, page_text)
    for pdf in pdfs:
        problems |= _scan([pdf], pdf_text, public=pdf.parts[-3] == "public")
    assert not problems, _report(problems)


def test_methodology_pages_speak_words(audience_home, built_home):
    pages = sorted(p for d in _editions(audience_home, built_home) for p in (d / "site").glob("*/methodology/*.html"))
    assert len(pages) >= 3 * 30, len(pages)
    problems = _scan(pages, page_text)
    assert not problems, _report(problems)


# ------------------------------------------------------------------- the site's other pages
def test_site_pages_speak_words(audience_home, built_home):
    pages = sorted(
        p
        for d in _editions(audience_home, built_home)
        for p in (d / "site").rglob("*.html")
        if "methodology" not in p.parts
    )
    assert len(pages) > 30
    problems = _scan(pages, page_text)
    assert not problems, f"{len(problems)} pages:\n" + _report(problems)
