"""Methodology pages generated from the indicator registry, in Spanish, English and Portuguese.

    from indicators.registry import load_registry
    from indicators.methodology import methodology_pages, write_methodology
    pages = methodology_pages(load_registry(), "es")      # {indicator_id: markdown}
    write_methodology(load_registry())                    # docs/methodology/<lang>/<id>.md + index.md

Each page states the definition, the formula (numerator, denominator, factor,
disaggregations), the regional aggregation rule, the sources (SYNTHETIC ones
flagged), the base year, target, progress method and limitations, with every label
taken from ``indicators/translations.yaml``. Templates: ``indicators/templates/*.j2``
(Jinja2). The output is a pure function of the registry, the catalogue and the
translations: the same inputs give the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import jinja2

from indicators.compute import VERDICT_RULES_FILE, regional_min_coverage
from indicators.progress import STATUS_LABELS, STATUSES
from indicators.registry import LANGUAGES, POPULATION_DENOMINATORS, Indicator, MeasureSpec, SqlSpec, translations
from sources.catalogue import MeasureEntry, SourceEntry, load_catalogue, load_measures

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
DEFAULT_OUT_DIR = Path(__file__).resolve().parents[1] / "docs" / "methodology"


def format_number(value: float, lang: str) -> str:
    """100000 -> '100.000' (es, pt) or '100,000' (en); decimals kept as needed."""
    if float(value).is_integer():
        text = f"{int(value):,}"
    else:
        text = f"{value:,.6f}".rstrip("0").rstrip(".")
    if lang in ("es", "pt"):
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def catalogue_label(group: str, text: str, lang: str) -> str:
    """A catalogue's licence or publisher text in ``lang`` (``licences`` / ``publishers`` of
    ``indicators/translations.yaml``); names without a translation are shown as written."""
    entry = translations().get(group, {}).get(text)
    return entry[lang] if entry else text


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # Markdown output; every text comes from the registry and translations
    )


def _labels(lang: str) -> dict[str, str]:
    return {key: value[lang] for key, value in translations()["labels"].items()}


def _is_synthetic(ind: Indicator, catalogue: Mapping[str, SourceEntry]) -> bool:
    """True when every source the indicator reads is SYNTHETIC (its values are test data)."""
    return all(catalogue[s].synthetic for s in ind.sources if s in catalogue)


def _describe_spec(
    spec: MeasureSpec | SqlSpec,
    ind: Indicator,
    lang: str,
    measures: Mapping[str, MeasureEntry],
    labels: dict[str, str],
    docs: bool = True,
) -> str:
    if isinstance(spec, SqlSpec):
        if not docs:
            return spec.description.get(lang)
        return f"{spec.description.get(lang)} ({labels['sql_query']}: `{' '.join(spec.sql.split())}`)"
    entry = measures.get(spec.measure)
    if not docs:
        return entry.name.get(lang) if entry else spec.measure
    text = f"{entry.name.get(lang) if entry else spec.measure} (`{spec.measure}`)"
    source = spec.source or labels["all_sources_of_indicator"]
    text += f"; {labels['source_id']}: `{source}`" if spec.source else f"; {labels['source_id']}: {source}"
    if spec.filter:
        parts = [f"{col} = {', '.join(v) if isinstance(v, list) else v}" for col, v in spec.filter.items()]
        text += f"; {labels['filter'].lower()}: " + "; ".join(parts)
    if spec.sum_over:
        text += f"; {labels['summed_over'].lower()}: " + ", ".join(spec.sum_over)
    return text


def _context(
    ind: Indicator,
    lang: str,
    catalogue: Mapping[str, SourceEntry],
    measures: Mapping[str, MeasureEntry],
    docs: bool = True,
) -> dict:
    t = translations()
    labels = _labels(lang)
    factor = format_number(ind.factor, lang)
    value, num, den = labels["value_word"], labels["numerator_word"], labels["denominator_word"]
    if ind.denominator == "none":
        formula = f"{value} = {num}" + (f" × {factor}" if ind.factor != 1 else "")
        denominator = labels["no_denominator"]
    else:
        formula = f"{value} = {num} / {den}" + (f" × {factor}" if ind.factor != 1 else "")
        if ind.denominator in POPULATION_DENOMINATORS:
            denominator = labels[f"{ind.denominator}_source"]
        else:
            denominator = _describe_spec(ind.denominator, ind, lang, measures, labels, docs)
    population_sources = [labels[f"{ind.denominator}_source"]] if ind.denominator in POPULATION_DENOMINATORS else []
    disaggregations = (
        ", ".join(t["disaggregation_columns"][d][lang] + (f" (`{d}`)" if docs else "") for d in ind.disaggregations)
        or labels["none"]
    )
    sources = [
        {
            "id": s,
            "title": catalogue[s].title.get(lang),
            "publisher": catalogue_label("publishers", catalogue[s].publisher, lang),
            "licence": catalogue_label("licences", catalogue[s].licence, lang),
            "url": catalogue[s].url,
            "sharing": catalogue[s].sharing.value,
            "synthetic": catalogue[s].synthetic,
            "sharing_label": t["sharing_levels"][catalogue[s].sharing.value][lang],
        }
        for s in ind.sources
        if s in catalogue
    ]
    return {
        "ind": ind,
        "lang": lang,
        "L": labels,
        "T": t,
        "synthetic": _is_synthetic(ind, catalogue),
        "formula": formula,
        "numerator": _describe_spec(ind.numerator, ind, lang, measures, labels, docs),
        "docs": docs,
        "kind_note": t["kind"]["context"][lang],
        "coverage_rule": t["kind"]["coverage_rule"][lang].format(
            threshold=format_number(regional_min_coverage(VERDICT_RULES_FILE) * 100, lang)
        ),
        "denominator": denominator,
        "factor": factor,
        "disaggregations": disaggregations,
        "min_coverage": format_number(ind.aggregation.min_coverage, lang) if ind.aggregation else "",
        "sources": sources,
        "population_sources": population_sources,
        "target": format_number(ind.target.value, lang) if ind.target else "",
        "limit": format_number(ind.limit, lang) if ind.limit is not None else "",
        "statuses": [(code, STATUS_LABELS[lang][code]) for code in STATUSES],
    }


def methodology_pages(
    registry: Mapping[str, Indicator],
    lang: str,
    *,
    catalogue: Mapping[str, SourceEntry] | None = None,
    measures: Mapping[str, MeasureEntry] | None = None,
    docs: bool = False,
) -> dict[str, str]:
    """``{indicator_id: Markdown page}`` in ``lang`` (es, en or pt): in words and a formula for the
    site; ``docs=True`` adds what maintainers need (ids, codes, the exact query) for the
    repository's ``docs/methodology/``."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    catalogue = catalogue if catalogue is not None else load_catalogue()
    measures = measures if measures is not None else load_measures()
    template = _environment().get_template("methodology.md.j2")
    return {
        ind_id: template.render(**_context(ind, lang, catalogue, measures, docs)) for ind_id, ind in registry.items()
    }


def methodology_index(
    registry: Mapping[str, Indicator], lang: str, *, catalogue: Mapping[str, SourceEntry] | None = None
) -> str:
    """The index page of one language: indicators grouped by policy goal."""
    catalogue = catalogue if catalogue is not None else load_catalogue()
    groups = []
    for goal in range(1, 9):
        items = [(ind, _is_synthetic(ind, catalogue)) for ind in registry.values() if ind.goal == goal]
        if items:
            groups.append((goal, items))
    template = _environment().get_template("index.md.j2")
    return template.render(lang=lang, L=_labels(lang), T=translations(), groups=groups)


def write_methodology(
    registry: Mapping[str, Indicator], out_dir: Path = DEFAULT_OUT_DIR, langs: tuple[str, ...] = LANGUAGES
) -> list[Path]:
    """Write ``<out_dir>/<lang>/<indicator_id>.md`` and ``<out_dir>/<lang>/index.md``; returns the paths.

    Pages of indicators no longer in the registry are removed, so the folder mirrors it."""
    catalogue = load_catalogue()
    measures = load_measures()
    written: list[Path] = []
    for lang in langs:
        folder = Path(out_dir) / lang
        folder.mkdir(parents=True, exist_ok=True)
        pages = methodology_pages(registry, lang, catalogue=catalogue, measures=measures, docs=True)
        for ind_id, text in pages.items():
            path = folder / f"{ind_id}.md"
            path.write_text(text, encoding="utf-8")
            written.append(path)
        index = folder / "index.md"
        index.write_text(methodology_index(registry, lang, catalogue=catalogue), encoding="utf-8")
        written.append(index)
        keep = {p.name for p in written if p.parent == folder}
        for stale in folder.glob("*.md"):
            if stale.name not in keep:
                stale.unlink()
    return written


if __name__ == "__main__":  # python -m indicators.methodology
    from indicators.registry import load_registry

    for path in write_methodology(load_registry()):
        print(path)
