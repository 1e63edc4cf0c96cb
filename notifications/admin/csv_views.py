"""Admin views for importing a client list from CSV (upload, preview, confirm) and exporting it.

The preview step carries the parsed rows to the confirm step in a signed form field, bound to
the list, so the confirm imports exactly what was previewed and cannot be pointed elsewhere.
"""

from __future__ import annotations

import io

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import slugify
from django.views import View

from notifications.models import ClientList, ClientListEntry
from notifications.practices.client_csv import ClientRow, parse_client_csv, write_client_csv
from notifications.practices.client_lists import export_rows, import_rows, plan_import
from streams.backfill import BACKFILL_OFF_MESSAGE, backfill_enabled

PREVIEW_MAX_AGE = 3600  # seconds a preview stays valid
PREVIEW_LISTED = 200  # rows of each kind shown in the preview; all are imported


def warn_if_backfill_off(request) -> None:
    """Say (once per page) that companies added get no baseline from CH without an API key."""
    if backfill_enabled():
        return
    pending = messages.get_messages(request)
    already = any(message.message == BACKFILL_OFF_MESSAGE for message in pending)
    pending.used = False  # looking is not showing: the page still shows them
    if not already:
        messages.warning(request, BACKFILL_OFF_MESSAGE)


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file", help_text="Columns: company_number, client_reference, company_name"
    )


def _salt(client_list: ClientList) -> str:
    return f"notifications.client-import.{client_list.pk}"


def _sign_rows(client_list: ClientList, rows: list[ClientRow]) -> str:
    data = [[r.line, r.company_number, r.client_reference, r.company_name] for r in rows]
    return signing.dumps(data, salt=_salt(client_list), compress=True)


def _unsign_rows(client_list: ClientList, payload: str) -> list[ClientRow]:
    data = signing.loads(payload, salt=_salt(client_list), max_age=PREVIEW_MAX_AGE)
    return [ClientRow(*item) for item in data]


class ClientListView(View):
    model_admin = None

    def get_list(self, request: HttpRequest, pk: int) -> ClientList:
        # The scoped queryset makes another practice's list a 404, not a 403 that confirms it exists.
        client_list = get_object_or_404(self.model_admin.get_queryset(request), pk=pk)
        return client_list

    def context(self, request: HttpRequest, client_list: ClientList, **extra) -> dict:
        return {
            **self.model_admin.admin_site.each_context(request),
            "opts": ClientList._meta,
            "original": client_list,
            "client_list": client_list,
            **extra,
        }


class ImportView(ClientListView):
    template = "admin/notifications/clientlist/import.html"

    def get_list(self, request, pk):
        client_list = super().get_list(request, pk)
        if not self.model_admin.has_change_permission(request, client_list):
            raise PermissionDenied
        return client_list

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        client_list = self.get_list(request, pk)
        ctx = self.context(
            request, client_list, form=UploadForm(), title=f"Import companies into {client_list.name}"
        )
        return TemplateResponse(request, self.template, ctx)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        client_list = self.get_list(request, pk)
        if "payload" in request.POST:
            return self.confirm(request, client_list)
        form = UploadForm(request.POST, request.FILES)
        title = f"Import companies into {client_list.name}"
        if not form.is_valid():
            return TemplateResponse(
                request, self.template, self.context(request, client_list, form=form, title=title)
            )
        upload = form.cleaned_data["file"]
        limit = settings.CLIENT_CSV_MAX_BYTES
        data = upload.read(limit + 1)
        parsed = parse_client_csv(data, max_bytes=limit)
        if parsed.file_error:
            form.add_error("file", parsed.file_error)
            return TemplateResponse(
                request, self.template, self.context(request, client_list, form=form, title=title)
            )
        plan = plan_import(client_list, parsed.rows)
        ctx = self.context(
            request,
            client_list,
            title=f"Preview: import {upload.name} into {client_list.name}",
            file_name=upload.name,
            parsed=parsed,
            plan=plan,
            listed=PREVIEW_LISTED,
            payload=_sign_rows(client_list, plan.new + [row for row, _ in plan.updated]),
        )
        return TemplateResponse(request, "admin/notifications/clientlist/import_preview.html", ctx)

    def confirm(self, request: HttpRequest, client_list: ClientList) -> HttpResponse:
        change_url = reverse("admin:notifications_clientlist_change", args=[client_list.pk])
        try:
            rows = _unsign_rows(client_list, request.POST["payload"])
        except signing.SignatureExpired:
            messages.error(request, "That preview is more than an hour old: upload the file again.")
            return HttpResponseRedirect(
                reverse("admin:notifications_clientlist_import", args=[client_list.pk])
            )
        except signing.BadSignature:
            raise PermissionDenied("The import preview was altered") from None
        done = import_rows(client_list, rows, added_by=request.user)
        messages.success(
            request,
            f"Imported into {client_list.name}: {len(done.new)} added, {len(done.updated)} client "
            f"references updated, {len(done.unchanged)} already on the list unchanged.",
        )
        if done.new:
            warn_if_backfill_off(request)
        return HttpResponseRedirect(change_url)


def export_response(entries: QuerySet[ClientListEntry], filename: str) -> HttpResponse:
    entries = entries.select_related("company", "client_list", "added_by").order_by(
        "client_list__name", "company_id"
    )
    out = io.StringIO()
    write_client_csv(out, export_rows(entries.iterator(chunk_size=2000)))
    response = HttpResponse(out.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ExportView(ClientListView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        client_list = self.get_list(request, pk)
        if not self.model_admin.has_view_permission(request, client_list):
            raise PermissionDenied
        return export_response(client_list.entries.all(), f"{slugify(client_list.name) or 'client-list'}.csv")
