"""The indicator registry: real files load, cover every goal in three languages, and an
invalid file fails naming the file and the field. Also the methodology pages generated
from it, and the SYNTHETIC source added for goals 3, 4, 6 and 7."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import yaml

from indicators.methodology import methodology_pages, write_methodology
from indicators.registry import REGISTRY_DIR, IndicatorError, load_indicator, load_registry
from sources.catalogue import BUNDLED_DATA_DIR, load_catalogue

REAL_SOURCES = {"ncmec_cybertipline_by_country", "un_sdg_global_database", "opensdg_jamaica"}


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def test_every_registry_file_loads(registry):
    files = sorted(REGISTRY_DIR.glob("*.yaml"))
    assert len(files) >= 16
    assert sorted(registry) == sorted(p.stem for p in files)


def test_at_least_two_indicators_per_goal(registry):
    for goal in range(1, 9):
        ids = [i.id for i in registry.values() if i.goal == goal]
        assert len(ids) >= 2, f"goal {goal} has {ids}"


def test_every_indicator_speaks_es_en_pt(registry):
    for ind in registry.values():
        for field in ("name", "definition", "limitations"):
            texts = getattr(ind, field)
            for lang in ("es", "en", "pt"):
                assert len(texts.get(lang).strip()) > 10, (ind.id, field, lang)
        # translated, not copied: the Spanish and English names differ
        assert ind.name.es != ind.name.en, ind.id


def test_real_data_where_it_exists(registry):
    catalogue = load_catalogue()
    real = {i.id for i in registry.values() if not any(catalogue[s].synthetic for s in i.sources)}
    assert {
        "cybertipline_reports_per_100k",
        "cybertipline_reports_per_100k_children",
        "sexual_violence_before_18",
        "trafficking_victims_detected_per_100k",
        "sexual_assault_police_reporting_rate",
        "sexual_violence_last_12_months",
    } <= real
    assert registry["cybertipline_reports_per_100k"].goal == 8
    assert registry["cybertipline_reports_per_100k"].denominator == "population_total"
    assert registry["cybertipline_reports_per_100k_children"].goal == 1
    assert registry["cybertipline_reports_per_100k_children"].denominator == "population_under18"
    for ind in registry.values():
        synthetic = [catalogue[s].synthetic for s in ind.sources]
        # an indicator never mixes real and SYNTHETIC sources
        assert all(synthetic) or not any(synthetic), ind.id
        if all(synthetic):
            assert "SYNTHETIC" in ind.limitations.en, ind.id
    # goals 3, 4, 6 and 7 have no real statistics yet: at least two indicators each are
    # computed from the SYNTHETIC generic-template source, and say so
    for goal in (3, 4, 6, 7):
        from_fixture = [i for i in registry.values() if i.goal == goal and i.sources == ["synthetic_policy_activities"]]
        assert len(from_fixture) >= 2, goal
        for ind in from_fixture:
            assert "SINTÉTICA" in ind.limitations.es and "SINTÉTICA" in ind.limitations.pt
            assert "quarterly reports" in ind.limitations.en


def test_survey_percentages_have_no_summed_aggregate(registry):
    for ind_id in (
        "sexual_violence_before_18",
        "sexual_violence_last_12_months",
        "sexual_assault_police_reporting_rate",
    ):
        assert registry[ind_id].aggregation.method == "none"


# ------------------------------------------------------------------ invalid files
BASE_FILE = REGISTRY_DIR / "cybertipline_reports_per_100k.yaml"


def _variant(tmp_path: Path, change, name: str = "cybertipline_reports_per_100k.yaml") -> Path:
    data = yaml.safe_load(BASE_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "change, field, words",
    [
        (lambda d: d.pop("goal"), "goal", "Field required"),
        (lambda d: d.update(goal=9), "goal", "less than or equal to 8"),
        (lambda d: d.update(working_group="marketing"), "working_group", "hotlines"),
        (lambda d: d["name"].pop("pt"), "name.pt", "Field required"),
        (lambda d: d["limitations"].update(es=""), "limitations.es", "at least 1 character"),
        (lambda d: d.update(direction="up"), "direction", "increase"),
        (lambda d: d.update(denominator="population_adults"), "denominator", "population_total"),
        (lambda d: d["numerator"].update(measure="NOT_A_MEASURE"), "numerator.measure", "measures code list"),
        (lambda d: d["numerator"].update(measure="PROSECUTIONS"), "numerator.measure", "not delivered"),
        (lambda d: d["numerator"].update(sum_over=["SEX"]), "numerator.sum_over", "list filter"),
        (lambda d: d["numerator"].update(filter={"COLOUR": "x"}), "numerator.filter.COLOUR", "SEX"),
        (lambda d: d["numerator"].update(source="un_sdg_global_database"), "numerator.source", "not one of"),
        (lambda d: d.update(disaggregations=["SEX"]), "disaggregations", "population denominator"),
        (lambda d: d.update(aggregation={"method": "sum"}), "aggregation.method", "ratio_of_sums"),
        (
            lambda d: d.update(aggregation={"method": "ratio_of_sums", "basis": "population_under18"}),
            "aggregation.basis",
            "own denominator",
        ),
        (lambda d: d.update(target={"value": 1, "year": 2010}), "target.year", "after the base year"),
        (lambda d: d.update(unit="PER_MILLION"), "unit", "translations"),
        (lambda d: d.update(sources=["ncmec_cybertipline_by_country", "no_such_source"]), "sources", "not a source"),
        (lambda d: d["frameworks"].update(weprotect_capabilities=[22]), "frameworks.weprotect_capabilities", "1-21"),
        (
            lambda d: d["frameworks"].update(ncmec_positions=["world_peace"]),
            "frameworks.ncmec_positions",
            "world_peace",
        ),
        (lambda d: d.update(progress_method="vibes"), "progress_method", "opensdg"),
        (lambda d: d.update(factor=0), "factor", "greater than 0"),
        (lambda d: d.update(colour="blue"), "colour", "Extra inputs"),
        (lambda d: d.update(id="other_id"), "id", "file name"),
        (
            lambda d: d.update(numerator={"sql": "DELETE FROM marts.observations", "description": d["name"]}),
            "numerator.sql",
            "SELECT",
        ),
    ],
)
def test_invalid_file_names_file_and_field(tmp_path, change, field, words):
    path = _variant(tmp_path, change)
    with pytest.raises(IndicatorError) as info:
        load_indicator(path)
    assert info.value.field == field, str(info.value)
    message = str(info.value)
    assert message.startswith(f"cybertipline_reports_per_100k.yaml: field '{field}'"), message
    assert words in message, message


def test_broken_yaml_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("id: broken\nname: [unclosed\n", encoding="utf-8")
    with pytest.raises(IndicatorError) as info:
        load_indicator(path)
    assert "broken.yaml" in str(info.value) and "line" in str(info.value)


def test_an_invalid_file_stops_the_whole_registry(tmp_path):
    folder = tmp_path / "registry"
    shutil.copytree(REGISTRY_DIR, folder)
    (folder / "conviction_ratio.yaml").write_text(
        (folder / "conviction_ratio.yaml").read_text(encoding="utf-8").replace("goal: 5", "goal: 0"), encoding="utf-8"
    )
    with pytest.raises(IndicatorError) as info:
        load_registry(folder)
    assert str(info.value).startswith("conviction_ratio.yaml: field 'goal'")


def test_adding_a_file_adds_an_indicator(tmp_path, registry):
    folder = tmp_path / "registry"
    shutil.copytree(REGISTRY_DIR, folder)

    def change(d):
        d["id"] = "cybertipline_reports_per_1000"
        d["factor"] = 1000
        d["goal"] = 1

    _variant(folder, change, name="cybertipline_reports_per_1000.yaml")
    extended = load_registry(folder)
    assert set(extended) == set(registry) | {"cybertipline_reports_per_1000"}
    assert extended["cybertipline_reports_per_1000"].factor == 1000


def test_defaults_are_derived_from_the_denominator(tmp_path):
    def no_aggregation(d):
        d.pop("aggregation")

    per_capita = load_indicator(_variant(tmp_path, no_aggregation))
    assert per_capita.aggregation.method == "ratio_of_sums"
    assert per_capita.coverage_basis == "population_total"

    def count(d):
        d.pop("aggregation")
        d["denominator"] = "none"
        d["factor"] = 1
        d["unit"] = "NUMBER"

    counted = load_indicator(_variant(tmp_path, count))
    assert counted.aggregation.method == "sum"  # CYBERTIPLINE_REPORTS is a count


# ------------------------------------------------------------------ methodology pages
HEADINGS = {
    "es": ["## Definición", "## Fórmula de cálculo", "## Fuentes", "## Limitaciones"],
    "en": ["## Definition", "## Formula", "## Sources", "## Limitations"],
    "pt": ["## Definição", "## Fórmula de cálculo", "## Fontes", "## Limitações"],
}


@pytest.mark.parametrize("lang", ["es", "en", "pt"])
def test_methodology_pages_in_each_language(registry, lang):
    pages = methodology_pages(registry, lang)
    assert set(pages) == set(registry)
    for ind_id, text in pages.items():
        ind = registry[ind_id]
        assert text.startswith(f"# {ind.name.get(lang)}\n")
        for heading in HEADINGS[lang]:
            assert heading in text, (ind_id, heading)
        assert ind.limitations.get(lang) in text
        for source in ind.sources:
            assert f"`{source}`" not in text  # the site page names the source by its title
        assert "SELECT" not in text and ".yaml" not in text and f"`{ind.id}`" not in text
    docs = methodology_pages(registry, lang, docs=True)  # the repository's docs keep ids and queries
    for ind_id, text in docs.items():
        for source in registry[ind_id].sources:
            assert f"`{source}`" in text
    assert any("SELECT" in text for text in docs.values())
    context = {
        "es": "Indicador de contexto: su evolución",
        "en": "Context indicator: its direction",
        "pt": "Indicador de contexto: a sua evolução",
    }[lang]
    assert context in pages["cybertipline_reports"] and context not in pages["conviction_ratio"]
    per100k = pages["cybertipline_reports_per_100k"]
    assert ("100.000" if lang in ("es", "pt") else "100,000") in per100k
    synthetic_flag = {"es": "SINTÉTICOS", "en": "SYNTHETIC", "pt": "SINTÉTICOS"}[lang]
    assert synthetic_flag in pages["awareness_campaigns"]
    assert synthetic_flag not in pages["cybertipline_reports_per_100k"]


def test_write_methodology_writes_every_page(tmp_path, registry):
    written = write_methodology(registry, out_dir=tmp_path)
    for lang in ("es", "en", "pt"):
        for ind_id in registry:
            assert (tmp_path / lang / f"{ind_id}.md").is_file()
        assert (tmp_path / lang / "index.md").is_file()
    assert len(written) == 3 * (len(registry) + 1)
    again = {p: p.read_bytes() for p in written}
    write_methodology(registry, out_dir=tmp_path)
    assert all(p.read_bytes() == b for p, b in again.items()), "output must be deterministic"


# ------------------------------------------------------------------ the SYNTHETIC source
def test_policy_activities_fixture_is_labelled_synthetic():
    entry = load_catalogue()["synthetic_policy_activities"]
    assert entry.synthetic and entry.sharing.value == "GREEN" and entry.parser == "generic_table"
    path = BUNDLED_DATA_DIR / "synthetic" / "policy-activities-SYNTHETIC.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [
        "REF_AREA",
        "TIME_PERIOD",
        "MEASURE",
        "OBS_VALUE",
        "UNIT_MEASURE",
        "SEX",
        "AGE",
        "DISAGGREGATION",
        "OBS_STATUS",
        "COMMENT",
    ]
    assert {r["COMMENT"] for r in rows} == {"SYNTHETIC: invented for testing, not a real statistic"}
    assert {r["MEASURE"] for r in rows} == set(entry.measures)
    # patterned figures: the first country's first year
    first = {
        r["MEASURE"]: int(r["OBS_VALUE"])
        for r in rows
        if r["REF_AREA"] == "ARG" and r["TIME_PERIOD"] == "2019" and r["SEX"] in ("", "_T")
    }
    assert first["RESPONSE_PROFESSIONALS_TRAINED"] == 1110
    assert first["AWARENESS_CAMPAIGN_REACH"] == 111000
    assert first["SAFETY_TOOL_TRAININGS"] == 111
