"""Revision report between the 2020 and 2023 releases of the UN SDG Global Database.

Expected values were read by hand off both releases' CSVs (``grep -n`` in
sources/data/un-sdg-global-database-2020/ and .../un-sdg-global-database-2023-12/; the row
is the file line, header = row 1), not produced by the project's code.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import run_clac

SDG = "un_sdg_global_database"


@pytest.fixture(scope="module")
def revisions(built_home, tmp_path_factory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("export") / "revisions.csv"
    run_clac(built_home, "export", "revisions", "--format", "csv", "--out", str(out))
    return pd.read_csv(
        out,
        dtype={"TIME_PERIOD": str, "OLD_NATURE": str, "NEW_NATURE": str},
        keep_default_na=False,
        na_values={c: [""] for c in ("OLD_VALUE", "NEW_VALUE", "CHANGE", "CHANGE_PCT", "OLD_LOC_ROW", "NEW_LOC_ROW")},
    )


def one(revisions, measure, area, period, sex="_T", age="_T"):
    found = revisions[
        (revisions.SOURCE_ID == SDG)
        & (revisions.MEASURE == measure)
        & (revisions.REF_AREA == area)
        & (revisions.TIME_PERIOD == period)
        & (revisions.SEX == sex)
        & (revisions.AGE == age)
        & (revisions.DISAGGREGATION == "")
    ]
    assert len(found) == 1, f"{measure} {area} {period}: {len(found)} rows"
    return found.iloc[0]


def test_revised_values_with_the_size_of_the_revision(revisions):
    # vc_htf_detv, "allage,32,c,bothsex,number,2017": 97 (2020, row 60) -> 1200 (2023, row 2609)
    arg = one(revisions, "VC_HTF_DETV", "ARG", "2017")
    assert (arg.REVISION, arg.OLD_VALUE, arg.NEW_VALUE, arg.CHANGE) == ("revised", 97, 1200, 1103)
    assert (arg.OLD_LOC_ROW, arg.NEW_LOC_ROW) == (60, 2609)
    # "allage,484,c,bothsex,number,2017": 725 (row 593) -> 970 (row 4207)
    mex = one(revisions, "VC_HTF_DETV", "MEX", "2017")
    assert (mex.OLD_VALUE, mex.NEW_VALUE) == (725, 970)
    assert mex.CHANGE_PCT == pytest.approx(100 * 245 / 725)
    assert mex.OLD_FILE_NAME == mex.NEW_FILE_NAME  # same slot: the same series file, two releases


def test_revised_nature_of_data(revisions):
    # vc_vov_sexl Mexico 2017: "484,notspec,bothsex,percent,2017,0.9" (2020) -> "484,c,...,2017,0.91" (2023, row 97)
    row = one(revisions, "VC_VOV_SEXL", "MEX", "2017", age="")  # the series has no age dimension
    assert (row.REVISION, row.OLD_VALUE, row.NEW_VALUE, row.OLD_NATURE, row.NEW_NATURE) == (
        "revised",
        0.9,
        0.91,
        "",
        "C",
    )
    assert row.CHANGE == pytest.approx(0.01)


def test_withdrawn_and_added(revisions):
    # vc_vov_sexl Mexico 2013: 0.55 in 2020, no 2013 row in 2023
    gone = one(revisions, "VC_VOV_SEXL", "MEX", "2013", age="")
    assert gone.REVISION == "withdrawn" and gone.OLD_VALUE == 0.55 and pd.isna(gone.NEW_VALUE)
    # 5.2.1 changed meaning: Jamaica's 2016 survey value 15-19 (2020, row 29: 11.1) has no successor,
    # the 2023 release holds WHO's 2018 modelled estimate (15-49: 7.3, row 274, nature e)
    survey = one(revisions, "VC_VAW_MARR", "JAM", "2016", sex="F", age="Y15T19")
    assert (survey.REVISION, survey.OLD_VALUE, survey.OLD_LOC_ROW) == ("withdrawn", 11.1, 29)
    model = one(revisions, "VC_VAW_MARR", "JAM", "2018", sex="F", age="Y15T49")
    assert (model.REVISION, model.NEW_VALUE, model.NEW_NATURE, model.NEW_LOC_ROW) == ("added", 7.3, "E", 274)


def test_new_release_is_current_and_old_stays_in_history(built_home):
    import duckdb

    con = duckdb.connect(str(built_home / "warehouse.duckdb"), read_only=True)
    try:
        current = con.execute(
            """SELECT OBS_VALUE FROM marts.observations WHERE SOURCE_ID = ? AND MEASURE = 'VC_HTF_DETV'
                                 AND REF_AREA = 'ARG' AND TIME_PERIOD = '2017' AND SEX = '_T' AND AGE = '_T'
                                 AND DISAGGREGATION = ''""",
            [SDG],
        ).fetchall()
        history = con.execute(f"""SELECT OBS_VALUE FROM staging.{SDG} WHERE MEASURE = 'VC_HTF_DETV'
                                  AND REF_AREA = 'ARG' AND TIME_PERIOD = '2017' AND SEX = '_T' AND AGE = '_T'
                                  AND DISAGGREGATION = '' ORDER BY OBS_VALUE""").fetchall()
    finally:
        con.close()
    assert current == [(1200.0,)]
    assert history == [(97.0,), (1200.0,)]
