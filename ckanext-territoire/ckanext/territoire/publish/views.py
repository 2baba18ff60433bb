"""« Publier un jeu de données »: what, the template, the file, its check,
publication.

1. ``/publier``: the organisation and *what* is published: a schema the
   portal knows, or « autre » (CKAN's own form);
2. ``/publier/modele``: the schema's empty file (CSV, XLSX);
3. ``/publier/nouveau``: the file and the dataset's fields, pre-filled from
   the schema and the organisation, all editable; the dataset is created
   private, with the file as a resource declaring the schema (the validation
   starts);
4. ``/publier/verification/<id>``: the validation's verdict, the report,
   another file if needed, and « Publier », which makes the dataset public.

Every write is an action called as the person (CKAN's authorisation); a
refused field or file creates nothing.
"""

from __future__ import annotations

import io
import os
from typing import Any

from flask import Blueprint, Response
from werkzeug.datastructures import FileStorage

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib.helpers import flash_error, flash_success
from ckan.types import Context

from ..languages import language_text
from ..vocabularies import codelists
from . import profiles, template

blueprint = Blueprint("territoire_publish", __name__)

OTHER = "autre"
UPLOAD_EXTENSIONS = (".csv", ".txt", ".xlsx")
FIELDS = (
    "title",
    "notes",
    "territories",
    "frequency",
    "tag_string",
    "license_id",
    "temporal_start",
    "temporal_end",
    "granularity",
)


def _context() -> Context:
    return {"user": tk.current_user.name if tk.current_user else ""}  # type: ignore[typeddict-item]


def _logged_in() -> bool:
    return bool(tk.current_user and getattr(tk.current_user, "is_authenticated", False))


def _organizations() -> list[dict[str, Any]]:
    return tk.get_action("organization_list_for_user")(
        _context(), {"permission": "create_dataset"}
    )


def _choices(name: str) -> list[dict[str, str]]:
    return [
        {"value": c["value"], "label": language_text(c["label"])}
        for c in codelists.choices(name)
    ]


def _licenses() -> list[dict[str, str]]:
    register = model.Package.get_license_register()
    return [{"value": key, "label": lic.title} for key, lic in register.items()]


def _profile_or_abort(name: str) -> profiles.Profile:
    profile = profiles.get(name) if name else None
    if profile is None:
        return tk.abort(
            404,
            tk._(
                "Schéma inconnu « {name} » : choisissez l'un des schémas proposés."
            ).format(name=name),
        )
    return profile


@blueprint.route("/publier")
def start() -> Any:
    if not _logged_in():
        return tk.redirect_to(
            "user.login", came_from=tk.h.url_for("territoire_publish.start")
        )
    orgs = _organizations()
    return tk.render(
        "territoire/publish/start.html",
        {
            "orgs": orgs,
            "profiles": profiles.known(),
            "selected_org": tk.request.args.get("organisation") or "",
            "other": OTHER,
        },
    )


@blueprint.route("/publier/modele")
def download_template() -> Any:
    profile = _profile_or_abort(tk.request.args.get("schema", ""))
    kind = tk.request.args.get("format", "csv")
    stem = f"{profile.slug.split('-', 1)[-1]}-modele"
    if kind == "xlsx":
        body, mimetype, filename = (
            template.xlsx_bytes(profile),
            template.XLSX_TYPE,
            stem,
        )
        filename += ".xlsx"
    elif kind == "csv":
        body, mimetype, filename = (
            template.csv_bytes(profile),
            "text/csv",
            stem + ".csv",
        )
    else:
        return tk.abort(400, tk._("Format inconnu : csv ou xlsx."))
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _org_or_abort(ref: str) -> dict[str, Any]:
    for org in _organizations():
        if ref in (org["name"], org["id"]):
            return org
    return tk.abort(
        403,
        tk._(
            "Vous ne pouvez pas publier pour cette organisation : seuls ses "
            "éditeurs et ses administrateurs le peuvent."
        ),
    )


@blueprint.route("/publier/nouveau", methods=["GET", "POST"])
def new() -> Any:
    if not _logged_in():
        return tk.redirect_to("user.login", came_from=tk.request.full_path)
    args = tk.request.values
    schema = args.get("schema", "")
    org_ref = args.get("organisation", "")
    if not org_ref:
        flash_error(tk._("Choisissez l'organisation pour laquelle vous publiez."))
        return tk.redirect_to("territoire_publish.start")
    org = _org_or_abort(org_ref)
    if schema == OTHER:
        return tk.redirect_to("dataset.new", owner_org=org["id"])
    profile = _profile_or_abort(schema)
    year = _year(args.get("annee"))
    data = profile.prefill(org, year)
    errors: dict[str, list[str]] = {}
    if tk.request.method == "POST":
        data = _posted(data)
        result = _create(profile, org, data, errors)
        if result is not None:
            return tk.redirect_to("territoire_publish.check", id=result)
    return tk.render(
        "territoire/publish/new.html",
        {
            "profile": profile,
            "org": org,
            "year": year,
            "data": data,
            "errors": errors,
            "themes": _choices(codelists.THEMES),
            "frequencies": _choices(codelists.FREQUENCIES),
            "licenses": _licenses(),
        },
    )


def _year(value: Any) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        return profiles.this_year()
    return year if 1900 <= year <= 2100 else profiles.this_year()


def _posted(data: dict[str, Any]) -> dict[str, Any]:
    form = tk.request.form
    out = dict(data)
    for name in FIELDS:
        out[name] = (form.get(name) or "").strip()
    out["themes"] = form.getlist("themes")
    return out


def _upload(errors: dict[str, list[str]]) -> FileStorage | None:
    """The file posted, as the CSV that becomes the resource."""
    upload = tk.request.files.get("upload")
    if upload is None or not upload.filename:
        errors["upload"] = [tk._("Choisissez le fichier à publier (CSV ou Excel).")]
        return None
    stem, ext = os.path.splitext(upload.filename)
    ext = ext.lower()
    if ext not in UPLOAD_EXTENSIONS:
        errors["upload"] = [
            tk._(
                "« {name} » n'est ni un fichier CSV ni un classeur Excel (.xlsx) : "
                "partez du modèle à télécharger ci-dessus."
            ).format(name=upload.filename)
        ]
        return None
    if ext != ".xlsx":
        return upload
    try:
        converted = template.xlsx_to_csv(upload.read())
    except template.UnreadableSpreadsheet:
        errors["upload"] = [
            tk._(
                "« {name} » ne se lit pas comme un classeur Excel : enregistrez-le "
                "à nouveau au format .xlsx ou .csv."
            ).format(name=upload.filename)
        ]
        return None
    return FileStorage(
        stream=io.BytesIO(converted), filename=f"{stem}.csv", content_type="text/csv"
    )


def _messages(error: tk.ValidationError) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, messages in (error.error_dict or {}).items():
        found = messages if isinstance(messages, list) else [messages]
        out[key] = [
            m if isinstance(m, str) else " ".join(str(v) for v in _flatten(m))
            for m in found
        ]
    return out


def _flatten(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [v for item in value.values() for v in _flatten(item)]
    if isinstance(value, list):
        return [v for item in value for v in _flatten(item)]
    return [value]


def _create(
    profile: profiles.Profile,
    org: dict[str, Any],
    data: dict[str, Any],
    errors: dict[str, list[str]],
) -> str | None:
    """The new dataset's name, or None with ``errors`` filled (nothing created)."""
    upload = _upload(errors)
    if errors:
        return None
    assert upload is not None
    dataset = {name: data[name] for name in FIELDS if data.get(name)}
    dataset.update(
        {
            "name": profiles.dataset_name(data.get("title") or profile.label),
            "owner_org": org["id"],
            "private": True,
            "themes": data.get("themes") or [],
        }
    )
    try:
        created = tk.get_action("package_create")(_context(), dataset)
    except tk.ValidationError as e:
        errors.update(_messages(e))
        return None
    resource = {
        "package_id": created["id"],
        "name": tk._("{label} ({year})").format(
            label=profile.label, year=_year(tk.request.values.get("annee"))
        ),
        "upload": upload,
        "url": upload.filename,
        "format": "CSV",
        "schema": profile.schema,
    }
    if profile.version:
        resource["schema_version"] = profile.version
    try:
        tk.get_action("resource_create")(_context(), resource)
    except (tk.ValidationError, tk.NotAuthorized) as e:
        # the dataset without its file is of no use: it goes too
        tk.get_action("dataset_purge")({"ignore_auth": True}, {"id": created["id"]})
        if isinstance(e, tk.ValidationError):
            found = _messages(e)
            errors["upload"] = [m for messages in found.values() for m in messages]
        else:
            errors["upload"] = [str(e)]
        return None
    return str(created["name"])


@blueprint.route("/publier/verification/<id>", methods=["GET", "POST"])
def check(id: str) -> Any:
    context = _context()
    try:
        tk.check_access("package_update", context, {"id": id})
        dataset = tk.get_action("package_show")(context, {"id": id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, tk._("Jeu de données introuvable."))
    resources = [r for r in dataset.get("resources", []) if r.get("schema")]
    resource = resources[-1] if resources else None
    if tk.request.method == "POST":
        what = tk.request.form.get("action")
        if what == "publish":
            try:
                tk.get_action("package_patch")(context, {"id": id, "private": False})
            except tk.ValidationError as e:
                flash_error(" ".join(m for ms in _messages(e).values() for m in ms))
            else:
                flash_success(
                    tk._("Le jeu de données est publié : tout le monde peut le voir.")
                )
                return tk.redirect_to("dataset.read", id=dataset["name"])
        elif what == "replace" and resource is not None:
            errors: dict[str, list[str]] = {}
            upload = _upload(errors)
            if upload is not None:
                try:
                    tk.get_action("resource_patch")(
                        context,
                        {
                            "id": resource["id"],
                            "upload": upload,
                            "url": upload.filename,
                        },
                    )
                except tk.ValidationError as e:
                    errors.update(_messages(e))
            if errors:
                flash_error(" ".join(m for ms in errors.values() for m in ms))
            else:
                flash_success(
                    tk._("Nouveau fichier déposé : il est vérifié à nouveau.")
                )
        return tk.redirect_to("territoire_publish.check", id=dataset["name"])
    badge = tk.h.territoire_validation_badge(resource) if resource else None
    status = badge["status"] if badge else None
    return tk.render(
        "territoire/publish/check.html",
        {
            "pkg": dataset,
            "res": resource,
            "badge": badge,
            "waiting": resource is not None and status in (None, "pending", "running"),
        },
    )
