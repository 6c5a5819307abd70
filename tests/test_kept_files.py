"""The cache of files kept by what they were made from (warehouse/kept_files.py)."""

from __future__ import annotations

import hashlib
import os

import pandas as pd
import pytest

from warehouse import kept_files


def _key(value) -> str:
    digest = hashlib.sha256()
    kept_files.value_digest(digest, value)
    return digest.hexdigest()


@pytest.mark.parametrize("rows", [3, kept_files.SMALL_FRAME_ROWS + 2], ids=["cell by cell", "pandas hashing"])
def test_a_key_tells_apart_what_pandas_hashes_alike(rows):
    def frame(first, missing=None):
        cells = [first, "2"] + [f"r{i}" for i in range(rows - 3)] + [missing]
        return pd.DataFrame({"v": cells, "n": [float(i) for i in range(rows)]}, dtype=object).astype({"n": float})

    text, number = frame("1"), frame(1)
    assert pd.util.hash_pandas_object(text).tolist() == pd.util.hash_pandas_object(number).tolist()
    assert _key(text) != _key(number)
    assert _key(text) == _key(frame("1"))  # a frame made again with equal cells: the same key
    assert _key(text) != _key(frame("1", missing=float("nan")))  # None and NaN
    changed = text.copy()
    changed.loc[rows - 1, "n"] = 0.5
    assert _key(changed) != _key(text)
    assert _key({"a": [1, 2]}) != _key({"a": [2, 1]}) and _key("1") != _key(1)
    # a key names what made the values too, and nothing is kept for a value with no stable text
    assert kept_files.value_key("code 1", text) != kept_files.value_key("code 2", text)
    assert kept_files.value_key("code 1", text) == kept_files.value_key("code 1", frame("1"))
    assert kept_files.value_key("code 1", text, object()) is None


def test_kept_files_come_back_checked_and_the_least_recently_used_go(tmp_path):
    for n in range(4):
        kept_files.store(tmp_path, f"k{n}", {"a/b.txt": f"entry {n}".encode()}, keep=3)
        os.utime(tmp_path / f"k{n}", (n + 1, n + 1))  # stored in this order, one second apart
    assert kept_files.lookup(tmp_path, "k0") is None  # the oldest of four, with three kept
    assert kept_files.lookup(tmp_path, "k3") == {"a/b.txt": b"entry 3"}
    (tmp_path / "k2" / "files" / "a" / "b.txt").write_bytes(b"changed")
    assert kept_files.lookup(tmp_path, "k2") is None and not (tmp_path / "k2").exists()
