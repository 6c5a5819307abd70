"""Messages a person reads, in Spanish (default), English or Portuguese.

* :func:`file_problem`: a whole-file problem (:class:`~sources.parsers.base.SourceFileError`)
  from its ``code`` and ``params`` and the templates in ``messages.yaml``; the parser's
  English text when it has no code (or no template).
* :func:`rule_message`: a row rule's message (quarantine or warning) from the rule name
  and the row's ``DETAIL`` (value, column, detail code and parameters), with the templates
  of ``rules.yaml``. The warehouse keeps the English text in ``MESSAGE`` and the DETAIL,
  so any message can be rendered again in any language.
* :func:`location_text`: "hoja 'datos', fila 5", "page 2, line 7", "linha 12".
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from sources.validation.row_rules import LANGUAGES, Rules, load_rules

MESSAGES_FILE = Path(__file__).resolve().parent / "messages.yaml"
DEFAULT_LANG = "es"


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


@lru_cache(maxsize=2)
def load_messages(path: Path = MESSAGES_FILE) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for code, body in data["file_problems"].items():
        for part in ("problem", "hint"):
            missing = set(LANGUAGES) - set(body.get(part, {}))
            if missing:
                raise ValueError(f"{path.name}: file_problems.{code}.{part} lacks {sorted(missing)}")
    for name, texts in {**data["locations"], **data["labels"]}.items():
        missing = set(LANGUAGES) - set(texts)
        if missing:
            raise ValueError(f"{path.name}: '{name}' lacks {sorted(missing)}")
    data["_parse_errors"] = [(re.compile(p["pattern"], re.S), p) for p in data.get("parse_errors", [])]
    return data


def check_lang(lang: str) -> str:
    lang = (lang or DEFAULT_LANG).lower()
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language '{lang}': use one of {', '.join(LANGUAGES)}")
    return lang


def label(name: str, lang: str, **params: Any) -> str:
    return load_messages()["labels"][name][lang].format_map(_Blank(params))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.6g}"
    return "" if value is None else str(value)


# --------------------------------------------------------------------------- locations


def location_text(location: dict[str, Any] | None, lang: str) -> str:
    """A place in a file (keys page, line, sheet, row, cell) in ``lang``."""
    if not location:
        return ""
    words = load_messages()["locations"]
    parts = [str(location["file"])] if location.get("file") else []
    if location.get("page") is not None:
        parts.append(words["page"][lang].format(n=location["page"]))
        if location.get("line") is not None:
            parts.append(words["line"][lang].format(n=location["line"]))
        return ", ".join(parts)
    if location.get("sheet"):
        parts.append(words["sheet"][lang].format(name=location["sheet"]))
    if location.get("row") is not None:
        parts.append(words["row"][lang].format(n=location["row"]))
    if location.get("cell"):
        parts.append(words["cell"][lang].format(n=location["cell"]))
    return ", ".join(parts)


_WHERE_PART = re.compile(r"^(?:(page|line|row|cell) (\S+)|sheet '(.*)'|sheet (.*))$")


def localise_where(text: str, lang: str) -> str:
    """Translate an English location such as "sheet 'datos', row 3" or "page 1"."""
    if not text or lang == "en":
        return text
    location: dict[str, Any] = {}
    for part in (p.strip() for p in text.split(",")):
        match = _WHERE_PART.match(part)
        if not match:
            return text  # unknown shape: keep it as written
        kind, number, quoted, bare = match.groups()
        if kind:
            location[kind] = number
        else:
            location["sheet"] = quoted if quoted is not None else bare
    return location_text(location, lang)


def row_location(row: Any) -> dict[str, Any]:
    """Location dict from a row with LOC_PAGE, LOC_LINE, LOC_SHEET, LOC_ROW."""
    out: dict[str, Any] = {}
    for col, key in (("LOC_PAGE", "page"), ("LOC_LINE", "line"), ("LOC_ROW", "row")):
        value = row.get(col) if hasattr(row, "get") else row[col]
        if (
            value is not None
            and not (isinstance(value, float) and value != value)
            and str(value) not in ("<NA>", "nan", "")
        ):
            try:
                out[key] = int(value)
            except (TypeError, ValueError):
                pass
    sheet = row.get("LOC_SHEET") if hasattr(row, "get") else row["LOC_SHEET"]
    if sheet and str(sheet) not in ("nan", "<NA>"):
        out["sheet"] = str(sheet)
    return out


# --------------------------------------------------------------------------- file problems


def file_problem(exc: Any, lang: str = DEFAULT_LANG) -> str:
    """The message of a SourceFileError in ``lang`` (English text when it has no code)."""
    lang = check_lang(lang)
    code = getattr(exc, "code", "") or ""
    templates = load_messages()["file_problems"].get(code)
    if not templates or lang == "en":  # English: the parser's own, more specific text
        return exc.message()
    params = {k: _fmt(v) for k, v in (getattr(exc, "params", {}) or {}).items()}
    params.setdefault("file", exc.path.name)
    problem = templates["problem"][lang].format_map(_Blank(params))
    hint = templates["hint"][lang].format_map(_Blank(params))
    head = exc.path.name
    if exc.where:
        head += ", " + localise_where(exc.where, lang)
    what = load_messages()["locations"]["what_to_do"][lang]
    return f"{head}: {problem} {what} {hint}"


def problem_text(code: str, lang: str, **params: Any) -> tuple[str, str]:
    """(problem, hint) for a file-problem code, e.g. ``unknown_source``."""
    templates = load_messages()["file_problems"][code]
    p = _Blank({k: _fmt(v) for k, v in params.items()})
    return templates["problem"][lang].format_map(p), templates["hint"][lang].format_map(p)


# --------------------------------------------------------------------------- row rules


def translate_parse_error(text: str, lang: str) -> str:
    """A parser's English reason, part by part, in ``lang`` where a pattern knows it."""
    if lang == "en" or not text:
        return text
    out = []
    rest = text
    while rest:
        for pattern, body in load_messages()["_parse_errors"]:
            match = pattern.match(rest)
            if match:
                out.append(body[lang].format_map(_Blank(match.groupdict())))
                rest = rest[match.end() :]
                break
        else:  # unknown reason: keep it as written, up to the next reason
            part, _, rest = rest.partition("; ")
            out.append(part)
            continue
        rest = rest[2:] if rest.startswith("; ") else rest.lstrip("; ")
    return "; ".join(out)


def _detail_dict(detail: Any) -> dict[str, Any]:
    if detail is None or (isinstance(detail, float) and detail != detail):
        return {}
    if isinstance(detail, str):
        try:
            detail = json.loads(detail)
        except ValueError:
            return {"detail": detail}
    return dict(detail) if isinstance(detail, dict) else {}


def rule_message(
    rule: str, detail: Any, lang: str = DEFAULT_LANG, *, fallback: str = "", rules: Rules | None = None
) -> str:
    """A rule's message in ``lang`` from the row's DETAIL (JSON text or dict)."""
    lang = check_lang(lang)
    rules = rules or load_rules()
    if rule not in rules.rules:
        return fallback
    info = _detail_dict(detail)
    if not info and fallback and lang == "en":
        return fallback
    params = {k: v for k, v in (info.get("params") or {}).items()}
    for key in list(params):
        if key == "location" or key.endswith("_location"):
            where_key = "where" if key == "location" else key[: -len("_location")] + "_where"
            params[where_key] = location_text(params[key], lang)
    params = {k: _fmt(v) for k, v in params.items()}
    text = info.get("detail", "")
    if info.get("detail_code"):
        text = rules.detail_text(rule, info["detail_code"], lang, **params)
    elif rule == "parse_error":
        text = translate_parse_error(text, lang)
    fields = {
        **params,
        "value": params.get("value", info.get("value", "")),
        "column": info.get("column", ""),
        "detail": text,
    }
    return rules.message(rule, lang, **fields)
