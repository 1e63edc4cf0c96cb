from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from notifications.models import ClientListEntry
from streams.models import Company

pytestmark = pytest.mark.django_db

GOOD_BAD_AND_DUPLICATE = (
    "company_number,client_reference,company_name\n"
    "12345678,ASH-010,Hughes Joinery Ltd\n"  # 2: new
    "SC123456,ASH-002,\n"  # 3: already on the list, same reference
    "9876543,ASH-001-NEW,\n"  # 4: already on the list, new reference
    "S1234567,ASH-011,\n"  # 5: bad prefix
    "12345678,ASH-010,\n"  # 6: repeats line 2
    "ni654321,ASH-012,Byrne Engineering Ltd\n"  # 7: new (also on Baxter's list: no matter)
)


def upload(client, client_list, text: str, name: str = "clients.csv"):
    url = reverse("admin:notifications_clientlist_import", args=[client_list.pk])
    return client.post(url, {"file": SimpleUploadedFile(name, text.encode(), "text/csv")})


def confirm(client, client_list, preview):
    payload = re.search(r'name="payload" value="([^"]+)"', preview.content.decode()).group(1)
    url = reverse("admin:notifications_clientlist_import", args=[client_list.pk])
    return client.post(url, {"payload": payload})


def entries(client_list) -> dict[str, str]:
    return dict(client_list.entries.values_list("company_id", "client_reference"))


def test_the_preview_lists_every_bad_row_with_its_line_number_and_saves_nothing(client, alice, ashford_list):
    client.force_login(alice)
    before = entries(ashford_list)
    preview = upload(client, ashford_list, GOOD_BAD_AND_DUPLICATE)
    assert preview.status_code == 200
    page = preview.content.decode()
    bad = re.findall(r"<tr><td>(\d+)</td><td><code>[^<]*</code></td><td>([^<]+)</td></tr>", page)
    assert [line for line, _ in bad] == ["5", "6"]
    assert "prefix has two letters" in bad[0][1]
    assert "12345678 is already on line 2 of this file" in bad[1][1]
    assert "<strong>2</strong> companies will be added" in page
    assert "<strong>1</strong> client reference will be updated" in page
    assert "<strong>1</strong> already on the list, unchanged" in page
    assert entries(ashford_list) == before


def test_confirming_imports_the_previewed_rows_and_reimporting_adds_nothing_twice(
    client, alice, ashford_list
):
    client.force_login(alice)
    done = confirm(client, ashford_list, upload(client, ashford_list, GOOD_BAD_AND_DUPLICATE))
    assert done.status_code == 302
    assert entries(ashford_list) == {
        "09876543": "ASH-001-NEW",
        "SC123456": "ASH-002",
        "12345678": "ASH-010",
        "NI654321": "ASH-012",
    }
    added = ClientListEntry.objects.get(client_list=ashford_list, company_id="12345678")
    assert added.added_by == alice
    assert Company.objects.get(pk="12345678").name == "Hughes Joinery Ltd"

    again = upload(client, ashford_list, GOOD_BAD_AND_DUPLICATE)
    assert "<strong>0</strong> companies will be added" in again.content.decode()
    assert "Nothing to import" in again.content.decode()
    confirm(client, ashford_list, again)
    assert ClientListEntry.objects.filter(client_list=ashford_list).count() == 4


def test_a_name_from_the_file_never_replaces_the_name_from_companies_house(client, alice, ashford_list):
    client.force_login(alice)
    confirm(client, ashford_list, upload(client, ashford_list, "09876543,ASH-001,Wrong Name Ltd\n"))
    assert Company.objects.get(pk="09876543").name == "Green Leaf Cafe Ltd"


def test_a_tampered_preview_is_refused(client, alice, ashford_list):
    client.force_login(alice)
    preview = upload(client, ashford_list, "12345678,X\n")
    payload = re.search(r'name="payload" value="([^"]+)"', preview.content.decode()).group(1)
    url = reverse("admin:notifications_clientlist_import", args=[ashford_list.pk])
    assert client.post(url, {"payload": payload[:-2] + "xx"}).status_code == 403
    assert "12345678" not in entries(ashford_list)


def test_a_preview_cannot_be_replayed_into_another_list(client, operator, ashford_list, baxter_list):
    client.force_login(operator)
    preview = upload(client, ashford_list, "12345678,X\n")
    payload = re.search(r'name="payload" value="([^"]+)"', preview.content.decode()).group(1)
    url = reverse("admin:notifications_clientlist_import", args=[baxter_list.pk])
    assert client.post(url, {"payload": payload}).status_code == 403
    assert "12345678" not in entries(baxter_list)


def test_a_file_that_is_not_csv_is_refused_with_the_reason(client, alice, ashford_list):
    client.force_login(alice)
    response = client.post(
        reverse("admin:notifications_clientlist_import", args=[ashford_list.pk]),
        {"file": SimpleUploadedFile("clients.xlsx", b"PK\x03\x04....", "application/octet-stream")},
    )
    assert response.status_code == 200
    assert "Save As &gt; CSV UTF-8" in response.content.decode()


def test_an_org_admin_cannot_import_into_another_practices_list(client, alice, baxter_list):
    client.force_login(alice)
    url = reverse("admin:notifications_clientlist_import", args=[baxter_list.pk])
    assert client.get(url).status_code == 404
    assert upload(client, baxter_list, "12345678,X\n").status_code == 404
    assert "12345678" not in entries(baxter_list)


def test_export_writes_the_list_and_it_imports_back_unchanged(client, alice, ashford, ashford_list):
    client.force_login(alice)
    response = client.get(reverse("admin:notifications_clientlist_export", args=[ashford_list.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="ashford-clients.csv"'
    text = response.content.decode("utf-8-sig")
    lines = text.splitlines()
    assert (
        lines[0]
        == "company_number,client_reference,company_name,company_status,client_list,added_at,added_by"
    )
    assert lines[1].startswith("09876543,ASH-001,Green Leaf Cafe Ltd,,Ashford clients,")
    assert lines[2].startswith("SC123456,ASH-002,McLeod Fishing Ltd,,Ashford clients,")

    copy = ashford.client_lists.create(name="Copy")
    confirm(client, copy, upload(client, copy, text))
    assert entries(copy) == entries(ashford_list)


def test_an_org_admin_cannot_export_another_practices_list(client, alice, baxter_list):
    client.force_login(alice)
    response = client.get(reverse("admin:notifications_clientlist_export", args=[baxter_list.pk]))
    assert response.status_code == 404
    assert b"BAX-SECRET" not in response.content
