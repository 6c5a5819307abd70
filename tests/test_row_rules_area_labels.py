"""Row rules: one area printed under two labels is one value; missing observations with a status.

Plain Python (check_rows on parsed rows), no build. The NCMEC figures are the 2020 PDF's
(pdftotext -layout of sources/data/ncmec-cybertipline-by-country/2020-...pdf): page 3
"French Guiana 593", page 4 "Guiana, French 1".
"""

from __future__ import annotations

import datetime as dt
import json

from sources.catalogue import load_catalogue, load_measures
from sources.harmonise.areas import default_resolver
from sources.parsers.base import make_rows
from sources.validation.row_rules import check_rows

CATALOGUE = load_catalogue()


def check(entry, records):
    return check_rows(
        make_rows(records),
        entry=entry,
        file_id="f" * 16,
        measures=load_measures(),
        resolve_area=default_resolver().resolve,
        today=dt.date(2024, 6, 1),
    )


def ncmec_row(name, value, page, line):
    return {
        "MEASURE": "CYBERTIPLINE_REPORTS",
        "AREA_RAW": name,
        "TIME_PERIOD_RAW": "2020",
        "OBS_VALUE": value,
        "VALUE_RAW": str(value),
        "UNIT_MEASURE": "NUMBER",
        "LOC_PAGE": page,
        "LOC_LINE": line,
    }


def test_two_labels_of_one_area_are_summed_with_both_locations():
    staged, quarantine = check(
        CATALOGUE["ncmec_cybertipline_by_country"],
        [
            ncmec_row("French Guiana", 593, 3, 30),
            ncmec_row("Brazil", 432196, 2, 16),
            ncmec_row("Guiana, French", 1, 4, 12),
        ],
    )
    assert quarantine.empty
    guf = staged[staged.REF_AREA == "GUF"]
    assert len(guf) == 1 and guf.OBS_VALUE.iloc[0] == 594
    assert (guf.LOC_PAGE.iloc[0], guf.LOC_LINE.iloc[0]) == (3, 30)
    assert json.loads(guf.LOC_ALSO.iloc[0]) == [
        {"area_raw": "Guiana, French", "value_raw": "1", "page": 4, "line": 12, "sheet": "", "row": None}
    ]
    assert guf.AREA_RAW.iloc[0] == "French Guiana + Guiana, French"
    assert "area_labels_summed" in guf.WARNINGS.iloc[0]
    assert staged[staged.REF_AREA == "BRA"].LOC_ALSO.isna().all()


def test_the_same_label_twice_is_still_a_duplicate():
    staged, quarantine = check(
        CATALOGUE["ncmec_cybertipline_by_country"],
        [ncmec_row("French Guiana", 593, 3, 30), ncmec_row("French Guiana", 593, 5, 2)],
    )
    assert len(staged) == 1 and staged.OBS_VALUE.iloc[0] == 593
    assert quarantine.RULE.tolist() == ["duplicate_key"]


def test_blank_value_kept_only_with_a_missing_status_or_a_confidentiality_status():
    base = {
        "MEASURE": "SDG_16_2_1",
        "AREA_RAW": "Jamaica",
        "UNIT_MEASURE": "PERCENT",
        "VALUE_RAW": "",
        "OBS_VALUE": None,
    }
    staged, quarantine = check(
        CATALOGUE["opensdg_jamaica"],
        [
            {**base, "TIME_PERIOD_RAW": "2018", "OBS_STATUS": "O", "LOC_ROW": 2},
            {**base, "TIME_PERIOD_RAW": "2019", "OBS_STATUS": "O", "CONF_STATUS": "C", "LOC_ROW": 3},
            {**base, "TIME_PERIOD_RAW": "2020", "OBS_STATUS": "A", "LOC_ROW": 4},
        ],
    )
    assert staged.LOC_ROW.tolist() == [2, 3]
    assert staged.OBS_VALUE.isna().all()  # no number, never 0
    assert staged.CONF_STATUS.tolist() == ["F", "C"]
    assert quarantine.RULE.tolist() == ["value_missing"] and quarantine.LOC_ROW.tolist() == [4]
