"""The source catalogue: one YAML file per source in ``sources/catalogue/``.

The Secretariat adds a source by adding a file; no code changes unless the source needs
a parser for a genuinely new format. Every entry is checked on load, and an invalid
entry fails with a :class:`CatalogueError` naming the file and the field.

The measures code list (``sources/codelists/measures.yaml``) lives beside it: every
measure a source declares must be in it.
"""

from __future__ import annotations

import hashlib
import os
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

SOURCES_DIR = Path(__file__).resolve().parent
CATALOGUE_DIR = SOURCES_DIR / "catalogue"
MEASURES_FILE = SOURCES_DIR / "codelists" / "measures.yaml"
BUNDLED_DATA_DIR = SOURCES_DIR / "data"

LANGUAGES = ("es", "en", "pt")


class CatalogueError(Exception):
    """An invalid catalogue or code-list file, with the file and field named."""

    def __init__(self, path: Path, field: str, problem: str):
        self.path, self.field, self.problem = path, field, problem
        super().__init__(f"{path.name}: field '{field}': {problem}")


class Sharing(str, Enum):
    """Traffic Light Protocol levels, from least to most restrictive."""

    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    RED = "RED"

    @property
    def rank(self) -> int:
        return list(Sharing).index(self)


class Translated(BaseModel):
    """A text a user reads, in the three languages of the observatory."""

    model_config = ConfigDict(extra="forbid")
    es: str = Field(min_length=1)
    en: str = Field(min_length=1)
    pt: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return getattr(self, lang)


class SourceEntry(BaseModel):
    """One catalogue entry (one ``sources/catalogue/<id>.yaml`` file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: Translated
    description: Translated
    publisher: str = Field(min_length=1)
    publisher_type: Literal["ngo", "government", "hotline", "international_body", "national_statistics_office"]
    licence: str = Field(min_length=1)
    url: str
    retrieved_from: str = ""
    format: Literal["pdf", "ddf_csv", "opensdg_csv", "generic_table", "wg_workbook", "xlsx"]
    parser: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    parser_options: dict[str, Any] = Field(default_factory=dict)
    update_frequency: Literal["annual", "quarterly", "monthly", "irregular"]
    sharing: Sharing
    languages: list[Literal["es", "en", "pt", "fr"]] = Field(min_length=1)
    synthetic: bool = False
    # manual: `clac approve` before public release; publisher_release: the publisher has
    # already released these figures publicly, so ingestion is approval
    approval: Literal["manual", "publisher_release"] = "manual"
    supersede_by: Literal["period", "filename"] = "period"
    measures: list[str] = Field(min_length=1)
    bundled_files: list[str] = Field(default_factory=list)

    @field_validator("parser")
    @classmethod
    def _parser_exists(cls, value: str) -> str:
        module = SOURCES_DIR / "parsers" / f"{value}.py"
        if not module.exists():
            raise ValueError(f"no parser module sources/parsers/{value}.py")
        return value

    def bundled_paths(self, data_dir: Path = BUNDLED_DATA_DIR) -> list[Path]:
        """The bundled files this source ships with, sorted, resolved against ``data_dir``."""
        paths: set[Path] = set()
        for pattern in self.bundled_files:
            paths.update(p for p in data_dir.glob(pattern) if p.is_file())
        return sorted(paths)


class MeasureEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["count", "percent", "rate", "duration"]
    unit: str
    sensitive: bool = False
    sdg_indicator: str | None = None
    name: Translated


#: PyYAML's safe loader in C (libyaml, in PyYAML's wheels) where it is there: the same documents,
#: several times faster (a build reads the catalogues a few hundred times); else the Python one.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path, error: type[Exception] = CatalogueError) -> Any:
    """A YAML file's content; invalid YAML raises ``error(path, "(file)", problem)`` with the line."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "somewhere"
        raise error(path, "(file)", f"is not valid YAML ({where}): {exc}") from None


def _raise_first(path: Path, exc: ValidationError) -> None:
    err = exc.errors()[0]
    field = ".".join(str(part) for part in err["loc"]) or "(file)"
    raise CatalogueError(path, field, err["msg"]) from None


@lru_cache(maxsize=4)
def load_measures(path: Path = MEASURES_FILE) -> dict[str, MeasureEntry]:
    """The measures code list, validated."""
    data = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("measures"), dict):
        raise CatalogueError(path, "measures", "expected a mapping 'measures:' of measure codes")
    measures: dict[str, MeasureEntry] = {}
    for code, body in data["measures"].items():
        try:
            measures[code] = MeasureEntry.model_validate(body)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err["loc"])
            raise CatalogueError(path, f"measures.{code}.{loc}", err["msg"]) from None
    return measures


def load_entry(path: Path, measures: dict[str, MeasureEntry] | None = None) -> SourceEntry:
    """Load and check one catalogue file."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise CatalogueError(path, "(file)", "expected a mapping of fields")
    try:
        entry = SourceEntry.model_validate(data)
    except ValidationError as exc:
        _raise_first(path, exc)
    if entry.id != path.stem:
        raise CatalogueError(path, "id", f"'{entry.id}' must equal the file name '{path.stem}'")
    known = measures if measures is not None else load_measures()
    for code in entry.measures:
        if code not in known:
            raise CatalogueError(path, "measures", f"'{code}' is not in the measures code list {MEASURES_FILE.name}")
    return entry


#: A folder of catalogue files kept outside the repository (sources whose very existence is
#: not public, typically RED ones); its entries join the repository's catalogue.
PRIVATE_CATALOGUE_ENV = "CLAC_PRIVATE_CATALOGUE"


def catalogue_dirs() -> list[Path]:
    """The repository's catalogue folder, then the private one (``CLAC_PRIVATE_CATALOGUE``) if set."""
    directories = [CATALOGUE_DIR]
    private = os.environ.get(PRIVATE_CATALOGUE_ENV)
    if private:
        folder = Path(private)
        if not folder.is_dir():
            raise CatalogueError(
                folder,
                "(folder)",
                f"{PRIVATE_CATALOGUE_ENV} points at a folder that does not exist; create it or unset the variable",
            )
        directories.append(folder)
    return directories


def _catalogue_files(directory: Path | None) -> list[Path]:
    directories = [directory] if directory is not None else catalogue_dirs()
    return [path for folder in directories for path in sorted(folder.glob("*.yaml"))]


def load_catalogue(directory: Path | None = None) -> dict[str, SourceEntry]:
    """All catalogue entries by id, sorted by id (default: the repository's and the private folder)."""
    measures = load_measures()
    found: dict[str, Path] = {}
    entries = []
    for path in _catalogue_files(directory):
        entry = load_entry(path, measures)
        if entry.id in found:
            raise CatalogueError(path, "id", f"'{entry.id}' is already defined in {found[entry.id]}")
        found[entry.id] = path
        entries.append(entry)
    return {entry.id: entry for entry in sorted(entries, key=lambda e: e.id)}


#: Formats whose files hold observations (the observations mart); other formats, such as
#: the working groups' quarterly workbooks, have staging tables and assets of their own.
OBSERVATION_FORMATS = frozenset({"pdf", "ddf_csv", "opensdg_csv", "generic_table", "xlsx"})


def observation_sources(catalogue: dict[str, SourceEntry]) -> dict[str, SourceEntry]:
    """The catalogue entries whose files feed the observations mart."""
    return {sid: e for sid, e in catalogue.items() if e.format in OBSERVATION_FORMATS}


def catalogue_version(source_id: str, directory: Path | None = None) -> str:
    """Short hash of the catalogue file as it is now, recorded with every received file."""
    path = next(p for p in _catalogue_files(directory) if p.stem == source_id)
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def most_restrictive(levels: list[str]) -> str:
    """The most restrictive TLP level of several (derived figures inherit it)."""
    if not levels:
        return Sharing.CLEAR.value
    return max((Sharing(level) for level in levels), key=lambda s: s.rank).value
