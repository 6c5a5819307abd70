"""The annual report: ``clac report`` writes HTML and PDF; the PDF's pages render to
non-blank images (pdftoppm); the same inputs give the same HTML bytes."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_clac

YEAR = "2023"

needs_chromium = pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists(), reason="Debian's chromium is not installed (make test installs it)"
)


@pytest.fixture(scope="module")
def report_dir(built_home, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    if Path("/usr/bin/chromium").exists():
        run_clac(built_home, "report", "--year", YEAR, "--lang", "es", "--out", str(out))
    else:
        run_clac(built_home, "report", "--year", YEAR, "--lang", "es", "--out", str(out), "--no-pdf")
    return out


def test_report_html_has_every_chapter(report_dir):
    html = (report_dir / f"annual-report-{YEAR}-es.html").read_text(encoding="utf-8")
    assert '<html lang="es">' in html and "Informe anual 2023" in html
    for anchor in ("summary", "secretariat", "goal-1", "goal-8", "sources", "methodology"):
        assert f'id="{anchor}"' in html, anchor
    assert html.count('class="status status-') >= 8  # the eight goals' statuses, in words
    # the public edition never prints the shipped SYNTHETIC narrative example: it says none was supplied
    assert "Prólogo" not in html and "no ha aportado textos narrativos" in html
    # context indicators apart from the progress indicators, without a progress status
    goal8 = html[html.index('id="goal-8"') :]
    assert goal8.index("Indicadores de contexto") < goal8.index("Denuncias a la CyberTipline (número)")
    assert "SELECT" not in html and "marts." not in html
    assert (report_dir / "assets" / "plotly.min.js").is_file()
    assert "TLP:" in html


def test_same_inputs_give_the_same_html(built_home, tmp_path):
    """Without a print the contents list has no page numbers yet; two such runs are identical."""
    for run in ("first", "second"):
        run_clac(
            built_home,
            "report",
            "--year",
            YEAR,
            "--lang",
            "es",
            "--out",
            str(tmp_path / run),
            "--no-pdf",
            env={"CLAC_PUBLICATION_DATE": "2024-03-31"},
        )
    first = (tmp_path / "first" / f"annual-report-{YEAR}-es.html").read_bytes()
    assert b"31 de marzo de 2024" in first
    assert (tmp_path / "second" / f"annual-report-{YEAR}-es.html").read_bytes() == first


def test_a_report_whose_data_did_not_change_is_copied_not_made_again(built_home, tmp_path, monkeypatch):
    """build_reports with a cache (as the build's report step): the same warehouse gives the kept
    files without making the report (a maker that fails shows it is not called); a change to a
    figure the report shows makes it again, the same bytes as a report made without the cache."""
    import duckdb

    from dashboards import report

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_home / "warehouse.duckdb", warehouse)
    monkeypatch.setenv("CLAC_PUBLICATION_DATE", "2024-03-31")
    cache = tmp_path / "cache"

    def make(out: Path, **options) -> dict[str, bytes]:
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            paths = report.build_reports(
                con, int(YEAR), ["es", "en"], out, allowed_sharing=("CLEAR",), audience="public", pdf=False, **options
            )
        finally:
            con.close()
        return {path.name: path.read_bytes() for path in paths}

    first = make(tmp_path / "first", cache_dir=cache)
    real_context = report.report_context

    def not_made(*args, **kwargs):
        raise RuntimeError("made again")

    monkeypatch.setattr(report, "report_context", not_made)
    reused: list[str] = []
    assert make(tmp_path / "kept", cache_dir=cache, reused=reused) == first
    assert reused == ["report"]
    assert sorted(first) == [f"annual-report-{YEAR}-en.html", f"annual-report-{YEAR}-es.html"]

    con = duckdb.connect(str(warehouse))
    try:
        con.execute(
            "UPDATE marts.indicator_values SET OBS_VALUE = OBS_VALUE * 3 WHERE REF_AREA = 'LAC' AND TIME_PERIOD = ?",
            [YEAR],
        )
    finally:
        con.close()
    with pytest.raises(RuntimeError, match="made again"):
        make(tmp_path / "changed", cache_dir=cache)
    monkeypatch.setattr(report, "report_context", real_context)
    changed = make(tmp_path / "changed", cache_dir=cache)
    assert changed != first
    assert changed == make(tmp_path / "uncached")


def test_secretariat_edition_shows_the_narrative_marked_synthetic(built_home, tmp_path):
    run_clac(
        built_home,
        "report",
        "--year",
        YEAR,
        "--lang",
        "es",
        "--audience",
        "secretariat",
        "--out",
        str(tmp_path),
        "--no-pdf",
    )
    html = (tmp_path / f"annual-report-{YEAR}-es.html").read_text(encoding="utf-8")
    assert "Prólogo" in html and "SINTÉTICO" in html


def test_report_in_english_and_portuguese(built_home, tmp_path):
    for lang, title in (("en", "Annual report 2023"), ("pt", "Relatório anual 2023")):
        run_clac(built_home, "report", "--year", YEAR, "--lang", lang, "--out", str(tmp_path), "--no-pdf")
        assert title in (tmp_path / f"annual-report-{YEAR}-{lang}.html").read_text(encoding="utf-8")


def test_report_links_to_the_site_where_it_is_published(built_home, tmp_path):
    """With CLAC_SITE_URL the annex points readers of the report to the published methodology
    pages; a value that is not a web address is refused with the setting named."""
    run_clac(
        built_home,
        "report",
        "--year",
        YEAR,
        "--lang",
        "en",
        "--out",
        str(tmp_path),
        "--no-pdf",
        env={"CLAC_SITE_URL": "https://observatory.example/clac/"},
    )
    html = (tmp_path / f"annual-report-{YEAR}-en.html").read_text(encoding="utf-8")
    assert 'href="https://observatory.example/clac/en/methodology/index.html"' in html
    bad = run_clac(
        built_home,
        "report",
        "--year",
        YEAR,
        "--out",
        str(tmp_path / "bad"),
        "--no-pdf",
        check=False,
        env={"CLAC_SITE_URL": "observatory"},
    )
    assert bad.returncode == 1 and "CLAC_SITE_URL='observatory' is not a web address" in bad.stderr
    assert not (tmp_path / "bad").exists()


def test_report_refuses_a_bad_language(built_home, tmp_path):
    result = run_clac(built_home, "report", "--year", YEAR, "--lang", "fr", "--out", str(tmp_path), check=False)
    assert result.returncode != 0 and "unknown language" in result.stderr


@needs_chromium
@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils not installed (make test installs it)")
def test_pdf_pages_render_and_are_not_blank(report_dir, tmp_path):
    pdf = report_dir / f"annual-report-{YEAR}-es.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert b"D:20231231000000" in pdf.read_bytes()  # creation date from the data, not the clock
    subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "8", str(pdf), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.ppm"))
    assert len(images) >= 6
    for image in images:
        assert _ink(image) > 0.002, f"{image.name} is blank"
    # the charts are vector: their pages carry no raster image of a chart
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True)
    if listing.returncode == 0:
        assert len(listing.stdout.strip().splitlines()) <= 2 + 5


def _ink(path: Path) -> float:
    """Share of non-white pixels (PIL when installed, else the PPM read by hand)."""
    try:
        from PIL import Image

        image = Image.open(path).convert("L")
        histogram = image.histogram()
        return sum(histogram[:240]) / (image.width * image.height)
    except ImportError:
        data = path.read_bytes()
        parts = data.split(b"\n", 3)  # P6, width height, maxval, pixels
        pixels = parts[3]
        dark = sum(1 for i in range(0, len(pixels) - 2, 3) if min(pixels[i : i + 3]) < 240)
        return dark / (len(pixels) / 3)


# ------------------------------------------------------------------ the public edition's PDFs
LANGS = ("es", "en", "pt")
CONTENTS = {"es": "Contenido", "en": "Contents", "pt": "Sumário"}
NO_NARRATIVE = {
    "es": "no ha aportado textos narrativos",
    "en": "supplied no narrative text",
    "pt": "não forneceu textos narrativos",
}


def _public_pdf(audience_home: Path, lang: str) -> Path:
    pdfs = sorted((audience_home / "build" / "public" / "report").glob(f"annual-report-*-{lang}.pdf"))
    assert len(pdfs) == 1, pdfs
    return pdfs[0]


def _page_texts(pdf: Path) -> list[str]:
    import pdfplumber

    with pdfplumber.open(str(pdf)) as doc:
        return [page.extract_text() or "" for page in doc.pages]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@needs_chromium
@pytest.mark.parametrize("lang", LANGS)
def test_public_report_contents_match_its_pages(audience_home, lang):
    """Each contents entry's page number is the page its chapter heading opens (read back from
    the PDF by a person's method: find the heading's words on that page, not on the page before)."""
    pages = _page_texts(_public_pdf(audience_home, lang))
    assert len(pages) <= 40, f"{len(pages)} pages"
    contents_page = next(i for i, text in enumerate(pages) if text.lstrip().startswith(CONTENTS[lang]))
    lines = pages[contents_page].splitlines()[1:]
    entries = []
    for line in lines:  # "Chapter 2: ... online 8"; a long title wraps onto the next line
        if re.fullmatch(r"\d+ / \d+", line.strip()):
            continue  # the page footer
        match = re.match(r"(.+?)\s+(\d{1,2})$", line.strip())
        if match:
            entries.append((match.group(1), int(match.group(2))))
        elif entries and line.strip():
            title, page = entries[-1]
            entries[-1] = (title + " " + line.strip(), page)
    assert len(entries) >= 12, entries  # summary, Secretariat, 8 goals, sources, annex
    for title, page in entries:
        head = _squash(title)[:40]
        assert head in _squash(pages[page - 1]), f"{title!r} is not on page {page}"
        if page - 2 != contents_page:
            assert head not in _squash(pages[page - 2]), f"{title!r} already on page {page - 1}"


@needs_chromium
@pytest.mark.parametrize("lang", LANGS)
def test_public_report_is_tagged_with_language_and_bookmarks(audience_home, lang):
    import pdfplumber

    pdf = _public_pdf(audience_home, lang)
    with pdfplumber.open(str(pdf)) as doc:
        catalog = doc.doc.catalog
        declared = catalog["Lang"].decode() if isinstance(catalog["Lang"], bytes) else str(catalog["Lang"])
        assert declared.split("-")[0] == lang, declared
        assert catalog["MarkInfo"]["Marked"] is True and "StructTreeRoot" in catalog
        outlines = list(doc.doc.get_outlines())
        titles = [_squash(str(o[1])) for o in outlines]
        assert len(outlines) >= 12 and any(t.startswith(_squash(CONTENTS[lang])) for t in titles)
        width = doc.pages[0].width
        for page in doc.pages:  # nothing printed past the right edge: no table wider than the page
            assert all(char["x1"] <= width + 0.5 for char in page.chars), f"page {page.page_number}"
        texts = [page.extract_text() or "" for page in doc.pages]
    text = " ".join(texts)
    # a link to the edition's own pages cannot be a file:// address of the machine that printed it
    assert b"file://" not in pdf.read_bytes()
    assert f"(site/{lang}/methodology/index.html)" in re.sub(r"\s+", "", text)
    assert not re.search(r"SYNTH|SINT[EÉ]TIC", text, re.IGNORECASE)  # no placeholder text in public
    assert NO_NARRATIVE[lang] in " ".join(text.split())
    assert re.search(r"20\d\d", texts[0]) and ("Edición pública" in texts[0] or lang != "es")


@needs_chromium
def test_public_report_leaves_no_heading_at_the_foot_of_a_page(audience_home):
    """Below every bookmarked heading, on the same page, comes some of its text (the page number
    in the bottom margin does not count)."""
    import pdfplumber
    from pdfminer.pdftypes import resolve1

    with pdfplumber.open(str(_public_pdf(audience_home, "es"))) as doc:
        height = doc.pages[0].height
        for _level, title, dest, action, _se in doc.doc.get_outlines():
            dest = resolve1(dest) if dest is not None else resolve1(resolve1(action).get("D"))
            if isinstance(dest, (bytes, str)):
                dest = resolve1(doc.doc.get_dest(dest))
            if isinstance(dest, dict):
                dest = resolve1(dest.get("D"))
            top = dest[3] if len(dest) > 3 and isinstance(dest[3], (int, float)) else None
            page = next((p for p in doc.pages if p.page_obj.pageid == getattr(dest[0], "objid", None)), None)
            if top is None or page is None:
                continue
            heading_at = height - top  # from the top of the page, as pdfplumber measures
            footer_at = height - 18 / 25.4 * 72  # the bottom margin holds the page number only
            below = [c for c in page.chars if heading_at + 24 < c["top"] < footer_at]
            assert below, f"{title!r} is the last thing on page {page.page_number}"


def test_key_figures_follow_the_sites_precision_rule():
    """The executive summary's figures are written as the site writes them (counts whole, other
    units to three significant digits): the report and the site never disagree on a figure."""
    from types import SimpleNamespace

    from dashboards.i18n import Translator
    from dashboards.report import ReportWords, key_figure

    def ind(unit):
        return SimpleNamespace(unit=unit, name=SimpleNamespace(es="Indicador", en="Indicator", pt="Indicador"))

    t, w = Translator("es"), ReportWords("es")
    rate = key_figure(ind("PER_100000_POP"), {"value": 1668.5123, "previous": 1903.41, "year": 2023}, t, w)
    assert "1.669 " in rate and "1.903 " in rate and "1.668,5" not in rate, rate
    small = key_figure(ind("PER_100000_POP"), {"value": 0.098312, "previous": 0.059781, "year": 2022}, t, w)
    assert "0,0983 " in small and "0,0598 " in small, small
    count = key_figure(ind("NUMBER"), {"value": 3107857.0, "previous": 3557493.0, "year": 2023}, t, w)
    assert "3.107.857 " in count and "3.557.493 " in count, count
