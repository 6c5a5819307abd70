"""The editions as their readers get them: marks where disclosure control withholds a value
and nowhere else, exact values for the Secretariat, and ``clac serve`` on this machine only,
serving the public edition unless told otherwise.

Built on the three editions of :mod:`tests.canaries` (real ``clac build --audience``)."""

from __future__ import annotations

import html
import re
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboards.precision import rounded
from governance.publication import published_tables
from indicators.registry import load_registry
from sources.catalogue import load_catalogue, load_measures
from tests.canaries import audience_env
from tests.conftest import CLAC, PROJECT_ROOT

KEY = ["INDICATOR", "REF_AREA", "TIME_PERIOD", "SEX", "AGE", "DISAGGREGATION"]
ROW = re.compile(
    r'<tr data-area="(?P<area>[^"]*)" data-period="(?P<period>[^"]*)" data-sex="(?P<sex>[^"]*)" '
    r'data-age="(?P<age>[^"]*)" data-dis="(?P<dis>[^"]*)"[^>]*>(?:(?!</tr>).)*?'
    r'<td class="num" data-value="(?P<value>[^"]*)"(?: data-conf="(?P<conf>[A-Z])")?>(?P<text>.*?)</td>',
    re.S,
)


def _page_rows(site: Path, lang: str = "en") -> pd.DataFrame:
    """Every row of every indicator page's data table: key, data-value, mark, shown text."""
    records = []
    for page in sorted((site / lang / "indicator").glob("*.html")):
        for m in ROW.finditer(page.read_text(encoding="utf-8")):
            records.append(
                {
                    "INDICATOR": page.stem,
                    "REF_AREA": m["area"],
                    "TIME_PERIOD": m["period"],
                    "SEX": m["sex"],
                    "AGE": m["age"],
                    "DISAGGREGATION": m["dis"],
                    "VALUE": m["value"],
                    "CONF": m["conf"] or "",
                    "TEXT": html.unescape(re.sub(r"<[^>]+>", "", m["text"])),
                }
            )
    return pd.DataFrame.from_records(records)


def _exact_values(home: Path) -> pd.DataFrame:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        frame = con.execute("SELECT * FROM marts.indicator_values").df()
    finally:
        con.close()
    for column in ("SEX", "AGE", "DISAGGREGATION"):
        frame[column] = frame[column].fillna("")
    frame["TIME_PERIOD"] = frame["TIME_PERIOD"].astype(str)
    return frame


@pytest.fixture(scope="module")
def published(audience_home, monkeypatch_module):
    monkeypatch_module.setenv("CLAC_PRIVATE_CATALOGUE", str(audience_home / "private_catalogue"))
    con = duckdb.connect(str(audience_home / "warehouse.duckdb"), read_only=True)
    try:
        kwargs = dict(catalogue=load_catalogue(), registry=load_registry(), measures=load_measures())
        return {aud: published_tables(con, aud, **kwargs) for aud in ("public", "members")}
    finally:
        con.close()


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.mark.parametrize("audience", ["public", "members"])
def test_marks_stand_exactly_where_disclosure_control_withholds(audience_home, published, audience):
    rows = _page_rows(audience_home / "build" / audience / "site")
    assert len(rows) > 500
    marked = rows[rows.CONF != ""]
    assert len(marked) > 0, "the real UN trafficking series has small counts: the public pages carry marks"
    ind = published[audience].indicator_values
    for column in ("SEX", "AGE", "DISAGGREGATION"):
        ind[column] = ind[column].fillna("")
    ind["TIME_PERIOD"] = ind["TIME_PERIOD"].astype(str)
    withheld = ind[ind.CONF_STATUS != "F"]
    shown = rows.merge(ind[KEY + ["CONF_STATUS"]], on=KEY, how="left", validate="many_to_one")
    assert shown.CONF_STATUS.notna().all(), "every row of a page is a published row"
    assert (shown.CONF.replace("", "F") == shown.CONF_STATUS).all(), "a mark exactly where CONF_STATUS is C or D"
    on_pages = set(map(tuple, marked[KEY].to_numpy()))
    assert on_pages <= set(map(tuple, withheld[KEY].to_numpy()))
    # a withheld value shows the word and its mark (or, withheld at source, the publisher's "<5"), never a figure
    assert (marked.VALUE == "").all()
    by_us = marked[marked.CONF.isin(["C", "D"])]
    assert len(by_us) > 0, "disclosure control withholds some public values"
    assert by_us.TEXT.str.fullmatch(r"withheld[cd][A-Z]?").all(), by_us.TEXT.unique()[:5]
    assert marked[marked.CONF == "A"].TEXT.str.fullmatch(r"<5a[A-Z]?").all()
    # the pages explain the marks
    page = (
        audience_home / "build" / audience / "site" / "en" / "indicator" / f"{marked.INDICATOR.iloc[0]}.html"
    ).read_text(encoding="utf-8")
    assert "Disclosure control: counts from 1 to 4" in page and 'class="conf"' in page


def _shown_as_published(rows: pd.DataFrame) -> pd.Series:
    """The gap between each page value and the exact warehouse value under the site's stated
    precision rule (dashboards/precision.py: whole counts, three significant digits otherwise)."""
    expected = [rounded(value, unit) for value, unit in zip(rows.OBS_VALUE, rows.UNIT_MEASURE)]
    return (rows.VALUE.astype(float) - pd.Series(expected, index=rows.index, dtype=float)).abs()


def test_free_values_are_the_exact_values_at_the_stated_precision(audience_home):
    rows = _page_rows(audience_home / "build" / "public" / "site")
    free = rows[rows.CONF == ""].merge(_exact_values(audience_home)[KEY + ["OBS_VALUE", "UNIT_MEASURE"]], on=KEY)
    assert len(free) == (rows.CONF == "").sum()
    assert _shown_as_published(free).max() < 1e-9
    assert (free.OBS_VALUE.round(6) != free.VALUE.astype(float)).any(), "the rule rounds some values"


def test_the_secretariat_sees_exact_values_where_the_public_sees_marks(audience_home):
    public = _page_rows(audience_home / "build" / "public" / "site")
    secretariat = _page_rows(audience_home / "build" / "secretariat" / "site")
    # disclosure control withholds nothing from the Secretariat; "<5" (A) is the publisher's own
    assert secretariat.CONF.isin(["", "A"]).all(), "no value is withheld from the Secretariat"
    assert (secretariat.CONF == "A").sum() == (public.CONF == "A").sum() > 0
    exact = _exact_values(audience_home)
    by_control = public.CONF.isin(["C", "D"])
    hidden = (
        public[by_control][KEY].merge(secretariat, on=KEY).merge(exact[KEY + ["OBS_VALUE", "UNIT_MEASURE"]], on=KEY)
    )
    assert len(hidden) == by_control.sum() > 0, "every value withheld from the public is on a Secretariat page"
    assert _shown_as_published(hidden).max() < 1e-9
    assert "Disclosure control" not in (
        audience_home / "build" / "secretariat" / "site" / "en" / "indicator" / f"{hidden.INDICATOR.iloc[0]}.html"
    ).read_text(encoding="utf-8")


# --------------------------------------------------------------------------- clac serve


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening_addresses(port: int) -> set[str]:
    """The local addresses with a socket listening on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:  # 0A = LISTEN
                if len(address) == 8:
                    found.add(socket.inet_ntop(socket.AF_INET, bytes.fromhex(address)[::-1]))
                else:
                    found.add(address)
    return found


def _serve(home: Path, *args: str):
    port = _free_port()
    proc = subprocess.Popen(
        CLAC + ["serve", "--port", str(port), *args],
        cwd=PROJECT_ROOT,
        env=audience_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not _listening_addresses(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"clac serve did not start: {proc.communicate()}")
        time.sleep(0.2)
    return proc, port


def _edition_of(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/en/index.html", timeout=30) as response:
        page = response.read().decode("utf-8")
    return re.search(r"Edition: (\w+)", page).group(1)


@pytest.mark.parametrize(
    "args,edition",
    [((), "public"), (("--audience", "secretariat"), "Secretariat")],
    ids=["default-public", "told-secretariat"],
)
def test_serve_listens_on_this_machine_only_and_serves_the_public_edition_unless_told(audience_home, args, edition):
    proc, port = _serve(audience_home, *args)
    try:
        assert _listening_addresses(port) == {"127.0.0.1"}
        assert _edition_of(port) == edition
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_refuses_an_unknown_audience(audience_home):
    result = subprocess.run(
        CLAC + ["serve", "--audience", "everyone"],
        cwd=PROJECT_ROOT,
        env=audience_env(audience_home),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "unknown audience 'everyone'" in result.stderr
    assert "Traceback" not in result.stderr


#: Goals whose indicators have real (CLEAR, published) figures in the bundled data (issue 12).
GOALS_WITH_REAL_FIGURES = (1, 5, 6, 7, 8)


def _linked_csvs(page: Path) -> set[Path]:
    return {(page.parent / href).resolve() for href in re.findall(r'href="([^"#]+\.csv)"', page.read_text("utf-8"))}


def test_the_public_edition_links_only_to_csv_files_with_rows(audience_home):
    site = audience_home / "build" / "public" / "site"
    linked = {csv for page in site.rglob("*.html") for csv in _linked_csvs(page)}
    assert len(linked) >= 20, len(linked)
    header_only = sorted(str(p.relative_to(site)) for p in linked if len(pd.read_csv(p, dtype=str)) == 0)
    assert not header_only, header_only


@pytest.mark.parametrize("goal", GOALS_WITH_REAL_FIGURES)
def test_the_public_edition_shows_real_figures_for_the_goal(audience_home, goal):
    page = audience_home / "build" / "public" / "site" / "en" / "goal" / f"{goal}.html"
    rows = pd.concat([pd.read_csv(p, dtype=str) for p in _linked_csvs(page)], ignore_index=True)
    assert len(rows) and pd.to_numeric(rows["OBS_VALUE"], errors="coerce").notna().any()
    assert set(rows["SHARING"]) == {"CLEAR"} and set(rows["SYNTHETIC"]) == {"False"}
    # a status where the method allows one: the site's verdict is the annual report's, which gives a
    # regional status only where the aggregate covers enough of the region, never a countries' mean
    status = re.search(r'class="goal-status">[^<]*<span class="status status-([a-z_]+)"', page.read_text("utf-8"))
    assert status, page
    (report,) = (audience_home / "build" / "public" / "report").glob("annual-report-*-en.html")
    in_report = re.search(
        rf'<a href="#goal-{goal}">[^<]*</a></th><td><span class="status status-([a-z_]+)"', report.read_text("utf-8")
    )
    assert in_report and status.group(1) == in_report.group(1), (status.group(1), in_report and in_report.group(1))


def test_the_public_edition_has_the_world_concentration_of_cybertipline_reports(audience_home):
    con = duckdb.connect(str(audience_home / "warehouse.duckdb"), read_only=True)
    try:
        n = con.execute("""SELECT count(*) FROM marts.indicator_values
                           WHERE INDICATOR = 'cybertipline_top5_esp_share' AND REF_AREA = 'M49_001'""").fetchone()[0]
    finally:
        con.close()
    assert n == 5, "the warehouse holds the world series (2019-2023)"
    site = audience_home / "build" / "public" / "site"
    csv = site / "downloads" / "indicators" / "cybertipline_top5_esp_share.csv"
    assert csv.is_file() and len(pd.read_csv(csv, dtype=str)) == 5
    # the page draws the world's series and says what kind of indicator it is, in each language
    for lang, world, kind in (
        ("es", "Mundo", "Indicador de contexto"),
        ("en", "World", "Context indicator"),
        ("pt", "Mundo", "Indicador de contexto"),
    ):
        page = (site / lang / "indicator" / "cybertipline_top5_esp_share.html").read_text("utf-8")
        assert f'class="goal-status">{kind}' in page
        assert f'"name": "{world}"' in page or f'"name":"{world}"' in page, "no world series in the chart"
        goal = (site / lang / "goal" / "8.html").read_text("utf-8")
        context = goal[goal.index('id="context"') :]
        assert "indicator/cybertipline_top5_esp_share.html" in context
