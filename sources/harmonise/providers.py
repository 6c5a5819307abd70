"""Electronic service providers (ESPs): the one provider-name resolver of the observatory.

NCMEC's yearly "CyberTipline Reports by Electronic Service Providers (ESP)" print each
company's name as it reported that year: "Apple Inc" (2019), "Apple" (2020-2021), "Apple
Inc" again (2022); "Discord Inc." then "Discord"; "Twitter, Inc." then "Twitter" then
"X Corp". A provider's series across years needs one name, so every printed name is mapped
to a **canonical name** through the maintained table ``sources/reference/provider_aliases.csv``
(``alias,provider,note``), the way area names are mapped to codes
(:mod:`sources.harmonise.areas`).

Resolution
----------
Keys are normalised with :func:`normalise_provider_key` (Unicode NFKC, typographic quotes and
apostrophes made plain, case-folded, whitespace collapsed, no space around ``/``, a trailing
footnote marker ``*`` dropped: NCMEC marks "Report totals for related platforms and companies
have been combined"). Matching is then exact: every ``alias`` and every canonical ``provider``
of the table is a key. There is no fuzzy matching, ever: "Amazon", "Amazon Photos" and
"Amazon Games" are three providers because NCMEC lists them as three.

A name that does not resolve gives ``None``; the parser then sends its row to quarantine with
the printed name quoted and what to do (add a row to the table), exactly as an unknown area
name is quarantined (``area_unresolved``). Its figure still counts in the stated-total check
(quarantined rows are summed with the staged ones), so the year still reconciles.

What the table may not do
-------------------------
* one normalised key leading to two canonical names raises :class:`ProviderTableError`;
* a canonical name may not contain ``|`` or ``=`` (it becomes ``ESP=<name>`` in the
  ``DISAGGREGATION`` key, ``Key=Value|Key=Value``), nor be empty.

What a canonical name means: the company (or service) as NCMEC names it, merged across
years only where the printed names are spellings of one entity (legal suffixes, punctuation,
"d/b/a" forms, a rename of the same service such as Twitter -> X Corp is noted but kept apart).
A name NCMEC marks with ``*`` combines related platforms: its scope may differ from the same
name without the mark in another year (2019-2020 "Facebook*" includes Instagram and
WhatsApp, listed apart from 2021); the note column says so.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROVIDER_ALIASES_CSV = Path(__file__).resolve().parents[1] / "reference" / "provider_aliases.csv"

_QUOTES = dict.fromkeys(map(ord, "\u2019\u2018\u201b\u02bc\u02bb\u00b4\u0060\u2032"), "'") | dict.fromkeys(
    map(ord, "\u201c\u201d\u201e\u201f\u00ab\u00bb"), '"'
)
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
_SPACES = re.compile(r"\s+")
_SLASH = re.compile(r"\s*/\s*")
_TRAILING_STARS = re.compile(r"\s*\*+$")


class ProviderTableError(ValueError):
    """The provider alias table is malformed (missing column, empty name, one key -> two names)."""


def normalise_provider_key(raw: object) -> str:
    """A printed provider name as a lookup key (exact matching after this); "" for empty."""
    if raw is None:
        return ""
    text = unicodedata.normalize("NFKC", str(raw)).translate(_QUOTES).translate(_DASHES)
    text = _SPACES.sub(" ", text).strip()
    text = _TRAILING_STARS.sub("", text)
    text = _SLASH.sub("/", text)
    return text.casefold()


def clean_printed(raw: str) -> str:
    """A printed name for display and messages: plain quotes, one space, no footnote marker."""
    text = unicodedata.normalize("NFKC", raw).translate(_QUOTES)
    return _TRAILING_STARS.sub("", _SPACES.sub(" ", text).strip())


@dataclass(frozen=True)
class ProviderResolver:
    """Printed provider names -> canonical names, from the alias table."""

    lookup: dict[str, str]
    providers: frozenset[str]
    origin: str

    @classmethod
    def from_csv(cls, path: Path | str = PROVIDER_ALIASES_CSV) -> "ProviderResolver":
        path = Path(path)
        try:
            with path.open(encoding="utf-8", newline="") as fh:
                reader = csv.DictReader(fh)
                missing = {"alias", "provider", "note"} - set(reader.fieldnames or [])
                if missing:
                    raise ProviderTableError(f"{path.name}: missing columns {sorted(missing)}")
                rows = [(i, r["alias"] or "", r["provider"] or "") for i, r in enumerate(reader, start=2)]
        except OSError as exc:
            raise ProviderTableError(f"{path.name}: cannot be read ({exc.strerror})") from None
        return cls.from_rows(rows, origin=path.name)

    @classmethod
    def from_rows(cls, rows: list[tuple[int, str, str]], origin: str = "provider table") -> "ProviderResolver":
        """``rows``: (line number, alias, canonical provider)."""
        lookup: dict[str, str] = {}
        where: dict[str, int] = {}
        problems: list[str] = []
        for line, alias, provider in rows:
            provider = provider.strip()
            if not provider or not alias.strip():
                problems.append(f"line {line}: alias and provider must both be given")
                continue
            if "|" in provider or "=" in provider:
                problems.append(f"line {line}: provider {provider!r} contains '|' or '=' (not allowed in a breakdown)")
                continue
            for key in {normalise_provider_key(alias), normalise_provider_key(provider)}:
                previous = lookup.get(key)
                if previous is not None and previous != provider:
                    problems.append(
                        f"line {line}: {alias!r} -> {provider!r}, but line {where[key]} gives {previous!r} for the same key"
                    )
                else:
                    lookup[key], where[key] = provider, line
        if problems:
            raise ProviderTableError(f"{origin}: " + "; ".join(problems))
        return cls(lookup=lookup, providers=frozenset(lookup.values()), origin=origin)

    def resolve(self, raw: object) -> str | None:
        """The canonical name for a printed name, or None when the table does not know it."""
        return self.lookup.get(normalise_provider_key(raw))


@lru_cache(maxsize=4)
def default_resolver(path: Path = PROVIDER_ALIASES_CSV) -> ProviderResolver:
    """The shared resolver built from the maintained table (or another table, in tests)."""
    return ProviderResolver.from_csv(path)
