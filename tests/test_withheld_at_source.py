"""Values that exist without a number ("<5", withheld at source) in indicator computation:
never counted as 0, shown with their text, and counted in the aggregates that would need them."""

from __future__ import annotations

import pandas as pd
import pytest

from indicators.compute import build_indicator_values
from tests.test_indicator_compute import _make_warehouse, indicator


@pytest.fixture()
def con(tmp_path):
    import duckdb

    path = tmp_path / "synthetic-warehouse.duckdb"
    _make_warehouse(path)
    connection = duckdb.connect(str(path))
    for column in ("OBS_TEXT", "CONF_STATUS", "COMMENT_OBS"):  # all-empty in the shared fixture
        connection.execute(f"ALTER TABLE marts.observations ALTER {column} TYPE VARCHAR")
    connection.execute("UPDATE marts.observations SET CONF_STATUS = 'F'")
    # SYNTHETIC: FFF (in LAC_CARIB, with a population) publishes "<5" for 2019
    connection.execute("""INSERT INTO marts.observations BY NAME
        SELECT 'syn_clear' AS SOURCE_ID, 'TEST_REPORTS' AS MEASURE, 'FFF' AS REF_AREA, '2019' AS TIME_PERIOD,
               NULL AS OBS_VALUE, 'NUMBER' AS UNIT_MEASURE, 'A' AS OBS_STATUS, 'CLEAR' AS SHARING, '' AS SEX,
               '' AS AGE, '' AS DISAGGREGATION, '' AS NATURE, true AS SYNTHETIC, 'SYNTHETIC' AS FILE_ID,
               'SYNTHETIC.csv' AS FILE_NAME, '' AS LOC_SHEET, 99 AS LOC_ROW, 2019 AS REF_YEAR,
               '<5' AS OBS_TEXT, 'A' AS CONF_STATUS, '' AS COMMENT_OBS""")
    yield connection
    connection.close()


def test_withheld_input_gives_a_country_row_without_number_and_is_counted_in_aggregates(con):
    build_indicator_values(con, {"r": indicator("r", {"measure": "TEST_REPORTS"})})
    frame = con.execute("SELECT * FROM marts.indicator_values WHERE TIME_PERIOD = '2019'").df()
    fff = frame[frame.REF_AREA == "FFF"].iloc[0]
    assert pd.isna(fff.OBS_VALUE) and pd.isna(fff.NUMERATOR)  # never 0, 4 or 2.5
    assert fff.OBS_TEXT == "<5" and fff.N_WITHHELD_AT_SOURCE == 1
    lac = frame[frame.REF_AREA == "LAC"].iloc[0]
    assert lac.NUMERATOR == 1110 + 4440 + 333  # the same as without FFF's row
    assert lac.N_COUNTRIES == 3 and lac.N_WITHHELD_AT_SOURCE == 1  # ... and says one input was withheld
    assert frame[frame.REF_AREA == "LAC_CARIB"].iloc[0].N_WITHHELD_AT_SOURCE == 1
    assert frame[frame.REF_AREA == "LAC_SOUTH"].iloc[0].N_WITHHELD_AT_SOURCE == 0
    assert (frame[frame.REF_AREA == "AAA"].N_WITHHELD_AT_SOURCE == 0).all()
