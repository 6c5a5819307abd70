"""The cache of printed report PDFs (dashboards/print_cache.py): a PDF comes back only for exactly
what printed it, intact, and the cache stays bounded. The report tests print real PDFs; this
module checks the cache's own rules without a browser."""

from __future__ import annotations

import os

import pytest

from dashboards import print_cache


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CLAC_HOME", str(tmp_path))
    monkeypatch.delenv("CLAC_CACHE_DIR", raising=False)  # the default: $CLAC_HOME/cache
    return tmp_path


def _key(assets, html=b"<html>report</html>", browser="Chromium 1", settings="A4"):
    return print_cache.print_key(html, assets, browser=browser, settings=settings)


def test_a_stored_pdf_comes_back_with_its_chapter_pages(home, tmp_path):
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "site.css").write_text("body {}")
    key = _key(assets)
    assert print_cache.lookup(key) is None
    print_cache.store(key, b"%PDF-1.4 printed", {"goal-1": 5})
    assert print_cache.lookup(key) == (b"%PDF-1.4 printed", {"goal-1": 5})
    assert (home / "cache" / "report-pdf" / f"{key}.pdf").is_file()


def test_the_key_changes_with_everything_that_makes_the_pdf(tmp_path):
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "site.css").write_text("body {}")
    key = _key(assets)
    assert _key(assets, html=b"<html>report, revised</html>") != key
    assert _key(assets, browser="Chromium 2") != key
    assert _key(assets, settings="Letter") != key
    (assets / "site.css").write_text("body { color: red }")
    assert _key(assets) != key
    (assets / "site.css").write_text("body {}")
    assert _key(assets) == key
    (assets / "extra.js").write_text("")
    assert _key(assets) != key


def test_a_damaged_entry_is_printed_again(home, tmp_path):
    assets = tmp_path / "assets"
    assets.mkdir()
    key = _key(assets)
    print_cache.store(key, b"%PDF-1.4 printed", {})
    (home / "cache" / "report-pdf" / f"{key}.pdf").write_bytes(b"%PDF-1.4 truncat")
    assert print_cache.lookup(key) is None
    (home / "cache" / "report-pdf" / f"{key}.pdf").unlink()
    assert print_cache.lookup(key) is None


def test_the_cache_keeps_only_the_newest_entries(home, tmp_path, monkeypatch):
    monkeypatch.setattr(print_cache, "KEEP", 2)
    assets = tmp_path / "assets"
    assets.mkdir()
    keys = [_key(assets, html=f"<p>{n}</p>".encode()) for n in range(3)]
    folder = home / "cache" / "report-pdf"
    for n, key in enumerate(keys):
        print_cache.store(key, f"%PDF {n}".encode(), {})
        record = folder / f"{key}.json"
        stamp = 1_000_000 + n  # distinct ages, oldest first, whatever the clock's resolution
        os.utime(record, (stamp, stamp))
    print_cache.store(keys[2], b"%PDF 2", {})  # storing prunes: the newest two are kept
    assert print_cache.lookup(keys[0]) is None
    assert not (folder / f"{keys[0]}.pdf").exists()
    assert print_cache.lookup(keys[1]) == (b"%PDF 1", {})
    assert print_cache.lookup(keys[2]) == (b"%PDF 2", {})
