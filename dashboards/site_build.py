"""The static site: one folder per language (es, en, pt), offline, no external requests.

    from dashboards.site_build import build_site
    with warehouse.connect(read_only=True) as con:
        build_site(con, output_dir() / "site", allowed_sharing=("CLEAR",), audience="public")

Layout of ``out_dir``::

    index.html                 -> redirects to es/ (Spanish first)
    assets/                    plotly.min.js (one shared copy), plotly locales es / pt-BR,
                               site.js (draws every chart from its JSON), site.css
    downloads/                 CSV per figure, all data (zip), SDMX-CSV 2.0 and SDMX-ML 2.1
    sdmx/                      the SDMX files under SDMX REST 2.1 paths (dashboards.sdmx.publish)
    es/ en/ pt/                index.html, goal/<n>.html, indicator/<id>.html,
                               country/index.html, country/<ISO3>.html, reporting.html,
                               quality.html, methodology/index.html, methodology/<id>.html,
                               sources.html, downloads.html

Every page of one language has the same relative path in the others (the language
switch links to it). Every table, chart, CSV and download holds only rows whose sharing
level is in ``allowed_sharing`` (see :mod:`dashboards.data`); every figure shows its
level, and every page with SYNTHETIC figures says so in a banner. The same warehouse
gives the same bytes (no timestamps; deterministic ordering).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from dashboards import pages, site_cache
from dashboards.data import load
from dashboards.i18n import LANGUAGES
from dashboards.site import Builder, SiteManifest, copy_assets


def build_site(
    con,
    out_dir: Path,
    *,
    allowed_sharing: Iterable[str] = ("CLEAR", "GREEN", "AMBER"),
    audience: str = "secretariat",
    cache_dir: Path | None = None,
    page_cache: Path | None = None,
) -> SiteManifest:
    """Write the whole site to ``out_dir`` (replaced) for one audience; see the module docstring.

    ``cache_dir``: keep the slow parts there (the SDMX files) and copy them from there when the
    tables they are made from did not change (:mod:`dashboards.site_cache`). ``page_cache``: keep
    the pages there by group, and copy a group whose data did not change (:mod:`dashboards.page_cache`)."""
    data = load(
        con,
        allowed_sharing=tuple(allowed_sharing),
        audience=audience,
        kept_published=site_cache.published_folder(cache_dir),
    )
    out_dir = Path(out_dir)
    work = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    builder = Builder(data, work, cache_dir=cache_dir, page_cache=page_cache)
    copy_assets(work)
    pages.write_downloads(builder)
    for lang in LANGUAGES:
        pages.write_language(builder, lang)
    (work / "index.html").write_text(
        '<!DOCTYPE html>\n<html lang="es"><head><meta charset="utf-8">'
        '<meta http-equiv="refresh" content="0; url=es/index.html">'
        '<title>CLAC</title></head><body><p><a href="es/index.html">Español</a> · '
        '<a href="en/index.html">English</a> · <a href="pt/index.html">Português</a></p></body></html>\n',
        encoding="utf-8",
    )
    old = out_dir.with_name(out_dir.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out_dir.exists():
        os.replace(out_dir, old)
    os.replace(work, out_dir)
    shutil.rmtree(old, ignore_errors=True)
    builder.manifest.out_dir = out_dir
    if builder.pages_kept is not None and builder.pages_kept.reused:
        kept = builder.pages_kept
        builder.manifest.reused_parts.append(f"pages ({kept.reused} of {kept.reused + kept.rendered} groups)")
    return builder.manifest
