"""The indicator registry: one YAML file per indicator in ``indicators/registry/``.

Indicators, baselines and targets are data the Secretariat edits, not code: adding an
indicator is adding a file ``indicators/registry/<indicator_id>.yaml``. Every file is
checked on load, and an invalid file fails with an :class:`IndicatorError` naming the
file and the field (``cybertipline_reports_per_100k.yaml: field 'denominator': ...``).

A registry file
---------------
.. code-block:: yaml

    id: cybertipline_reports_per_100k          # = the file name, lower_snake_case
    goal: 8                                    # CLAC policy goal, 1-8
    working_group: private_sector              # prevention_awareness | private_sector
                                               # | law_enforcement | hotlines
    name:        {es: ..., en: ..., pt: ...}
    definition:  {es: ..., en: ..., pt: ...}
    numerator:                                 # what is counted (see "Numerator" below)
      measure: CYBERTIPLINE_REPORTS
      source: ncmec_cybertipline_by_country    # optional; default: any of `sources`
      filter: {}                               # optional: column -> value or list
      sum_over: []                             # optional: columns summed away
    denominator: population_total              # population_total | population_under18
                                               # | none | {measure: ...} | {sql: ...}
    factor: 100000                             # value = numerator / denominator x factor
    unit: PER_100000_POP                       # a unit code of indicators/translations.yaml
    direction: decrease                        # increase | decrease (which way is better)
    kind: progress                             # progress | context (see "Kind" below)
    kind_reason: {es: ..., en: ..., pt: ...}   # optional: why a volume is judged as progress
    disaggregations: []                        # SEX, AGE, DISAGGREGATION: extra series
    aggregation:                               # optional; default from the denominator
      method: ratio_of_sums                    # ratio_of_sums | sum | weighted_mean | none
      basis: population_total                  # population whose share is the coverage
      min_coverage: 0                          # aggregates below this are not published
    base_year: 2019
    target: {value: 0, year: 2030}             # optional
    limit: 100                                 # optional natural bound (Open SDG method 1)
    progress_method: opensdg                   # opensdg | un_cr
    sources: [ncmec_cybertipline_by_country]   # catalogue ids (sources/catalogue/)
    area_scope: countries                      # countries (default) | world (see "Area scope")
    frameworks:
      weprotect_capabilities: [6, 16]          # WeProtect GSR capability numbers 1-21
      ncmec_positions: [platform_reporting]    # NCMEC policy position codes
      sdg_indicator: "16.2.3"                  # optional
    limitations: {es: ..., en: ..., pt: ...}

Numerator (and a measure denominator)
-------------------------------------
``{measure, source, filter, sum_over}`` selects rows of ``marts.observations``:

* ``measure``: a code of ``sources/codelists/measures.yaml`` that one of the
  indicator's ``sources`` delivers;
* ``filter``: ``{column: value}`` or ``{column: [values]}`` on SEX, AGE,
  DISAGGREGATION, NATURE, UNIT_MEASURE or OBS_STATUS;
* the three disaggregation columns SEX, AGE and DISAGGREGATION are never mixed: a
  column named in ``filter`` keeps the filtered values, a column named in the
  indicator's ``disaggregations`` keeps every value (each one is a series; the total,
  ``_T`` or empty, is the headline), and any other column keeps its total only;
* ``sum_over``: columns whose values are added up into one total (e.g. female +
  male victims). Each needs a list ``filter`` naming the parts, and a total is formed
  only where *every* part is present, so a missing part never passes for a total.

After that, one row per area, period and disaggregation must remain; several rows
(for instance the same measure from two sources) are a registry error, raised when
the indicator is computed, never silently added up.

The SQL escape hatch ``{sql: "SELECT ..."}`` replaces the selection for numerators
(or denominators) that a measure and a filter cannot express. The query runs on the
warehouse and returns the columns ``REF_AREA, REF_YEAR, VALUE`` and optionally
``TIME_PERIOD`` (default: the year), ``SEX``, ``AGE``, ``DISAGGREGATION`` (default:
empty), ``SHARING`` (default: the most restrictive level of the indicator's sources),
``OBS_STATUS`` (default ``A``), ``SOURCE_ID`` (default: the indicator's sources) and
``SYNTHETIC`` (true for rows of invented test data; rows are also SYNTHETIC when the
declared sources are).
A ``description`` ({es, en, pt}) says in words what it computes, for the methodology
pages.

Kind (``kind``)
---------------
``progress`` (default): the indicator gets a progress status (``direction`` says which
way is better). ``context``: the indicator's direction is not a matter of progress (for
instance volumes of detection and reporting: more reports may mean more detection, not
more abuse), so it gets no progress status and is shown apart from the progress
indicators. A detection or reporting volume kept as ``progress`` should say why in
``kind_reason``.

Area scope (``area_scope``)
---------------------------
``countries`` (default): one value per country (``AREA_KIND`` country of ``marts.areas``),
and the regional aggregates. ``world``: the indicator describes the whole world and has one
series, the world (``M49_001``; e.g. the concentration of NCMEC's reports among the
companies that make them, which are not counted per country). Its numerator selects the
world rows only, it has no population denominator and no regional aggregate
(``aggregation`` is ``none``), and its rows carry ``AREA_KIND`` ``world``.

Regional aggregation (``aggregation``)
--------------------------------------
Defaults: ``ratio_of_sums`` when there is a denominator; with no denominator,
``sum`` for count measures and ``none`` otherwise (percentages, rates and durations
cannot be added up). ``basis`` defaults to the denominator when that is a
population, else ``population_total``. ``sum`` needs no denominator (adding ratios is
meaningless); ``ratio_of_sums`` needs one; a population denominator is its own basis.
A population denominator cannot be combined with ``disaggregations`` (the population
is a total, not a population by sex or age).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, field_validator, model_validator

from sources.catalogue import MeasureEntry, SourceEntry, Translated, load_catalogue, load_measures, read_yaml

INDICATORS_DIR = Path(__file__).resolve().parent
REGISTRY_DIR = INDICATORS_DIR / "registry"
TRANSLATIONS_FILE = INDICATORS_DIR / "translations.yaml"

LANGUAGES = ("es", "en", "pt")
DIMENSIONS = ("SEX", "AGE", "DISAGGREGATION")
POPULATION_DENOMINATORS = ("population_total", "population_under18")
#: The area of a ``area_scope: world`` indicator (UN M49 001, sources/reference/special_areas.csv).
WORLD_AREA = "M49_001"

Dimension = Literal["SEX", "AGE", "DISAGGREGATION"]
FilterColumn = Literal["SEX", "AGE", "DISAGGREGATION", "NATURE", "UNIT_MEASURE", "OBS_STATUS"]
PopulationBasis = Literal["population_total", "population_under18"]

#: Discriminator tags; removed from error locations so messages name the YAML field.
_TAGS = {"measure_spec", "sql_spec", "keyword", "[key]"}


class IndicatorError(Exception):
    """An invalid registry file, with the file and the field named."""

    def __init__(self, path: Path | str, field: str, problem: str):
        self.path, self.field, self.problem = Path(path), field, problem
        super().__init__(f"{self.path.name}: field '{field}': {problem}")


class MeasureSpec(BaseModel):
    """Rows of ``marts.observations`` for one measure (numerator or denominator)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    measure: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    source: str | None = None
    filter: dict[FilterColumn, str | list[str]] = Field(default_factory=dict)
    sum_over: list[Dimension] = Field(default_factory=list)

    @field_validator("filter")
    @classmethod
    def _non_empty_lists(cls, value: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        for column, wanted in value.items():
            if isinstance(wanted, list) and not wanted:
                raise ValueError(f"filter on {column} is an empty list")
        return value

    @model_validator(mode="after")
    def _sum_over_needs_parts(self) -> "MeasureSpec":
        if len(set(self.sum_over)) != len(self.sum_over):
            raise ValueError("sum_over|names a column twice")
        for column in self.sum_over:
            parts = self.filter.get(column)
            if not isinstance(parts, list) or len(parts) < 2:
                raise ValueError(
                    f"sum_over|{column} needs a list filter naming the parts to add up, "
                    f"e.g. filter: {{{column}: [F, M]}}"
                )
        return self

    @property
    def kind(self) -> str:
        return "measure"


class SqlSpec(BaseModel):
    """The escape hatch: a query returning REF_AREA, REF_YEAR, VALUE (+ optional columns)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sql: str = Field(min_length=10)
    description: Translated

    @field_validator("sql")
    @classmethod
    def _read_only(cls, value: str) -> str:
        head = value.lstrip().split(None, 1)[0].upper() if value.strip() else ""
        if head not in ("SELECT", "WITH", "FROM"):
            raise ValueError("the query must be a SELECT (or WITH ... SELECT) statement")
        if ";" in value.strip().rstrip(";"):
            raise ValueError("one statement only (no ';' inside the query)")
        return value

    @property
    def kind(self) -> str:
        return "sql"


def _spec_tag(value: Any) -> str:
    if isinstance(value, str):
        return "keyword"
    if isinstance(value, dict):
        return "sql_spec" if "sql" in value else "measure_spec"
    return "sql_spec" if isinstance(value, SqlSpec) else "measure_spec"


NumeratorSpec = Annotated[
    Annotated[MeasureSpec, Tag("measure_spec")] | Annotated[SqlSpec, Tag("sql_spec")],
    Discriminator(_spec_tag),
]
DenominatorSpec = Annotated[
    Annotated[Literal["population_total", "population_under18", "none"], Tag("keyword")]
    | Annotated[MeasureSpec, Tag("measure_spec")]
    | Annotated[SqlSpec, Tag("sql_spec")],
    Discriminator(_spec_tag),
]


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float
    year: int = Field(default=2030, ge=1990, le=2100)


class Aggregation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["ratio_of_sums", "sum", "weighted_mean", "none"]
    basis: PopulationBasis | None = None
    min_coverage: float = Field(default=0.0, ge=0.0, le=1.0)


class Frameworks(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    weprotect_capabilities: list[int] = Field(default_factory=list)
    ncmec_positions: list[str] = Field(default_factory=list)
    sdg_indicator: str | None = Field(default=None, pattern=r"^\d{1,2}\.[0-9a-z]{1,2}\.\d{1,2}$")


class Indicator(BaseModel):
    """One registry entry (one ``indicators/registry/<id>.yaml`` file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    goal: int = Field(ge=1, le=8)
    working_group: Literal["prevention_awareness", "private_sector", "law_enforcement", "hotlines"]
    name: Translated
    definition: Translated
    numerator: NumeratorSpec
    denominator: DenominatorSpec
    factor: float = Field(default=1.0, gt=0)
    unit: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    # a context indicator describes the situation: no progress status (its direction, if
    # given, says which way a change reads); a progress indicator needs a direction
    kind: Literal["progress", "context"] = "progress"
    kind_reason: Translated | None = None
    direction: Literal["increase", "decrease"] | None = None
    disaggregations: list[Dimension] = Field(default_factory=list)
    aggregation: Aggregation | None = None
    base_year: int = Field(default=2015, ge=1990, le=2100)
    target: Target | None = None
    limit: float | None = None
    progress_method: Literal["opensdg", "un_cr"] = "opensdg"
    sources: list[str] = Field(min_length=1)
    area_scope: Literal["countries", "world"] = "countries"
    frameworks: Frameworks = Field(default_factory=Frameworks)
    limitations: Translated

    @field_validator("disaggregations", "sources")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("an entry is listed twice")
        return value

    @model_validator(mode="after")
    def _direction_for_progress(self) -> "Indicator":
        if self.kind == "progress" and self.direction is None:
            raise ValueError("direction|a progress indicator needs increase or decrease")
        return self

    @model_validator(mode="after")
    def _consistent(self) -> "Indicator":
        # Raised as ValueError("<field>|<problem>") so the loader can name the field.
        num = self.numerator
        if isinstance(num, MeasureSpec):
            if num.source is not None and num.source not in self.sources:
                raise ValueError(
                    f"numerator.source|'{num.source}' is not one of the indicator's sources {self.sources}"
                )
            clash = set(num.sum_over) & set(self.disaggregations)
            if clash:
                raise ValueError(
                    f"disaggregations|{sorted(clash)} cannot be both summed over (numerator.sum_over) "
                    "and published as series"
                )
        den = self.denominator
        if isinstance(den, MeasureSpec) and den.source is not None and den.source not in self.sources:
            raise ValueError(f"denominator.source|'{den.source}' is not one of the indicator's sources {self.sources}")
        if den in POPULATION_DENOMINATORS and self.disaggregations:
            raise ValueError(
                "disaggregations|a population denominator is a total population, so the indicator "
                "cannot be published by sex, age or category; remove the disaggregations or use a "
                "denominator with the same breakdown"
            )
        if self.target is not None and self.target.year <= self.base_year:
            raise ValueError(
                f"target.year|the target year {self.target.year} must be after the base year {self.base_year}"
            )
        agg = self.aggregation
        if self.area_scope == "world":
            if den in POPULATION_DENOMINATORS:
                raise ValueError(
                    "denominator|a world indicator has no population denominator (the population is per country)"
                )
            if agg is not None and agg.method != "none":
                raise ValueError("aggregation.method|a world indicator has no regional aggregate; use none")
        if agg is not None:
            if agg.method == "ratio_of_sums" and den == "none":
                raise ValueError(
                    "aggregation.method|ratio_of_sums needs a denominator; use sum (counts), weighted_mean or none"
                )
            if agg.method == "sum" and den != "none":
                raise ValueError(
                    "aggregation.method|sum adds up values and is only meaningful without a "
                    "denominator (a sum of ratios means nothing); use ratio_of_sums"
                )
            if den in POPULATION_DENOMINATORS and agg.basis is not None and agg.basis != den:
                raise ValueError(
                    f"aggregation.basis|the coverage of a per-capita indicator is measured on its "
                    f"own denominator ({den}), not {agg.basis}"
                )
        return self

    # -- derived properties --------------------------------------------------------
    @property
    def denominator_kind(self) -> str:
        """population_total | population_under18 | none | measure | sql."""
        den = self.denominator
        return den if isinstance(den, str) else den.kind

    @property
    def coverage_basis(self) -> str:
        """The population whose share the COVERAGE of an aggregate is (and the weights)."""
        if self.denominator in POPULATION_DENOMINATORS:
            return str(self.denominator)
        if self.aggregation is not None and self.aggregation.basis is not None:
            return self.aggregation.basis
        return "population_total"

    @property
    def aggregation_method(self) -> str:
        """The aggregation method; the loader resolves a missing one from the measure's kind, and an
        indicator built without the loader falls back to ratio_of_sums (denominator) or none."""
        if self.aggregation is not None:
            return self.aggregation.method
        return "ratio_of_sums" if self.denominator != "none" else "none"

    def measures(self) -> list[str]:
        """Measure codes the indicator reads (empty for SQL parts)."""
        out = []
        for spec in (self.numerator, self.denominator):
            if isinstance(spec, MeasureSpec):
                out.append(spec.measure)
        return out


# ---------------------------------------------------------------------------- loading
@lru_cache(maxsize=4)
def _load_translations(path: Path = TRANSLATIONS_FILE) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise IndicatorError(path, "(file)", "expected a mapping of label groups")
    return data


def translations() -> dict[str, Any]:
    """Labels in es/en/pt (``indicators/translations.yaml``)."""
    return _load_translations(TRANSLATIONS_FILE)


def _read_yaml(path: Path) -> Any:
    return read_yaml(path, IndicatorError)


def _raise_first(path: Path, exc: ValidationError) -> None:
    err = exc.errors()[0]
    loc = [str(part) for part in err["loc"] if str(part) not in _TAGS]
    msg = err["msg"]
    if err["type"] == "value_error":
        msg = msg.removeprefix("Value error, ")
        if "|" in msg.split(" ", 1)[0]:  # "<field>|<problem>" from a model validator
            field, msg = msg.split("|", 1)
            loc = loc + field.split(".")
    if err["type"] == "union_tag_invalid":
        msg = "expected a mapping with 'measure' or 'sql', or one of population_total, population_under18, none"
    field = ".".join(loc) or "(file)"
    raise IndicatorError(path, field, msg) from None


def _default_aggregation(indicator: Indicator, measures: dict[str, MeasureEntry]) -> Aggregation:
    if indicator.area_scope == "world":
        return Aggregation(method="none")
    if indicator.denominator != "none":
        return Aggregation(method="ratio_of_sums")
    num = indicator.numerator
    if isinstance(num, MeasureSpec) and measures[num.measure].kind == "count":
        return Aggregation(method="sum")
    return Aggregation(method="none")


def _check_references(
    path: Path, ind: Indicator, measures: dict[str, MeasureEntry], catalogue: dict[str, SourceEntry]
) -> None:
    for source in ind.sources:
        if source not in catalogue:
            raise IndicatorError(
                path,
                "sources",
                f"'{source}' is not a source of the catalogue (sources/catalogue/); known: {', '.join(catalogue)}",
            )
    for role in ("numerator", "denominator"):
        spec = getattr(ind, role)
        if not isinstance(spec, MeasureSpec):
            continue
        if spec.measure not in measures:
            raise IndicatorError(
                path,
                f"{role}.measure",
                f"'{spec.measure}' is not in the measures code list (sources/codelists/measures.yaml)",
            )
        candidates = [spec.source] if spec.source else ind.sources
        if not any(spec.measure in catalogue[s].measures for s in candidates):
            raise IndicatorError(
                path, f"{role}.measure", f"'{spec.measure}' is not delivered by any of the sources {candidates}"
            )
    labels = translations()
    if ind.unit not in labels["units"]:
        raise IndicatorError(
            path,
            "unit",
            f"'{ind.unit}' has no labels in indicators/translations.yaml "
            f"(units: {', '.join(labels['units'])}); add them there",
        )
    for number in ind.frameworks.weprotect_capabilities:
        if number not in labels["weprotect_capabilities"]:
            raise IndicatorError(
                path,
                "frameworks.weprotect_capabilities",
                f"{number} is not a WeProtect Global Strategic Response capability (1-21)",
            )
    for code in ind.frameworks.ncmec_positions:
        if code not in labels["ncmec_positions"]:
            raise IndicatorError(
                path,
                "frameworks.ncmec_positions",
                f"'{code}' is not an NCMEC policy position code; known: {', '.join(labels['ncmec_positions'])}",
            )


def load_indicator(
    path: Path, *, measures: dict[str, MeasureEntry] | None = None, catalogue: dict[str, SourceEntry] | None = None
) -> Indicator:
    """Load and check one registry file."""
    path = Path(path)
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise IndicatorError(path, "(file)", "expected a mapping of fields")
    try:
        indicator = Indicator.model_validate(data)
    except ValidationError as exc:
        _raise_first(path, exc)
    if indicator.id != path.stem:
        raise IndicatorError(path, "id", f"'{indicator.id}' must equal the file name '{path.stem}'")
    measures = measures if measures is not None else load_measures()
    catalogue = catalogue if catalogue is not None else load_catalogue()
    _check_references(path, indicator, measures, catalogue)
    if indicator.aggregation is None:
        indicator = indicator.model_copy(update={"aggregation": _default_aggregation(indicator, measures)})
    return indicator


def load_registry(
    directory: Path = REGISTRY_DIR,
    *,
    measures: dict[str, MeasureEntry] | None = None,
    catalogue: dict[str, SourceEntry] | None = None,
) -> dict[str, Indicator]:
    """Every indicator of the registry by id, ordered by goal then id."""
    measures = measures if measures is not None else load_measures()
    catalogue = catalogue if catalogue is not None else load_catalogue()
    items = [load_indicator(p, measures=measures, catalogue=catalogue) for p in sorted(Path(directory).glob("*.yaml"))]
    items.sort(key=lambda ind: (ind.goal, ind.id))
    return {ind.id: ind for ind in items}


def by_goal(registry: dict[str, Indicator]) -> dict[int, list[Indicator]]:
    """Indicators grouped by policy goal 1-8 (every goal present, possibly empty)."""
    groups: dict[int, list[Indicator]] = {goal: [] for goal in range(1, 9)}
    for ind in registry.values():
        groups[ind.goal].append(ind)
    return groups
