"""Translations and number formatting for the site and the annual report.

* User-interface strings: one YAML catalogue per language in
  ``dashboards/translations/<lang>.yaml`` (es, en, pt); every key exists in all three
  (a test checks it). Labels that belong to the indicator registry (goal names, units,
  working groups, WeProtect capabilities, NCMEC positions) come from
  ``indicators/translations.yaml``; progress statuses from
  :data:`indicators.progress.STATUS_LABELS`.
* Numbers: Babel, with the CLDR conventions of each language (decimal comma and
  ``.`` thousands separator in es and pt-BR, ``.`` and ``,`` in en).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from babel.numbers import format_decimal

from indicators.progress import STATUS_LABELS

LANGUAGES = ("es", "en", "pt")
#: Babel / CLDR locale of each site language.
BABEL_LOCALES = {"es": "es", "en": "en", "pt": "pt_BR"}
#: ``<html lang>`` of each site language.
HTML_LANG = {"es": "es", "en": "en", "pt": "pt-BR"}
#: plotly.js locale name of each language (locale files in dashboards/static/).
PLOTLY_LOCALES = {"es": "es", "en": "en", "pt": "pt-BR"}
#: plotly ``layout.separators`` (decimal, thousands) matching Babel's formatting.
PLOTLY_SEPARATORS = {"es": ",.", "en": ".,", "pt": ",."}

CATALOGUE_DIR = Path(__file__).resolve().parent / "translations"


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, Any]:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGUAGES}")
    with (CATALOGUE_DIR / f"{lang}.yaml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@lru_cache(maxsize=None)
def registry_labels() -> dict[str, Any]:
    """``indicators/translations.yaml`` (goals, units, working groups, frameworks)."""
    from indicators.registry import translations

    return translations()


class Translator:
    """``t("key")``, ``t("key.sub", name=...)`` for one language, plus label helpers."""

    def __init__(self, lang: str):
        self.lang = lang
        self.strings = catalogue(lang)
        self.locale = BABEL_LOCALES[lang]

    def __call__(self, key: str, **kwargs: Any) -> str:
        node: Any = self.strings
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise KeyError(f"translation key {key!r} missing in dashboards/translations/{self.lang}.yaml")
            node = node[part]
        text = str(node)
        return text.format(**kwargs) if kwargs else text

    def get(self, key: str, default: str = "") -> str:
        try:
            return self(key)
        except KeyError:
            return default

    # ---------------------------------------------------------------- registry labels
    def goal(self, goal: int) -> str:
        goals = registry_labels().get("goals", {})
        entry = goals.get(goal) or goals.get(str(goal)) or {}
        return entry.get(self.lang, f"{goal}")

    def unit(self, code: str) -> str:
        return registry_labels().get("units", {}).get(code, {}).get(self.lang, code or "")

    def working_group(self, code: str) -> str:
        return registry_labels().get("working_groups", {}).get(code, {}).get(self.lang, code or "")

    def direction(self, code: str) -> str:
        return registry_labels().get("direction", {}).get(code, {}).get(self.lang, code or "")

    def method(self, code: str) -> str:
        return registry_labels().get("method", {}).get(code, {}).get(self.lang, code or "")

    def status(self, status: str | None) -> str:
        return STATUS_LABELS[self.lang].get(status or "not_available", status or "")

    def obs_status(self, code: str | None) -> str:
        if not code:
            return ""
        return self.strings["obs_status_codes"].get(code, code)

    def sharing(self, level: str) -> str:
        return self.strings["sharing_levels"].get(level, level)

    def series_label(self, sex: str | None, age: str | None, dis: str | None) -> str:
        """A readable label of one disaggregation (SEX, AGE, DISAGGREGATION codes)."""
        parts = []
        if sex and sex != "_T":
            parts.append(self.strings["sex_codes"].get(sex, sex))
        if age and age != "_T":
            parts.append(self.age(age))
        if dis and dis != "_T":
            parts.append(dis.replace("_", " ").lower())
        return ", ".join(parts) if parts else self("total")

    def age(self, code: str) -> str:
        match = re.fullmatch(r"Y(\d+)T(\d+)", code)
        if match:
            return self("age_label", lo=match.group(1), hi=match.group(2))
        match = re.fullmatch(r"Y_GE(\d+)", code)
        if match:
            return self("age_ge", n=match.group(1))
        match = re.fullmatch(r"Y_LT(\d+)", code)
        if match:
            return self("age_lt", n=match.group(1))
        return code

    # ---------------------------------------------------------------- numbers
    def number(self, value: Any, decimals: int | None = None) -> str:
        return format_number(value, self.lang, decimals)

    def value(self, value: Any, unit: str) -> str:
        """An indicator value under the site's precision rule for ``unit`` (dashboards.precision)."""
        from dashboards.precision import decimals, rounded

        number = rounded(value, unit)
        return "" if number is None else format_number(number, self.lang, decimals(float(number), unit))


def format_number(value: Any, lang: str, decimals: int | None = None) -> str:
    try:
        return _format_number(value, lang, decimals)
    except TypeError:  # unhashable
        return _format_number.__wrapped__(value, lang, decimals)


@lru_cache(maxsize=200_000)
def _format_number(value: Any, lang: str, decimals: int | None = None) -> str:
    """A number in the conventions of ``lang`` (``12.345,6`` in es/pt, ``12,345.6`` in en).

    ``decimals`` None: up to two decimals for values under 1,000, none above, at most
    four significant decimals for small values. Missing values give ``""``."""
    number = _as_number(value)
    if isinstance(number, str):
        return number
    if decimals is None:
        magnitude = abs(number)
        if magnitude >= 1000 or number.is_integer():
            decimals = 0
        elif magnitude >= 1:
            decimals = 2
        else:
            decimals = 4
        pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
    else:
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(number, format=pattern, locale=BABEL_LOCALES[lang])


def _as_number(value: Any) -> float | str:
    """``value`` as a float; ``""`` when missing (None, NaN); its text when it is not a number."""
    if value is None:
        return ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return "" if math.isnan(number) else number


def format_date(value: Any, lang: str) -> str:
    """A date in the words of ``lang`` (``2 de diciembre de 2026``, ``December 2, 2026``)."""
    from babel.dates import format_date as babel_format_date

    return babel_format_date(value, format="long", locale=BABEL_LOCALES[lang])


def format_percent(value: Any, lang: str) -> str:
    number = _as_number(value)
    return number if isinstance(number, str) else format_number(number * 100, lang, 1) + " %"
