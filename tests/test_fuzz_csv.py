"""Fuzzing the client list import (notifications.practices.client_csv): whatever a practice uploads, the
answer is rows, bad rows with their line numbers, or one file error; never an exception, and no
good row lost because of a bad one beside it."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from notifications.practices.client_csv import MAX_NAME, MAX_REFERENCE, ClientRow, ParsedCsv, parse_client_csv
from streams.company_numbers import CANONICAL, InvalidCompanyNumber, normalise_company_number

LIMIT = 5_000_000  # CLIENT_CSV_MAX_BYTES's default

# database=None: a failure is kept as an @example or a test, not in a .hypothesis directory.
FUZZ = settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def parse(data: bytes) -> ParsedCsv:
    """parse_client_csv's answer, checked for what holds of any answer; an exception fails the test."""
    parsed = parse_client_csv(data, max_bytes=LIMIT)
    lines = [row.line for row in parsed.rows] + [error.line for error in parsed.errors]
    assert len(lines) == len(set(lines)), "two answers for one line"
    assert all(line >= 1 for line in lines)
    assert [row.line for row in parsed.rows] == sorted(row.line for row in parsed.rows)
    numbers = [row.company_number for row in parsed.rows]
    assert len(numbers) == len(set(numbers)) and all(CANONICAL.fullmatch(n) for n in numbers)
    assert all(
        len(r.client_reference) <= MAX_REFERENCE and len(r.company_name) <= MAX_NAME for r in parsed.rows
    )
    assert all(error.reason for error in parsed.errors)
    if not parsed.file_error:
        assert parsed.rows or parsed.errors
    return parsed


# --- anything at all ------------------------------------------------------------------------


@FUZZ
@given(data=st.binary(max_size=2_000))
@example(data=b"PK\x03\x04")
@example(data=b"\xd0\xcf\x11\xe0")
@example(data=b"\xef\xbb\xbf")
@example(data=b'"')
@example(data=b"\x81\x8d\x8f\x90\x9d")  # bytes Windows-1252 does not define
def test_arbitrary_bytes_give_rows_bad_rows_or_one_file_error_never_an_exception(data):
    parse(data)


@FUZZ
@given(
    text=st.text(max_size=500),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "utf-16-le", "utf-16-be"]),
)
def test_arbitrary_text_in_any_encoding_gives_rows_bad_rows_or_one_file_error(text, encoding):
    parse(text.encode(encoding, errors="replace"))


cells = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["company_number", "Company No.", "CRN", "ref", "Name", "=1+1", "'=SUM(A1)", "@x", '"', "\r"]
    ),
    st.from_regex(r"(?:[A-Za-z]{2}|[Rr])?[0-9]{1,8}", fullmatch=True),
)


@FUZZ
@given(
    rows=st.lists(st.lists(cells, max_size=6), max_size=12),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]),
)
def test_random_csv_with_random_columns_gives_rows_bad_rows_or_one_file_error(rows, delimiter, quoting):
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, quoting=quoting).writerows(rows)
    parse(out.getvalue().encode())


# --- good rows among bad ones ---------------------------------------------------------------

NUMBER_COLUMN = ["company_number", "Company Number", "Company No", "CRN", "Registration number", "crn"]
REFERENCE_COLUMN = ["client_reference", "Client Ref", "Reference", "code", "Your reference"]
NAME_COLUMN = ["company_name", "Company Name", "Name", "Client name"]


@dataclass
class Row:
    cells: dict[str, str]  # by column: number, reference, name, and other columns
    good: ClientRow | None  # what it must give (its line filled in later); None: a bad row


# Text a person types into a cell: no NUL (a whole-file error, checked above), no surrounding
# spaces (the import strips them), and not starting with a quote then a formula character (the
# guard the export adds, which the import takes off). A line break only as "\n", which the writer
# quotes whatever its line ending.
cell_text = st.one_of(
    st.text(st.characters(exclude_characters="\x00\r", exclude_categories=("Cs",)), max_size=40),
    st.sampled_from(["ref", "Name", "Code", "Company", "no", "a,b;c;d;e", "x\ty", 'say "hi"', "Green\nLeaf"]),
).filter(lambda text: text == text.strip() and not re.match(r"'[=+\-@\t\r]", text))
formulas = st.sampled_from(['=HYPERLINK("http://x")', "+44 20 7946 0000", "-5", "@SUM(A1)", "=1+1"])


def _is_number(text: str) -> bool:
    try:
        return normalise_company_number(text) == text
    except InvalidCompanyNumber:  # digits all zero
        return False


company_numbers = st.from_regex(CANONICAL, fullmatch=True).filter(_is_number)


@st.composite
def good_rows(draw, number: str) -> Row:
    written = draw(st.sampled_from([number, number.lower(), number.lstrip("0"), f" {number} "]))
    reference = draw(cell_text.filter(lambda text: len(text) <= MAX_REFERENCE) | formulas)
    name = draw(cell_text | st.just("x" * MAX_NAME))
    guarded = draw(st.booleans()) and reference[:1] in ("=", "+", "-", "@")
    return Row(
        {"number": written, "reference": "'" + reference if guarded else reference, "name": name},
        ClientRow(0, number, reference, name),
    )


@st.composite
def bad_rows(draw, taken: list[str]) -> Row:
    how = draw(
        st.sampled_from(
            ["number", "missing", "reference", "name", "formula", "huge", "duplicate"][: 7 if taken else 6]
        )
    )
    number = draw(company_numbers.filter(lambda n: n not in taken))
    cells = {"number": number, "reference": "R", "name": "N"}
    if how == "number":
        cells["number"] = draw(
            st.sampled_from(
                ["S1234567", "123456789", "ABC", "00000000", "SC 12 34 56 7", "\uff11\uff12\uff13"]
            )
        )
    elif how == "missing":
        cells["number"] = draw(st.sampled_from(["", "-", "n/a"]))
    elif how == "reference":
        cells["reference"] = "r" * draw(st.integers(MAX_REFERENCE + 1, 3 * MAX_REFERENCE))
    elif how == "name":
        cells["name"] = "n" * draw(st.integers(MAX_NAME + 1, 2 * MAX_NAME))
    elif how == "duplicate":
        cells["number"] = draw(st.sampled_from(taken))
    elif how == "formula":
        cells["number"] = "=" + number
    elif how == "huge":  # past the csv module's own limit of 131,072 characters a cell
        cells[draw(st.sampled_from(["number", "reference", "name"]))] = "h" * 140_000
    return Row(cells, None)


@dataclass
class ClientFile:
    data: bytes
    rows: list[ClientRow]  # what it must give
    bad_lines: list[int]  # and the lines it must report
    text: str


@st.composite
def client_files(draw) -> ClientFile:
    header = draw(st.booleans())
    order = draw(st.permutations(["number", "reference", "name", "other"])) if header else None
    kinds = draw(st.lists(st.sampled_from(["good", "good", "bad", "blank"]), min_size=1, max_size=12))
    if not header:
        order = ["number", "reference", "name"]
        kinds = ["good", *kinds]  # a first row without a company number that names a column is a header
    numbers = draw(st.lists(company_numbers, min_size=len(kinds), max_size=len(kinds), unique=True))
    rows: list[Row | None] = []
    taken: list[str] = []
    for kind, number in zip(kinds, numbers, strict=True):
        if kind == "good":
            rows.append(draw(good_rows(number)))
            taken.append(number)
        else:
            rows.append(draw(bad_rows(taken)) if kind == "bad" else None)

    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    out = io.StringIO()
    writer = csv.writer(
        out,
        delimiter=delimiter,
        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
        lineterminator=newline,
    )
    if header:
        names = {
            "number": draw(st.sampled_from(NUMBER_COLUMN)),
            "reference": draw(st.sampled_from(REFERENCE_COLUMN)),
            "name": draw(st.sampled_from(NAME_COLUMN)),
            "other": "Partner",
        }
        writer.writerow([names[column] for column in order])
    expected, bad_lines = [], []
    for row in rows:
        line = _physical_lines(out.getvalue()) + 1
        if row is None:
            out.write(draw(st.sampled_from(["", " ", delimiter * 2])) + newline)
            continue
        writer.writerow([{**row.cells, "other": draw(cell_text)}[column] for column in order])
        if row.good is None:
            bad_lines.append(line)
        else:
            expected.append(replace(row.good, line=line))
    text = out.getvalue()
    return ClientFile(_encode(text, draw(st.sampled_from(ENCODINGS))), expected, bad_lines, text)


ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1252"]


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "cp1252":
        try:
            data = text.encode("cp1252")
        except UnicodeEncodeError:
            return text.encode()
        # Bytes that are UTF-8 as well are read as UTF-8: the text would differ, rightly.
        return data if data == text.encode() or not _is_utf8(data) else text.encode()
    return text.encode(encoding)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return True


def _physical_lines(text: str) -> int:
    """Line breaks as an editor counts them (and the csv module's line_num)."""
    return len(re.findall(r"\r\n|\r|\n", text))


@FUZZ
@given(file=client_files())
def test_every_good_row_among_bad_ones_is_kept_and_every_bad_row_is_reported_with_its_line(file):
    parsed = parse(file.data)
    if not file.rows and not file.bad_lines:  # a header, and blank lines
        assert parsed.file_error == "The file has no company rows"
        return
    assert parsed.file_error == ""
    assert parsed.rows == file.rows
    assert sorted(error.line for error in parsed.errors) == file.bad_lines


# --- what the fuzzing found --------------------------------------------------------------------


def test_a_utf16_file_with_its_bom_is_read_like_any_other():
    # Excel's "Unicode Text": UTF-16 with a BOM, tab-separated. It was refused for its NUL bytes.
    parsed = parse("Company number\tReference\r\n09876543\tCafé\r\n".encode("utf-16"))
    assert (parsed.file_error, parsed.rows) == ("", [ClientRow(2, "09876543", "Café", "")])
    assert "NUL" in parse("09876543\x00\n".encode("utf-16")).file_error
    assert "not" in parse(b"\xff\xfe0\x00\x00").file_error  # an odd byte: not UTF-16 after all


def test_a_first_row_that_starts_with_a_company_number_is_a_client_even_if_it_names_a_column():
    # "No" and "Code" are header names; this was read as a header, and every row after it misread.
    parsed = parse(b"12345678,No,Company\nSC123456,Code,Name\n")
    assert parsed.file_error == ""
    assert parsed.rows == [
        ClientRow(1, "12345678", "No", "Company"),
        ClientRow(2, "SC123456", "Code", "Name"),
    ]


def test_a_cell_past_the_csv_modules_limit_is_one_bad_row_and_the_rows_around_it_are_kept():
    # The csv module's 131,072 characters a cell stopped the whole file at that line.
    parsed = parse(f"09876543,A\n12345678,{'x' * 200_000}\nSC123456,B\n".encode())
    assert parsed.file_error == ""
    assert [(row.line, row.company_number) for row in parsed.rows] == [(1, "09876543"), (3, "SC123456")]
    assert [error.line for error in parsed.errors] == [2]


@pytest.mark.parametrize(
    "text",
    [
        "09876543,R1,Smith; Jones; Sons; Co\nSC123456,R2,x\n",  # more semicolons than commas
        "09876543\t;;\tx\nSC123456\tR2\tx\n",  # as many semicolons as tabs
        "09876543;R1;a, b, c, d\nSC123456;R2;x\n",  # and the other way round
    ],
)
def test_the_delimiter_is_the_one_that_splits_out_the_company_number_not_the_most_frequent(text):
    parsed = parse(text.encode())
    assert (parsed.file_error, parsed.errors) == ("", [])
    assert [row.company_number for row in parsed.rows] == ["09876543", "SC123456"]
    assert parsed.rows[0].client_reference in ("R1", ";;")


# --- through the admin, preview to import ---------------------------------------------------


@pytest.mark.django_db
@settings(
    FUZZ, max_examples=10, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(file=client_files())
def test_the_admin_preview_lists_each_bad_line_and_the_import_adds_every_good_row(
    client, alice, ashford_list, file
):
    client.force_login(alice)
    url = reverse("admin:notifications_clientlist_import", args=[ashford_list.pk])
    with transaction.atomic():
        preview = client.post(url, {"file": SimpleUploadedFile("clients.csv", file.data, "text/csv")})
        assert preview.status_code == 200
        page = preview.content.decode()
        if not file.rows and not file.bad_lines:
            assert "The file has no company rows" in page
            return
        assert [int(line) for line in re.findall(r"<tr><td>(\d+)</td><td><code>", page)] == file.bad_lines
        payload = re.search(r'name="payload" value="([^"]+)"', page).group(1)
        assert client.post(url, {"payload": payload}).status_code == 302
        entries = dict(ashford_list.entries.values_list("company_id", "client_reference"))
        transaction.set_rollback(True)
    for row in file.rows:
        assert entries[row.company_number] == row.client_reference or not row.client_reference
