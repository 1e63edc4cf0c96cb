"""Client lists as CSV: reading a practice's upload row by row, and writing a list back out.

Reading never stops at the first problem: every row is either a ClientRow or a RowError with
its line number and a reason a person can act on, so the preview can list them all. Only a
file that is not CSV text at all gives a single file error.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from streams.company_numbers import InvalidCompanyNumber, normalise_company_number

MAX_ROWS = 50_000
MAX_REFERENCE = 100
MAX_NAME = 300

# Header names people use, compared after lower-casing and dropping all but letters and digits.
_ALIASES = {
    "company_number": {
        "companynumber",
        "companyno",
        "companynum",
        "number",
        "no",
        "crn",
        "registrationnumber",
        "companyregistrationnumber",
        "regno",
        "registeredno",
        "registerednumber",
        "chnumber",
        "companieshousenumber",
    },
    "client_reference": {
        "clientreference",
        "clientref",
        "reference",
        "ref",
        "clientcode",
        "code",
        "clientid",
        "yourreference",
        "internalreference",
    },
    "company_name": {"companyname", "name", "clientname", "company"},
}
_POSITIONAL = ["company_number", "client_reference", "company_name"]
# Spreadsheets run cells starting with these as formulas; export guards them with a quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ClientRow:
    line: int
    company_number: str
    client_reference: str = ""
    company_name: str = ""


@dataclass(frozen=True)
class RowError:
    line: int
    content: str
    reason: str


@dataclass
class ParsedCsv:
    rows: list[ClientRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    file_error: str = ""
    columns: list[str] = field(default_factory=list)


def _header_key(cell: str) -> str:
    return re.sub(r"[^a-z0-9]", "", cell.lower())


def _column_for(cell: str) -> str | None:
    key = _header_key(cell)
    for column, aliases in _ALIASES.items():
        if key in aliases:
            return column
    return None


def _decode(data: bytes) -> str:
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValueError(
            "This is a spreadsheet workbook, not CSV: in Excel choose File > Save As > CSV UTF-8"
        )
    not_text = "This is not a text file (it contains NUL bytes): upload a CSV file"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with its BOM: Excel's "Unicode Text"
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise ValueError("The file starts as UTF-16 text but is not: save it as CSV UTF-8") from None
        if "\x00" in text:
            raise ValueError(not_text)
        return text
    if b"\x00" in data:
        raise ValueError(not_text)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Windows saves plain "CSV" in Windows-1252.
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise ValueError("The file is neither UTF-8 nor Windows-1252 text: save it as CSV UTF-8") from None


_DELIMITERS = (",", ";", "\t")


def _delimiter(text: str) -> str:
    """The one of , ; and tab that splits the first row into a company number column; failing that,
    the most frequent in it. Frequency alone is fooled by a cell like "Smith; Jones; Co"."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in _DELIMITERS}
    candidates = sorted((d for d in counts if counts[d]), key=counts.get, reverse=True)
    for delimiter in candidates:
        cells = next(csv.reader([first], delimiter=delimiter), [])
        if cells and _is_company_number(cells[0]):
            column = 0
        else:
            column = (_positions_from_header(cells) or {}).get("company_number")
        # split by the wrong one, the cell would still hold the right one ("09876543\t;x" by ";")
        if column is not None and not any(d in cells[column] for d in _DELIMITERS):
            return delimiter
    return candidates[0] if candidates else ","


def _unguard(cell: str) -> str:
    cell = cell.strip()
    if cell.startswith("'") and cell[1:2] in _FORMULA_START:
        return cell[1:]
    return cell


def parse_client_csv(data: bytes, *, max_bytes: int) -> ParsedCsv:
    """Read an uploaded client list. Columns: company number (required), client reference,
    company name, found by header name or, without a header row, in that order."""
    result = ParsedCsv()
    if len(data) > max_bytes:
        result.file_error = f"The file is {len(data):,} bytes; the largest accepted is {max_bytes:,} bytes"
        return result
    try:
        text = _decode(data)
    except ValueError as exc:
        result.file_error = str(exc)
        return result
    # The csv module stops at a cell over 131,072 characters, and so would the whole import: such a
    # cell is one bad row (too long for any column). The size limit above bounds cells instead. The
    # setting is the process's, so it is only ever raised.
    if csv.field_size_limit() < max_bytes:
        csv.field_size_limit(max_bytes)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    positions: dict[str, int] | None = None
    seen: dict[str, int] = {}
    line = 1
    try:
        for cells in reader:
            row_line, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if positions is None:
                positions = _positions_from_header(cells)
                if positions is not None:
                    if "company_number" not in positions:
                        result.file_error = (
                            f"Line {row_line}: the header has no company number column "
                            f"(found {', '.join(c.strip() for c in cells)}); name it company_number"
                        )
                        return result
                    result.columns = sorted(positions, key=positions.get)
                    continue
                positions = {name: i for i, name in enumerate(_POSITIONAL)}
                result.columns = list(_POSITIONAL)
            _read_row(cells, row_line, positions, seen, result)
            if len(result.rows) + len(result.errors) > MAX_ROWS:
                result.file_error = f"The file has more than {MAX_ROWS:,} rows: split it into smaller files"
                return result
    except csv.Error as exc:
        result.file_error = f"Line {reader.line_num}: the file is not valid CSV ({exc})"
        return result
    if not result.rows and not result.errors:
        result.file_error = "The file has no company rows"
    return result


def _positions_from_header(cells: list[str]) -> dict[str, int] | None:
    if cells and _is_company_number(cells[0]):
        return None  # a client ("12345678,No,Company Ltd"), whatever its other cells say
    positions: dict[str, int] = {}
    for index, cell in enumerate(cells):
        column = _column_for(cell)
        if column and column not in positions:
            positions[column] = index
    return positions or None


def _is_company_number(cell: str) -> bool:
    try:
        normalise_company_number(_unguard(cell))
    except InvalidCompanyNumber:
        return False
    return True


def _read_row(
    cells: list[str], line: int, positions: dict[str, int], seen: dict[str, int], result: ParsedCsv
) -> None:
    def cell(column: str) -> str:
        index = positions.get(column)
        return _unguard(cells[index]) if index is not None and index < len(cells) else ""

    content = ",".join(c.strip() for c in cells)[:200]
    try:
        number = normalise_company_number(cell("company_number"))
    except InvalidCompanyNumber as exc:
        result.errors.append(RowError(line, content, str(exc)))
        return
    reference, name = cell("client_reference"), cell("company_name")
    if len(reference) > MAX_REFERENCE:
        reason = f"The client reference has {len(reference)} characters; at most {MAX_REFERENCE}"
        result.errors.append(RowError(line, content, reason))
        return
    if len(name) > MAX_NAME:
        result.errors.append(RowError(line, content, f"The company name has more than {MAX_NAME} characters"))
        return
    if number in seen:
        result.errors.append(
            RowError(line, content, f"{number} is already on line {seen[number]} of this file")
        )
        return
    seen[number] = line
    result.rows.append(ClientRow(line, number, reference, name))


def spreadsheet_safe(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


EXPORT_COLUMNS = [
    "company_number",
    "client_reference",
    "company_name",
    "company_status",
    "client_list",
    "added_at",
    "added_by",
]


def write_client_csv(out: io.TextIOBase, rows: Iterable[Iterable[object]]) -> None:
    """Write rows in EXPORT_COLUMNS order; the result imports back unchanged."""
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow([spreadsheet_safe(value) for value in row])
