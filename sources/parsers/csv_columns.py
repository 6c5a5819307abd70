"""The records of a plain CSV text read column by column, by Arrow's CSV reader.

Python's ``csv`` module builds a list of strings per record; on a large file that is most of
the time a reader spends. In a text with no quote character and no lone carriage return,
a record is a line and a cell is what lies between two delimiters, so Arrow's reader (with
quoting switched off) gives the very cells ``csv.reader`` gives, as one array per column.
:func:`read_columns` reads such a text that way, or returns None when the text is not one of
them or reaches one of the reader's limits: the caller then reads it record by record, which
says where a limit is reached (:func:`sources.parsers.limits.read_records`).

An empty line is a record of empty cells here (``csv.reader`` gives an empty record): both
are blank rows to the parsers.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

#: Arrow's read block: large enough that a file within the size limit is a few blocks.
_BLOCK_BYTES = 1 << 24


def plain(text: str) -> bool:
    """Whether every record of ``text`` is one line with no quoting: no ``"``, no NUL and
    no carriage return outside a CR LF line end."""
    return '"' not in text and "\x00" not in text and text.count("\r") == text.count("\r\n")


def line_start(text: str, lines: int) -> int | None:
    """Where the text after its first ``lines`` lines starts (None: it has no more lines)."""
    start = 0
    for _ in range(lines):
        start = text.find("\n", start) + 1
        if start == 0:
            return None
    return start if start < len(text) else None


def read_columns(
    text: str, delimiter: str, limits: dict[str, Any], *, max_records: int, cells_before: int
) -> list[pa.Array] | None:
    """The cells of the plain CSV ``text`` (see :func:`plain`), one string array per column,
    every record with as many cells as the first. None when the records are not all as wide,
    or there are more than ``max_records``, or they reach a limit of ``limits`` (the ``rows``
    part of limits.yaml) on columns, on cells (``cells_before`` were read before ``text``) or
    on the characters of a cell."""
    parse = pacsv.ParseOptions(
        delimiter=delimiter,
        quote_char=False,
        double_quote=False,
        escape_char=False,
        newlines_in_values=False,
        ignore_empty_lines=False,
    )
    read = pacsv.ReadOptions(autogenerate_column_names=True, block_size=_BLOCK_BYTES)
    names = [f"f{i}" for i in range(int(limits["max_columns"]) + 1)]
    convert = pacsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()),
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
        null_values=[],
    )
    if not text.endswith("\n"):
        text += "\n"  # the last record ends at the end of the text; Arrow wants its line end
    try:
        table = pacsv.read_csv(pa.py_buffer(text.encode("utf-8")), read, parse, convert)
    except pa.ArrowInvalid:  # records of different widths, or none
        return None
    records, width = table.num_rows, table.num_columns
    if width > limits["max_columns"] or records > max_records or cells_before + records * width > limits["max_cells"]:
        return None
    columns = [column.combine_chunks() for column in table.columns]
    if any(_longest(column, pc.binary_length) > limits["max_cell_characters"] for column in columns):
        # a cell has more bytes than the limit has characters: count its characters
        if any(_longest(column, pc.utf8_length) > limits["max_cell_characters"] for column in columns):
            return None
    return columns


def _longest(column: pa.Array, length) -> int:
    return pc.max(length(column)).as_py() or 0


def distinct(column: pa.Array) -> tuple[list[str], Any]:
    """The distinct cells of a column, in order of first appearance, and each record's index
    among them (a NumPy array)."""
    encoded = pc.dictionary_encode(column)
    return encoded.dictionary.to_pylist(), encoded.indices.to_numpy(zero_copy_only=False)
