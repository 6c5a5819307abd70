"""What each audience sees, on the real build: sharing levels, approval, disclosure control.

The recovery attack is written here, independently of governance.disclosure: it collects
every relation a reader of the public tables can use (sex and age totals, regional
sums of indicator numerators, a country's indicator numerator = its observation) and
solves for the withheld counts with exact linear algebra.
"""

from __future__ import annotations

import io
import zipfile

import duckdb
import numpy as np
import pandas as pd
import pytest

from governance.publication import published_tables
from indicators.registry import load_registry
from sources.catalogue import load_catalogue, load_measures


@pytest.fixture(scope="module")
def warehouse(built_home):
    con = duckdb.connect(str(built_home / "warehouse.duckdb"), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def tables(warehouse):
    kwargs = dict(catalogue=load_catalogue(), registry=load_registry(), measures=load_measures())
    return {aud: published_tables(warehouse, aud, **kwargs) for aud in ("public", "members", "secretariat")}


def test_each_audience_gets_only_its_sharing_levels(tables):
    assert set(tables["public"].observations.SHARING) == {"CLEAR"}
    assert set(tables["members"].observations.SHARING) <= {"CLEAR", "GREEN"}
    assert "AMBER" in set(tables["secretariat"].observations.SHARING)
    for audience in ("public", "members"):
        assert "AMBER" not in set(tables[audience].indicator_values.SHARING)
    assert "RED" not in set(tables["secretariat"].indicator_values.SHARING)
    # SYNTHETIC sources are GREEN/AMBER: never in the public tables
    assert not tables["public"].observations.SYNTHETIC.any()


def test_secretariat_sees_exact_values(tables, warehouse):
    secretariat = tables["secretariat"]
    # disclosure control withholds nothing from the Secretariat: the only withheld values are
    # those the publisher itself withheld ("<5", CONF_STATUS A in the warehouse)
    at_source = warehouse.execute(
        "SELECT count(*) FROM marts.observations WHERE SHARING <> 'RED' AND CONF_STATUS = 'A' AND OBS_VALUE IS NULL"
    ).fetchone()[0]
    assert at_source > 0, "the real UNODC series carry values withheld at source"
    statuses = secretariat.observations.CONF_STATUS.value_counts().to_dict()
    assert statuses == {"F": len(secretariat.observations) - at_source, "A": at_source}, statuses
    exact = warehouse.execute(
        "SELECT count(*), sum(OBS_VALUE) FROM marts.observations WHERE SHARING <> 'RED'"
    ).fetchone()
    assert len(secretariat.observations) == exact[0]
    assert secretariat.observations.OBS_VALUE.sum() == pytest.approx(exact[1])


def test_small_counts_of_sensitive_measures_are_withheld_only_where_required(tables, warehouse):
    public = tables["public"].observations
    sensitive = {code for code, m in load_measures().items() if m.sensitive}
    exact = warehouse.execute("SELECT * FROM marts.observations WHERE SHARING = 'CLEAR'").df()
    key = ["SOURCE_ID", "MEASURE", "REF_AREA", "TIME_PERIOD", "SEX", "AGE", "DISAGGREGATION"]
    merged = public.merge(exact[key + ["OBS_VALUE"]], on=key, suffixes=("", "_EXACT"))
    assert len(merged) == len(public)
    primary = merged[merged.CONF_STATUS == "C"]
    assert len(primary) > 0, "the real UN trafficking series has small counts: something must be withheld"
    assert primary.OBS_VALUE_EXACT.between(1, 4).all()
    assert primary.MEASURE.isin(sensitive).all()
    should = merged[merged.MEASURE.isin(sensitive) & merged.OBS_VALUE_EXACT.between(1, 4)]
    assert (should.CONF_STATUS == "C").all(), "every small sensitive count is withheld"
    assert merged[merged.CONF_STATUS != "F"].MEASURE.isin(sensitive).all(), "nothing else is withheld"
    assert merged.loc[merged.CONF_STATUS != "F", "OBS_VALUE"].isna().all()
    # zero may be shown
    zeros = merged[merged.MEASURE.isin(sensitive) & (merged.OBS_VALUE_EXACT == 0)]
    assert (zeros.CONF_STATUS == "F").any()


def _relations(obs: pd.DataFrame, ind: pd.DataFrame, registry, areas: pd.DataFrame):
    """Every additive relation visible to a reader: (cells, coefficients) summing to 0."""
    rels = []
    obs_cell = {}
    for i, r in obs.iterrows():
        obs_cell[(r.SOURCE_ID, r.MEASURE, r.REF_AREA, r.TIME_PERIOD, r.SEX, r.AGE, r.DISAGGREGATION)] = ("o", i)
    for (src, m, a, p, sex, age, d), cell in obs_cell.items():
        if sex == "_T":
            parts = [obs_cell.get((src, m, a, p, s, age, d)) for s in ("F", "M")]
            if all(parts):
                rels.append([(cell, 1)] + [(c, -1) for c in parts])
        if age == "_T":
            parts = [obs_cell.get((src, m, a, p, sex, g, d)) for g in ("Y_LT18", "Y_GE18")]
            if all(parts):
                rels.append([(cell, 1)] + [(c, -1) for c in parts])
    cells_of: dict[tuple, list] = {}  # (measure, area, period, sex, age, disaggregation) -> cells
    for (_src, *key), cell in obs_cell.items():
        cells_of.setdefault(tuple(key), []).append(cell)
    lac = areas[areas.IS_LAC.astype(bool)]
    members = {"LAC": set(lac.REF_AREA)} | {
        code: set(lac.REF_AREA[lac.LAC_SUBREGION == code]) for code in ("LAC_CARIB", "LAC_CENTRAL", "LAC_SOUTH")
    }
    for (indicator, period, sex, age, d), group in ind.groupby(
        ["INDICATOR", "TIME_PERIOD", "SEX", "AGE", "DISAGGREGATION"]
    ):
        by_area = dict(zip(group.REF_AREA, group.index))
        numerator = getattr(registry[indicator].numerator, "measure", None)
        for region, countries in members.items():
            if region in by_area:
                parts = [by_area[c] for c in countries if c in by_area]
                for column in ("NUMERATOR", "DENOMINATOR"):
                    rels.append([(("i", by_area[region], column), 1)] + [(("i", p, column), -1) for p in parts])
        if numerator:  # a country's numerator is the observation (headline: sex and age totals)
            for area, idx in by_area.items():
                for cell in cells_of.get((numerator, area, period, sex or "_T", age or "_T", d), []):
                    rels.append([(("i", idx, "NUMERATOR"), 1), (cell, -1)])
    return rels


def _value(cell, obs, ind):
    if cell[0] == "o":
        return obs.at[cell[1], "OBS_VALUE"]
    return ind.at[cell[1], cell[2]]


def _status(cell, obs, ind) -> str:
    return obs.at[cell[1], "CONF_STATUS"] if cell[0] == "o" else ind.at[cell[1], "CONF_STATUS"]


def _recoverable_withheld(obs: pd.DataFrame, ind: pd.DataFrame, areas: pd.DataFrame) -> list:
    """The withheld cells a reader can solve for from the published cells and every relation."""
    rels = _relations(obs, ind, load_registry(), areas)
    # a value the publisher withheld ("<5", CONF_STATUS A) is unknown to the warehouse too and
    # enters no published sum: it is no unknown of the attack, and nothing to recover
    unknown = sorted(
        {c for rel in rels for c, _ in rel if pd.isna(_value(c, obs, ind)) and _status(c, obs, ind) != "A"}, key=str
    )
    withheld_obs = {("o", i) for i in obs.index[obs.CONF_STATUS.isin(["C", "D"])]}
    assert withheld_obs, "there is something to attack"
    # relations only link the unknowns they name: solve each connected group of unknowns alone
    parent = {c: c for c in unknown}

    def root(cell):
        while parent[cell] != cell:
            parent[cell] = parent[parent[cell]]
            cell = parent[cell]
        return cell

    unknown_rels = [[(c, coef) for c, coef in rel if c in parent] for rel in rels]
    for rel in unknown_rels:
        for cell, _ in rel[1:]:
            parent[root(cell)] = root(rel[0][0])
    groups: dict = {}
    for cell in unknown:
        groups.setdefault(root(cell), []).append(cell)
    rels_of: dict = {}
    for rel in unknown_rels:
        if rel:
            rels_of.setdefault(root(rel[0][0]), []).append(rel)
    recovered = []
    for key, cells in groups.items():
        column = {c: j for j, c in enumerate(cells)}
        rows = []
        for rel in rels_of.get(key, []):
            row = np.zeros(len(cells))
            for cell, coef in rel:
                row[column[cell]] += coef
            if row.any():
                rows.append(row)
        if not rows:
            continue
        _, singular, vt = np.linalg.svd(np.array(rows), full_matrices=True)
        null = vt[int((singular > 1e-9).sum()) :]
        recovered += [c for c, j in column.items() if np.all(np.abs(null[:, j]) < 1e-9)]
    return [c for c in recovered if c in withheld_obs or (c[0] == "i" and ind.at[c[1], "CONF_STATUS"] in ("C", "D"))]


def test_no_withheld_value_can_be_recovered_from_the_public_tables(tables, warehouse):
    public = tables["public"]
    areas = warehouse.execute("SELECT REF_AREA, IS_LAC, LAC_SUBREGION FROM marts.areas").df()
    recovered = _recoverable_withheld(public.observations, public.indicator_values, areas)
    assert recovered == [], f"{len(recovered)} withheld values are recoverable, e.g. {recovered[:3]}"


def _published_csv(archive: zipfile.ZipFile, name: str) -> pd.DataFrame:
    """A CSV of the public download as a reader gets it: codes as text, figures as numbers."""
    frame = pd.read_csv(io.BytesIO(archive.read(name)), dtype=str, keep_default_na=False)
    for column in ("OBS_VALUE", "NUMERATOR", "DENOMINATOR"):
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column].replace("", np.nan))
    return frame


def test_no_withheld_value_can_be_recovered_from_the_published_csv_files(built_home, warehouse):
    """The attack again, on what the public site actually offers for download (all-data zip)."""
    with zipfile.ZipFile(built_home / "build" / "public" / "site" / "downloads" / "clac-all-data.zip") as archive:
        obs = _published_csv(archive, "observations.csv")
        ind = _published_csv(archive, "indicator_values.csv")
    assert set(obs.SHARING) == {"CLEAR"} and set(ind.SHARING) == {"CLEAR"}
    assert {"C", "D"} <= set(obs.CONF_STATUS) and obs.loc[obs.CONF_STATUS != "F", "OBS_VALUE"].isna().all()
    assert ind.loc[ind.CONF_STATUS != "F", ["OBS_VALUE", "NUMERATOR", "DENOMINATOR"]].isna().all().all()
    areas = warehouse.execute("SELECT REF_AREA, IS_LAC, LAC_SUBREGION FROM marts.areas").df()
    recovered = _recoverable_withheld(obs, ind, areas)
    assert recovered == [], f"{len(recovered)} withheld values are recoverable, e.g. {recovered[:3]}"
    # the attack has teeth: with the withheld values put back it solves them from the other cells
    exact = warehouse.execute(
        "SELECT SOURCE_ID, MEASURE, REF_AREA, TIME_PERIOD, SEX, AGE, DISAGGREGATION, "
        "OBS_VALUE AS EXACT FROM marts.observations"
    ).df()
    key = ["SOURCE_ID", "MEASURE", "REF_AREA", "TIME_PERIOD", "SEX", "AGE", "DISAGGREGATION"]
    exact[key] = exact[key].fillna("").astype(str)
    leaky = obs.merge(exact, on=key, how="left", validate="one_to_one")
    secondary = leaky.CONF_STATUS == "D"
    leaky.loc[secondary, "OBS_VALUE"] = leaky.loc[secondary, "EXACT"]
    leaky = leaky.drop(columns="EXACT")
    assert _recoverable_withheld(leaky, ind, areas), "without secondary suppression some C cell is recoverable"
