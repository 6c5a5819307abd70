"""The personal-data guard on the free text of quarterly reports.

The observatory holds aggregated information only. A text cell of a working group's
report (an activity's description, a legislative advance's instrument or source ...)
is scanned for things that identify or contact a person, or point to a case or to
material:

``email``
    ``persona@ejemplo.invalid``, also written ``persona [at] ejemplo.org`` / ``(arroba)``.
``url``
    ``https://...``, ``www....`` and bare domain names with a common top-level domain
    (``ejemplo.org.br/pagina``). A legislative advance names its official publication
    in words (``Diário Oficial da União, 15/01/2024``), never a link.
``phone``
    Spanish, Latin American and Brazilian formats: ``+55 11 91234-5678``,
    ``(11) 91234-5678``, ``91234-5678``, ``+52 55 1234 5678``, ``+54 9 11 1234-5678``,
    ``+34 612 34 56 78``, ``612 345 678``, ``0800 123 4567``, unformatted runs of 9-13
    digits (``11912345678``).
``national_id``
    CPF ``123.456.789-09``, CURP ``GODE561231HDFRRN09``, Chilean RUT ``12.345.678-5``
    / ``12345678-K``, Spanish DNI/NIE ``12345678Z`` / ``X1234567L``, and any number after
    an identity-document word (DNI, CPF, RG, CI, cédula, documento, pasaporte ...).
``case_number``
    Brazil's unified court number ``0001234-56.2024.8.26.0100``, and numbers after a
    case word: ``expediente 123/2024``, ``processo nº 0001234``, ``causa N° 45/2023``,
    ``carpeta de investigación 12/2025``, ``boletim de ocorrência 998/2024`` ...

Not flagged (legislative advances and aggregated figures need them): years
(``2024``, ``2025-2026``), dates (``12/03/2026``, ``2026-03-12``), goals (``Objetivo 3``),
counts with thousands separators (``2.500 personas``, ``12.500.000``), money, and law or
bill numbers (``Ley 27.590``, ``Lei 14.811/2024``, ``Decreto 1.234/2025``,
``PL 2.628/2022``, ``Boletín 15.869-07``).

:func:`find_personal_data` returns the kind and the position of each finding, never the
matched text: callers store and log the kind and the position only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = ("email", "url", "phone", "national_id", "case_number")


@dataclass(frozen=True, order=True)
class Finding:
    """A span of a text that looks like personal data: kind and 0-based [start, end)."""

    start: int
    end: int
    kind: str

    def describe(self) -> str:
        """Language-neutral description, e.g. ``phone@13-28`` (1-based, inclusive)."""
        return f"{self.kind}@{self.start + 1}-{self.end}"


_I = re.IGNORECASE

_EMAIL = re.compile(
    r"[A-Za-z0-9._%+\-]+\s*(?:@|\[\s*(?:at|arroba)\s*\]|\(\s*(?:at|arroba)\s*\))\s*"
    r"[A-Za-z0-9\-]+(?:\s*(?:\.|\[\s*(?:dot|punto|ponto)\s*\])\s*[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}",
    _I,
)

_TLDS = (
    "com|org|net|gov|gob|edu|info|io|int|onion|br|mx|ar|co|cl|pe|uy|py|bo|ec|ve|cr|pa|gt|"
    "hn|sv|ni|do|cu|jm|tt|ht|es|pt|us|uk|eu|me|ly|app|online|site"
)
_URL = re.compile(
    r"\b(?:(?:https?|ftp)://|www\.)[^\s<>\"']+"
    rf"|\b[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*\.(?:{_TLDS})\b(?:/[^\s<>\"']*)?",
    _I,
)

_CNJ = re.compile(r"\b\d{7}-\d{2}\.\d{4}\.\d\.\d{2}\.\d{4}\b")
_CPF = re.compile(r"\b\d{3}\.\d{3}\.\d{3}[-/.]\d{2}\b")
_CURP = re.compile(
    r"\b[A-Z][AEIOUX][A-Z]{2}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])[HMX]"
    r"[A-Z]{2}[B-DF-HJ-NP-TV-Z]{3}[A-Z0-9]\d\b",
    _I,
)
_RUT = re.compile(r"\b\d{1,2}\.\d{3}\.\d{3}-[\dkK]\b|\b\d{7,8}-[\dkK]\b")
_DNI_ES = re.compile(r"\b\d{8}-?[A-HJ-NP-TV-Z]\b|\b[XYZ]-?\d{7}-?[A-Z]\b")

_ID_WORDS = (
    r"DNI|D\.N\.I\.?|CPF|RG|CURP|RUT|RUN|NIE|NIF|CI|C\.I\.|CC|C\.C\.|c[ée]dula(?:\s+de\s+identidad)?|"
    r"documento(?:\s+(?:nacional\s+)?de\s+identidad(?:e)?)?|pasaporte|passaporte|carteira\s+de\s+identidade|"
    r"IFE"
)
_NUMBER_MARK = r"(?:n\.?\s?[º°o]\.?|n[úu]m(?:ero)?\.?|nro\.?|no\.|#)?"
_ID_AFTER_WORD = re.compile(
    rf"\b(?:{_ID_WORDS})\b\s*[:\-]?\s*{_NUMBER_MARK}\s*[:\-]?\s*(\d[\d.\s\-]{{4,16}}[\dkKA-Za-z]?)", _I
)

# Case words. Strong ones flag any number of 3+ digits after them; weak ones (common words
# such as "caso" or "proceso") only a number with a number mark or a separator in it.
_STRONG_CASE = (
    r"expediente|exp\.|causa|carpeta(?:\s+de\s+investigaci[óo]n)?|processo|autos|sum[áa]rio|legajo|"
    r"inqu[ée]rito(?:\s+policial)?|boletim\s+de\s+ocorr[êe]ncia|B\.O\.|radicado|averiguaci[óo]n\s+previa|"
    r"RIT|RUC|NUC|NUNC|IPL"
)
_WEAK_CASE = r"rol|caso|proceso|procedimiento|procedimento|denuncia|den[úu]ncia|folio|ocorr[êe]ncia|ticket"
_CASE_STRONG = re.compile(
    rf"\b(?:{_STRONG_CASE})(?![\w])\s*[:\-]?\s*{_NUMBER_MARK}\s*[:\-]?\s*(\d[\d./\-]{{2,}}\d|\d{{3,}})", _I
)
_CASE_WEAK = re.compile(
    rf"\b(?:{_WEAK_CASE})\b\s*[:\-]?\s*(?:(?:n\.?\s?[º°o]\.?|n[úu]m(?:ero)?\.?|nro\.?|no\.|#)\s*[:\-]?\s*(\d[\d./\-]*\d|\d+)"
    rf"|(\d+[./\-]\d[\d./\-]*))",
    _I,
)

# Phone candidates: digit runs with the separators phones are written with.
_PHONE_CANDIDATE = re.compile(
    r"(?<![\w.,/])(\+\s?\d{1,3}[\s.\-]?)?(\(\d{1,4}\)\s?)?\d[\d\s.\-]{5,18}\d(?![\w/]|[.,]\d)"
)
_YEAR = r"(?:19|20)\d{2}"
_DATE_LIKE = re.compile(rf"^(?:\d{{1,2}}[./\-]\d{{1,2}}[./\-]{_YEAR}|{_YEAR}[./\-]\d{{1,2}}[./\-]\d{{1,2}})$")
_YEARS_ONLY = re.compile(rf"^{_YEAR}(?:\s*[\-–/ ]\s*{_YEAR})*$")
_THOUSANDS = re.compile(r"^\d{1,3}(?:\.\d{3})+(?:,\d+)?$|^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


def _phone_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _PHONE_CANDIDATE.finditer(text):
        candidate = match.group(0).strip()
        start = match.start() + (len(match.group(0)) - len(match.group(0).lstrip()))
        end = start + len(candidate)
        digits = sum(ch.isdigit() for ch in candidate)
        if not 8 <= digits <= 15:
            continue
        international = candidate.startswith("+") or candidate.startswith("(")
        if not international:
            if _DATE_LIKE.match(candidate) or _YEARS_ONLY.match(candidate) or _THOUSANDS.match(candidate):
                continue
            # two dates or numbers in a row ("2024 2025 2026") are not a phone either
            groups = re.split(r"[\s.\-]+", candidate)
            if all(re.fullmatch(_YEAR, g) for g in groups):
                continue
            if len(groups) == 1 and digits < 9:
                continue  # an 8-digit number alone: a count or a date, unless after an ID word
        spans.append((start, end))
    return spans


def find_personal_data(text: object) -> list[Finding]:
    """The spans of ``text`` that look like personal data (kind and position only)."""
    if text is None:
        return []
    text = str(text)
    if not text.strip():
        return []
    found: list[Finding] = []

    def add(kind: str, start: int, end: int) -> None:
        for other in found:
            if start < other.end and other.start < end:  # overlaps a stronger finding
                return
        found.append(Finding(start, end, kind))

    for m in _EMAIL.finditer(text):
        add("email", m.start(), m.end())
    for m in _URL.finditer(text):
        add("url", m.start(), m.end())
    for m in _CNJ.finditer(text):
        add("case_number", m.start(), m.end())
    for pattern in (_CPF, _CURP, _RUT, _DNI_ES):
        for m in pattern.finditer(text):
            add("national_id", m.start(), m.end())
    for m in _ID_AFTER_WORD.finditer(text):
        add("national_id", m.start(1), m.start(1) + len(m.group(1).rstrip(" .-")))
    for m in _CASE_STRONG.finditer(text):
        add("case_number", m.start(1), m.end(1))
    for m in _CASE_WEAK.finditer(text):
        group = 1 if m.group(1) else 2
        add("case_number", m.start(group), m.end(group))
    for start, end in _phone_spans(text):
        add("phone", start, end)
    return sorted(found)


def describe(findings: list[Finding]) -> str:
    """Language-neutral summary for the quarantine VALUE, e.g. ``phone@13-28;email@40-58``."""
    return ";".join(f.describe() for f in findings)


def redact(text: str, findings: list[Finding]) -> str:
    """The text with every finding replaced by ``[<kind>]`` (for logs, never the original)."""
    out, last = [], 0
    for f in sorted(findings):
        out.append(text[last : f.start])
        out.append(f"[{f.kind}]")
        last = f.end
    out.append(text[last:])
    return "".join(out)
