"""The code lists of the quarterly reports (``sources/codelists/*.yaml``), with es/en/pt labels.

A value typed or picked in a workbook is accepted when it is a code, or a label in any of
the three languages, or (for numbered lists: goals, capabilities) the number written
with a prefix such as "Objetivo 3", "Goal 3", "3 — <label>" or "3. <label>". Comparison
ignores case, accents and repeated spaces. Anything else is not accepted (no fuzzy
matching): the row goes to quarantine with the value quoted.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sources.catalogue import LANGUAGES, Translated

CODELISTS_DIR = Path(__file__).resolve().parents[1] / "codelists"


class CodeListError(Exception):
    def __init__(self, path: Path, problem: str):
        super().__init__(f"{path.name}: {problem}")


class _CodeModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str = Field(min_length=1)
    label: Translated
    theme: str | None = None


def normalise(value: object) -> str:
    """Lower case, no accents, dashes unified, single spaces: for comparing labels."""
    text = unicodedata.normalize("NFKD", str(value))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)
    return re.sub(r"\s+", " ", text).strip().casefold()


_NUMBER_PREFIX = re.compile(
    r"^(?:objetivo|goal|meta|capacidad|capacidade|capability|n[.º°o]?|#)?\s*(\d{1,2})(?:\s*[-.:)]\s*.*|\s*)$"
)


@dataclass(eq=False)
class CodeList:
    """One code list: ordered codes with their labels."""

    name: str
    title: Translated
    labels: dict[str, Translated]
    numbered: bool = False
    extra: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def codes(self) -> list[str]:
        return list(self.labels)

    def label(self, code: str, lang: str = "es") -> str:
        return self.labels[code].get(lang)

    def display(self, code: str, lang: str = "es") -> str:
        """The text shown in a dropdown: "3 — <label>" for numbered lists, else the label."""
        text = self.label(code, lang)
        return f"{code} — {text}" if self.numbered else text

    def displays(self, lang: str = "es") -> list[str]:
        return [self.display(code, lang) for code in self.codes]

    def _table(self) -> dict[str, str]:
        cached = self.__dict__.get("_lookup")
        if cached is None:
            cached = {}
            for code in self.codes:
                keys = {normalise(code)}
                for lang in LANGUAGES:
                    keys |= {normalise(self.label(code, lang)), normalise(self.display(code, lang))}
                for key in keys:
                    if cached.get(key, code) != code:  # one text must never mean two codes
                        raise ValueError(
                            f"code list {self.name}: '{key}' is a label of both '{cached[key]}' and '{code}'"
                        )
                    cached[key] = code
            self.__dict__["_lookup"] = cached
        return cached

    def lookup(self, value: object) -> str | None:
        """The code for a code, a label in es/en/pt or a dropdown text; None if unknown."""
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        key = normalise(value)
        if not key:
            return None
        table = self._table()
        if key in table:
            return table[key]
        if self.numbered:
            match = _NUMBER_PREFIX.match(key)
            if match and match[1].lstrip("0") in self.labels:
                number = match[1].lstrip("0")
                rest = key[match.end(1) :].strip(" -.:)")
                # "3 — <label>": the label, when given, must be this code's label
                if not rest or rest in {normalise(self.label(number, lang)) for lang in LANGUAGES}:
                    return number
        return None


def _translated(path: Path, where: str, data: object) -> Translated:
    try:
        return Translated.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise CodeListError(path, f"{where}.{'.'.join(map(str, err['loc']))}: {err['msg']}") from None


def _codes(path: Path, where: str, items: object) -> tuple[dict[str, Translated], dict[str, dict[str, str]]]:
    if not isinstance(items, list) or not items:
        raise CodeListError(path, f"{where}: expected a non-empty list of codes")
    labels: dict[str, Translated] = {}
    extra: dict[str, dict[str, str]] = {}
    for i, item in enumerate(items):
        try:
            model = _CodeModel.model_validate(item)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise CodeListError(path, f"{where}[{i}].{'.'.join(map(str, err['loc']))}: {err['msg']}") from None
        if model.code in labels:
            raise CodeListError(path, f"{where}: code '{model.code}' is listed twice")
        labels[model.code] = model.label
        if model.theme:
            extra[model.code] = {"theme": model.theme}
    return labels, extra


@lru_cache(maxsize=32)
def load_codelist(name: str, directory: Path = CODELISTS_DIR) -> CodeList:
    """A code list by name: a file ``<name>.yaml``, or a sub-list of tracker_statuses.yaml."""
    path = directory / f"{name}.yaml"
    if not path.exists():
        statuses = yaml.safe_load((directory / "tracker_statuses.yaml").read_text(encoding="utf-8"))
        if name not in statuses.get("lists", {}):
            raise KeyError(f"no code list '{name}' in {directory}")
        body = statuses["lists"][name]
        labels, extra = _codes(directory / "tracker_statuses.yaml", f"lists.{name}.codes", body.get("codes"))
        return CodeList(name, _translated(path, "title", body.get("title")), labels)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise CodeListError(path, "expected a mapping with 'codelist', 'title' and 'codes'")
    labels, extra = _codes(path, "codes", data.get("codes"))
    numbered = all(code.isdigit() for code in labels)
    if name == "weprotect_capabilities":
        themes, _ = _codes(path, "themes", data.get("themes"))
        for code, info in extra.items():
            if info.get("theme") not in themes:
                raise CodeListError(path, f"capability {code}: unknown theme '{info.get('theme')}'")
        if len(labels) != 21 or set(labels) != {str(n) for n in range(1, 22)}:
            raise CodeListError(path, "the framework has exactly 21 numbered capabilities, 1-21")
    return CodeList(name, _translated(path, "title", data.get("title")), labels, numbered, extra)


@lru_cache(maxsize=1)
def weprotect_themes(directory: Path = CODELISTS_DIR) -> dict[str, Translated]:
    path = directory / "weprotect_capabilities.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    themes, _ = _codes(path, "themes", data.get("themes"))
    return themes


def working_groups() -> CodeList:
    return load_codelist("working_groups")


#: Every code list the workbook uses, by the key the template and intake use.
WORKBOOK_LISTS = {
    "goal": "policy_goals",
    "status": "activity_status",
    "scope": "activity_scope",
    "policy_type": "policy_type",
    "capability": "weprotect_capabilities",
    "capability_status": "capability_status",
    "ncmec_position": "ncmec_policy_positions",
    "stage": "legislative_stage",
    "alignment": "legislative_alignment",
}


def workbook_lists() -> dict[str, CodeList]:
    return {key: load_codelist(name) for key, name in WORKBOOK_LISTS.items()}
