"""The annual report: ``clac report`` writes HTML and PDF; the PDF's pages render to
non-blank images (pdftoppm); the same inputs give the same HTML bytes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_clac

YEAR = "2023"

needs_chromium = pytest.mark.skipif(not Path("/usr/bin/chromium").exists(),
                                    reason="Debian's chromium is not installed (make test installs it)")


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
    for anchor in ("summary", "goal-1", "goal-8", "legislative", "reporting", "sources", "methodology"):
        assert f'id="{anchor}"' in html, anchor
    assert html.count('class="status status-') >= 8  # the eight goals' statuses, in words
    assert "Prólogo" in html and "SINTÉTICO" in html  # the shipped SYNTHETIC narrative example
    assert (report_dir / "assets" / "plotly.min.js").is_file()
    assert "TLP:" in html


def test_same_inputs_give_the_same_html(built_home, report_dir, tmp_path):
    run_clac(built_home, "report", "--year", YEAR, "--lang", "es", "--out", str(tmp_path), "--no-pdf")
    first = (report_dir / f"annual-report-{YEAR}-es.html").read_bytes()
    assert (tmp_path / f"annual-report-{YEAR}-es.html").read_bytes() == first


def test_report_in_english_and_portuguese(built_home, tmp_path):
    for lang, title in (("en", "Annual report 2023"), ("pt", "Relatório anual 2023")):
        run_clac(built_home, "report", "--year", YEAR, "--lang", lang, "--out", str(tmp_path), "--no-pdf")
        assert title in (tmp_path / f"annual-report-{YEAR}-{lang}.html").read_text(encoding="utf-8")


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
        dark = sum(1 for i in range(0, len(pixels) - 2, 3) if min(pixels[i:i + 3]) < 240)
        return dark / (len(pixels) / 3)
