"""``/datastore/dump/<resource_id>`` with the right content type, and XLSX.

CKAN 2.12's dump view sends every format as ``application/octet-stream``
(its ``Content-Type`` header, given as bytes, loses to the ``mimetype``
argument), has no XLSX, and answers an unknown ``format`` with a 500 (its
``one_of`` message is %-formatted with a tuple). This view takes the same
URL (our plugin's blueprint is registered before the datastore's), checks
the same access (``datastore_search``: a private table answers 404, as
CKAN's), streams CSV/TSV/JSON/XML through CKAN's own ``dump_to`` and writes
XLSX with openpyxl, page by page.
"""

from __future__ import annotations

import tempfile
from typing import Any

from flask import Blueprint, Response, request, send_file

import ckan.plugins.toolkit as tk
from ckan.common import g

dump_blueprint = Blueprint("territoire_datastore_dump", __name__)

TYPES = {
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "xml": "text/xml; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
XLSX_MAX_ROWS = 1_048_575  # the sheet's limit, header excluded
PAGE = 32000


def _real_id(resource_id: str) -> str:
    from ckanext.datastore.backend import DatastoreBackend

    backend = DatastoreBackend.get_active_backend()
    exists, real_id = backend.resource_id_from_alias(resource_id)
    if not exists:
        tk.abort(404, tk._("Aucune table du DataStore pour cette ressource."))
    return real_id or resource_id


def dump(resource_id: str) -> Any:
    fmt = (request.args.get("format") or "csv").lower()
    if fmt not in TYPES:
        tk.abort(
            400,
            tk._(
                "Format « {fmt} » inconnu : choisissez csv, tsv, json, xml ou xlsx."
            ).format(fmt=fmt[:20]),
        )
    resource_id = _real_id(resource_id)
    try:
        tk.check_access("datastore_search", {}, {"resource_id": resource_id})
    except tk.NotAuthorized:
        tk.abort(404, tk._("Aucune table du DataStore pour cette ressource."))
    if fmt == "xlsx":
        return _xlsx(resource_id)
    from ckanext.datastore.blueprint import dump as ckan_dump

    response: Response = ckan_dump(resource_id)
    response.headers["Content-Type"] = TYPES[fmt]
    return response


def _xlsx(resource_id: str) -> Any:
    import openpyxl

    search = tk.get_action("datastore_search")
    context = {"user": g.user}
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("donnees")
    params: dict[str, Any] = {
        "resource_id": resource_id,
        "limit": PAGE,
        "sort": "_id",
        "records_format": "lists",
        "include_total": False,
        "include_next_page": True,
    }
    result = search(dict(context), params)
    fields = [f["id"] for f in result["fields"] if f["id"] != "_id"]
    keep = [i for i, f in enumerate(result["fields"]) if f["id"] != "_id"]
    sheet.append(fields)
    written = 0
    while True:
        for row in result["records"]:
            sheet.append([row[i] for i in keep])
            written += 1
        if len(result["records"]) < PAGE or written >= XLSX_MAX_ROWS:
            break
        result = search(
            dict(context),
            dict(params, filters=result.get("next_page") or {}),
        )
    out = tempfile.TemporaryFile(suffix=".xlsx")
    book.save(out)
    out.seek(0)
    return send_file(
        out,
        mimetype=TYPES["xlsx"],
        as_attachment=True,
        download_name=f"{resource_id}.xlsx",
    )


dump_blueprint.add_url_rule(
    "/datastore/dump/<resource_id>", view_func=dump, methods=["GET"]
)
