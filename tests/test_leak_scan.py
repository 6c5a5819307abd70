"""Nothing of a GREEN, AMBER or RED source reaches the public build.

The three editions built by :mod:`tests.canaries` (the bundled data plus SYNTHETIC
canaries at GREEN, AMBER and RED) are read file by file as a user would get them (HTML,
JS, CSS, CSV, XML, JSON, the members of every zip, the text of every PDF) and searched for:

* the canary counts and comment tokens;
* every figure of the warehouse that exists only at a more restrictive level, where its
  digits cannot occur by chance (observations of a billion or more; indicator values,
  numerators and denominators of ten billion or more, whose first ten digits survive any
  rounding; values whose exact representation has thirteen significant digits or more and
  no short repeating pattern).

Numbers are compared as digit strings after removing the separators between digits
(``1,234.5``, ``1.234,5`` and ``1 234,5`` all read ``12345``), so any number format is
caught. The members and Secretariat builds are the positive controls: they must contain
what they are allowed to see, in every kind of file, which shows the scan can find it.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from fractions import Fraction
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.canaries import AUDIENCES, CANARIES, UNAPPROVED

VISIBLE = {"public": {"CLEAR"}, "members": {"CLEAR", "GREEN"}, "secretariat": {"CLEAR", "GREEN", "AMBER"}}

SEPARATOR_BETWEEN_DIGITS = re.compile(r"(?<=\d)[,.\u00a0\u202f\u2009' ](?=\d)")
#: ratios of whole numbers up to this denominator are simple fractions, not figures
SMALL_DENOMINATOR = 1000
TEXT_SUFFIXES = {".html", ".js", ".css", ".csv", ".xml", ".xsd", ".json", ".txt", ".svg", ".md"}


# --------------------------------------------------------------------------- the builds


@pytest.fixture(scope="module")
def build_texts(audience_home) -> dict[str, dict[str, str]]:
    """{audience: {file (zip members as zip!member): text with the digit separators removed}}."""
    return {audience: dict(_texts(audience_home / "build" / audience)) for audience in AUDIENCES}


def _texts(root: Path):
    assert root.is_dir(), f"no build at {root}"
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        name = str(path.relative_to(root))
        suffix = path.suffix.lower()
        if suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    yield f"{name}!{member}", _normalise(archive.read(member).decode("utf-8", "replace"))
        elif suffix == ".pdf":
            text = subprocess.run(
                ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
            ).stdout
            yield name, _normalise(text)
        elif suffix in TEXT_SUFFIXES or _is_sdmx_rest_resource(path, root):
            yield name, _normalise(path.read_text(encoding="utf-8", errors="replace"))
        else:
            raise AssertionError(f"the scan does not know how to read {name}: add its format")


def _is_sdmx_rest_resource(path: Path, root: Path) -> bool:
    """A file of the SDMX REST layout (``sdmx/data/DF_…``, ``…/latest``): XML without a suffix."""
    return "sdmx" in path.relative_to(root).parts and path.read_bytes()[:5] == b"<?xml"


def _normalise(text: str) -> str:
    return SEPARATOR_BETWEEN_DIGITS.sub("", text)


# --------------------------------------------------------------------------- the needles


def _significant(value: float) -> str:
    """The significant digits of a number's exact representation (no sign, point or exponent)."""
    mantissa = repr(abs(float(value))).split("e")[0]
    return mantissa.replace(".", "").lstrip("0")


def _repetitive(digits: str) -> bool:
    """Digits that repeat a short pattern (4545..., 142857142857...): a simple fraction, not a figure."""
    return any(all(digits[i] == digits[i + period] for i in range(len(digits) - period)) for period in range(1, 7))


def _small_fraction(value: float) -> bool:
    """A ratio of two small whole numbers (3/26 of 100 = 11.538461538461...): its digits recur in
    every other ratio with the same denominator (15/19 holds the digits of 17/190), so they
    occur by chance in unrelated figures: not a needle."""
    fraction = Fraction(value).limit_denominator(SMALL_DENOMINATOR)
    return abs(float(fraction) - value) <= 1e-12 * max(abs(value), 1.0)


def _needles(values: pd.Series, *, whole_from: float, integer_from: float) -> set[str]:
    needles = set()
    for value in values.dropna():
        value = abs(float(value))
        if value >= whole_from and value == int(value):
            needles.add(str(int(value)))
        elif value >= integer_from:
            needles.add(str(int(value))[:10])
        digits = _significant(value)
        if len(digits) >= 13 and not _small_fraction(value):
            needles.add(digits[:13])
    return {needle for needle in needles if not _repetitive(needle)}


@pytest.fixture(scope="module")
def needles(audience_home) -> dict[str, set[str]]:
    """{level: digit strings that exist only at that level or a more restrictive one}."""
    con = duckdb.connect(str(audience_home / "warehouse.duckdb"), read_only=True)
    try:
        obs = con.execute("SELECT SHARING, OBS_VALUE FROM marts.observations").df()
        ind = con.execute("SELECT SHARING, OBS_VALUE, NUMERATOR, DENOMINATOR FROM marts.indicator_values").df()
    finally:
        con.close()
    found: dict[str, set[str]] = {}
    for level in ("CLEAR", "GREEN", "AMBER", "RED"):
        here = _needles(obs.OBS_VALUE[obs.SHARING == level], whole_from=1e9, integer_from=1e10)
        for column in ("OBS_VALUE", "NUMERATOR", "DENOMINATOR"):
            here |= _needles(ind[column][ind.SHARING == level], whole_from=1e10, integer_from=1e10)
        found[level] = here
    for level in ("GREEN", "AMBER", "RED"):
        found[level] -= found["CLEAR"]  # a figure also published at CLEAR is no leak
    for level, (_, _, rows, token) in CANARIES.items():
        counts = {str(value) for *_, value in rows}
        assert counts <= found[level], f"the {level} canaries are in the warehouse at {level}"
        found[level] |= {token}
    return found


# --------------------------------------------------------------------------- the tests


def _hits(texts: dict[str, str], needles: set[str]) -> dict[str, list[str]]:
    hits: dict[str, list[str]] = {}
    for name, text in texts.items():
        for needle in needles:
            if needle in text:
                hits.setdefault(needle, []).append(name)
    return hits


@pytest.mark.parametrize("audience", AUDIENCES)
def test_no_build_holds_a_value_of_a_level_its_audience_may_not_see(build_texts, needles, audience):
    hidden = {level for level in ("GREEN", "AMBER", "RED") if level not in VISIBLE[audience]}
    for level in sorted(hidden):
        hits = _hits(build_texts[audience], needles[level])
        assert not hits, f"the {audience} build shows {len(hits)} {level} values, e.g. {sorted(hits.items())[:3]}"


def test_the_scan_reads_every_kind_of_file_of_the_public_build(build_texts):
    kinds = {Path(name.split("!")[0]).suffix for name in build_texts["public"]}
    assert {".html", ".js", ".csv", ".xml", ".zip", ".pdf"} <= kinds
    public = build_texts["public"]
    # CLEAR figures are found where they are published (NCMEC 2023 total for Brazil, 33,300 for Bolivia ...)
    pdf_text = "".join(text for name, text in public.items() if name.endswith(".pdf"))
    assert "CyberTipline" in pdf_text


@pytest.mark.parametrize("audience,level", [("members", "GREEN"), ("secretariat", "GREEN"), ("secretariat", "AMBER")])
def test_allowed_values_are_found_in_every_kind_of_output(build_texts, needles, audience, level):
    """Positive control: the same scan finds what an audience may see, in each kind of file."""
    hits = _hits(build_texts[audience], needles[level])
    _, _, rows, token = CANARIES[level]
    assert {str(value) for *_, value in rows} <= set(hits), "every canary count is published to this audience"
    files = {name for names in hits.values() for name in names}
    kinds = {Path(name.split("!")[0]).suffix for name in files}
    assert {".html", ".csv", ".zip", ".xml", ".pdf"} <= kinds, kinds
    assert any("sdmx/DF_CLAC_" in name and name.endswith(".xml") for name in files), "SDMX-ML"
    assert any(name.startswith("report/") and name.endswith(".pdf") for name in files), "the report's PDF"


def test_the_public_edition_holds_no_unapproved_data(build_texts):
    """CLEAR data awaiting the Secretariat's approval: members see them, the public does not."""
    _, _, rows, token = UNAPPROVED
    counts = {str(value) for *_, value in rows}
    assert not _hits(build_texts["public"], counts | {token})
    assert counts <= set(_hits(build_texts["members"], counts)), "members see CLEAR data before approval"


def test_exports_leave_red_rows_in_the_warehouse(audience_home, tmp_path):
    """`clac export` is the Secretariat's exact view: AMBER in, RED out (observations and quarantine)."""
    from tests.canaries import audience_env
    from tests.conftest import CLAC, PROJECT_ROOT

    red_counts = {str(value) for *_, value in CANARIES["RED"][2]}
    amber_counts = {str(value) for *_, value in CANARIES["AMBER"][2]}
    for what in ("observations", "sources", "files"):
        out = tmp_path / f"{what}.csv"
        subprocess.run(
            CLAC + ["export", what, "--format", "csv", "--out", str(out)],
            cwd=PROJECT_ROOT,
            env=audience_env(audience_home),
            check=True,
            capture_output=True,
            timeout=300,
        )
        text = _normalise(out.read_text(encoding="utf-8"))
        assert "synthetic_red_canary" not in text and not any(c in text for c in red_counts), what
        assert "synthetic_prosecutions" in text, what
    assert all(c in _normalise((tmp_path / "observations.csv").read_text(encoding="utf-8")) for c in amber_counts)
