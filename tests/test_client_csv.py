from __future__ import annotations

import io

from notifications.practices.client_csv import MAX_ROWS, ClientRow, parse_client_csv, write_client_csv

LIMIT = 1_000_000


def parse(text: str | bytes):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_client_csv(data, max_bytes=LIMIT)


def test_it_reads_rows_by_header_name_in_any_order():
    parsed = parse("Client Ref,Company Name,Company Number\nA1,Green Leaf Cafe Ltd,9876543\nA2,,sc123456\n")
    assert parsed.file_error == ""
    assert parsed.errors == []
    assert parsed.rows == [
        ClientRow(2, "09876543", "A1", "Green Leaf Cafe Ltd"),
        ClientRow(3, "SC123456", "A2", ""),
    ]


def test_without_a_header_the_columns_are_number_reference_name():
    parsed = parse("12345678,REF1,Hughes Joinery Ltd\nNI654321,REF2\n")
    assert parsed.rows == [
        ClientRow(1, "12345678", "REF1", "Hughes Joinery Ltd"),
        ClientRow(2, "NI654321", "REF2", ""),
    ]


def test_every_bad_row_is_reported_with_its_line_number_and_the_good_rows_are_kept():
    text = (
        "company_number,client_reference\n"  # line 1
        "09876543,GOOD-1\n"  # 2
        "S1234567,BAD-PREFIX\n"  # 3
        "\n"  # 4: blank, skipped silently
        "123456789,TOO-LONG\n"  # 5
        "SC123456,GOOD-2\n"  # 6
        ",NO-NUMBER\n"  # 7
        "9876543,DUPLICATE-OF-LINE-2\n"  # 8
        f"OC301234,{'x' * 101}\n"  # 9
    )
    parsed = parse(text)
    assert [(r.line, r.company_number) for r in parsed.rows] == [(2, "09876543"), (6, "SC123456")]
    reasons = {e.line: e.reason for e in parsed.errors}
    assert sorted(reasons) == [3, 5, 7, 8, 9]
    assert "prefix has two letters" in reasons[3]
    assert "at most 8" in reasons[5]
    assert "missing" in reasons[7]
    assert reasons[8] == "09876543 is already on line 2 of this file"
    assert "at most 100" in reasons[9]
    assert parsed.errors[0].content == "S1234567,BAD-PREFIX"


def test_line_numbers_count_physical_lines_when_a_quoted_cell_spans_lines():
    parsed = parse('company_number,company_name\n09876543,"Green\nLeaf"\nBAD,x\n')
    assert parsed.rows[0].company_name == "Green\nLeaf"
    assert parsed.errors[0].line == 4


def test_it_accepts_excel_exports_bom_semicolons_and_windows_1252():
    excel = "\ufeffCompany number;Reference\r\n09876543;Café Ltd\r\n".encode()
    assert parse(excel).rows == [ClientRow(2, "09876543", "Café Ltd", "")]
    windows = "company_number,client_reference\n09876543,Café\n".encode("cp1252")
    assert parse(windows).rows[0].client_reference == "Café"
    tabs = parse("company_number\tclient_reference\nSC123456\tT1\n")
    assert tabs.rows == [ClientRow(2, "SC123456", "T1", "")]


def test_a_file_that_is_not_csv_text_gets_one_clear_error():
    assert "Save As > CSV UTF-8" in parse(b"PK\x03\x04 an xlsx workbook").file_error
    assert "NUL" in parse(b"09876543\x00\x00").file_error
    assert "no company rows" in parse("\n\n").file_error
    assert "no company number column" in parse("client_reference,company_name\nA,B\n").file_error
    too_big = parse_client_csv(b"09876543\n" * 200, max_bytes=1000)
    assert "largest accepted is 1,000 bytes" in too_big.file_error


def test_a_file_with_too_many_rows_is_refused():
    text = "".join(f"{n:08d}\n" for n in range(1, MAX_ROWS + 3))
    assert "more than 50,000 rows" in parse_client_csv(text.encode(), max_bytes=10**8).file_error


def test_export_guards_formula_cells_and_imports_back_unchanged():
    out = io.StringIO()
    rows = [
        ["09876543", "=HYPERLINK(1)", "+Plus Ltd", "active", "List", "2025-01-01T00:00:00+00:00", "alice"]
    ]
    write_client_csv(out, rows)
    assert "'=HYPERLINK(1)" in out.getvalue()
    parsed = parse(out.getvalue())
    assert parsed.rows == [ClientRow(2, "09876543", "=HYPERLINK(1)", "+Plus Ltd")]
