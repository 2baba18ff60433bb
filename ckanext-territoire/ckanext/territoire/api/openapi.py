"""The OpenAPI 3.1 description of the portal's API, made from what is registered.

Nothing here lists the actions: they are read from CKAN's action registry
(``ckan.logic._actions``, filled by ``get_action``) when the description is
asked for, so an action added by a plugin appears by itself:

- side-effect-free actions are ``GET`` operations with query parameters,
  the others ``POST`` operations with a JSON body and the API token
  security scheme;
- parameters come from the docstring (``:param x:`` / ``:type x:``, what
  ``help_show`` serves) and from the validation schema of the action when it
  has one (CKAN's ``default_*_schema``, ours): types, bounds, required;
- datasets and organisations are described from the scheming schemas, with
  the enums of their code lists (themes, frequencies, licences, kinds) and
  the territory levels of the COG.

Summaries, tags and the texts of the portal are French, English with
``?lang=en`` (or the ``/en/`` URL prefix, like every page of CKAN); the
docstrings of CKAN and of the other extensions are quoted in their own
language (English). One description is built per language and set of
actions, then served from memory.
"""

from __future__ import annotations

import copy
import inspect
import threading
from collections.abc import Callable
from typing import Any

import ckan.logic as logic
import ckan.plugins.toolkit as tk

from . import docstrings, guards

OPENAPI_VERSION = "3.1.0"
ACTION_PATH = "/api/3/action/{name}"

_lock = threading.Lock()
_CACHE: dict[tuple[Any, ...], dict[str, Any]] = {}


# --------------------------------------------------------------------------
# The registry


def registered_actions() -> dict[str, Any]:
    """Every action of the running portal, by name."""
    tk.get_action("status_show")  # fills the registry on first use
    return {
        name: fn
        for name, fn in logic._actions.items()
        if not name.startswith("_")
        # ckanext-harvest's module exports an exception class among its actions
        and not inspect.isclass(docstrings.original(fn))
        # and a decorator and an auth function, refused by our guards
        and name not in guards.NOT_ACTIONS
    }


def is_read(action: Any) -> bool:
    return bool(getattr(action, "side_effect_free", False))


def operation_path(name: str) -> str:
    return ACTION_PATH.format(name=name)


# --------------------------------------------------------------------------
# Validation schemas: which one an action validates with


def _core_schema(name: str) -> Callable[[], dict[str, Any]]:
    def schema() -> dict[str, Any]:
        from ckan.logic import schema as core

        return getattr(core, name)()

    return schema


def _territory_schema(name: str) -> Callable[[], dict[str, Any]]:
    def schema() -> dict[str, Any]:
        from ..territories import actions

        return getattr(actions, name)()

    return schema


VALIDATION_SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "package_search": _core_schema("default_package_search_schema"),
    "resource_search": _core_schema("default_resource_search_schema"),
    "package_list": _core_schema("default_package_list_schema"),
    "current_package_list_with_resources": _core_schema("default_pagination_schema"),
    "package_autocomplete": _core_schema("default_autocomplete_schema"),
    "group_autocomplete": _core_schema("default_autocomplete_schema"),
    "organization_autocomplete": _core_schema("default_autocomplete_schema"),
    "user_autocomplete": _core_schema("default_autocomplete_schema"),
    "format_autocomplete": _core_schema("default_autocomplete_schema"),
    "territoire_territory_autocomplete": _territory_schema("autocomplete_schema"),
    "territoire_territory_show": _territory_schema("show_schema"),
}

# validator name → JSON Schema (the first one known wins)
_VALIDATOR_TYPES: dict[str, dict[str, Any]] = {
    "natural_number_validator": {"type": "integer", "minimum": 0},
    "is_positive_integer": {"type": "integer", "minimum": 1},
    "int_validator": {"type": "integer"},
    "boolean_validator": {"type": "boolean"},
    "list_of_strings": {"type": "array", "items": {"type": "string"}},
    "convert_to_list_if_string": {"type": "array", "items": {"type": "string"}},
    "unicode_safe": {"type": "string"},
    "_query": {"type": "string", "minLength": 1},
    "_code": {"type": "string", "minLength": 1},
    "_limit": {"type": "integer", "minimum": 1},
}
_REQUIRED_VALIDATORS = ("not_missing", "not_empty", "_query", "_code")


def _from_validators(validators: list[Any]) -> tuple[dict[str, Any], bool]:
    names = [getattr(v, "__name__", "") for v in validators]
    required = any(n in _REQUIRED_VALIDATORS for n in names)
    for n in names:
        if n in _VALIDATOR_TYPES:
            return copy.deepcopy(_VALIDATOR_TYPES[n]), required
    return {}, required


# --------------------------------------------------------------------------
# Texts


def _family(name: str) -> str:
    """The tag of an action (its kind of object)."""
    for prefixes, tag in _FAMILIES:
        if name.startswith(prefixes):
            return tag
    return "site"


_FAMILIES: list[tuple[tuple[str, ...], str]] = [
    (("territoire_territory",), "territoires"),
    (("package_search", "dataset_"), "jeux"),
    (("dcat_",), "dcat"),
    (("datastore_", "xloader_", "resource_validation_", "datapusher_"), "donnees"),
    (("harvest",), "moissonnage"),
    (("resource_view", "resource", "package_resource"), "ressources"),
    (("package", "current_package", "bulk_", "scheming_dataset"), "jeux"),
    (
        ("organization", "group", "member", "scheming_organization", "scheming_group"),
        "organisations",
    ),
    (("tag", "vocabulary"), "mots-cles"),
    (
        (
            "activity",
            "dashboard",
            "recently_changed",
            "package_activity",
            "organization_activity",
            "group_activity",
            "user_activity",
        ),
        "activite",
    ),
    (
        ("user", "api_token", "follow", "am_following", "followee", "unfollow"),
        "utilisateurs",
    ),
]


def _tags() -> list[dict[str, str]]:
    return [
        {
            "name": "jeux",
            "description": tk._("Jeux de données : recherche, détail, écriture"),
        },
        {
            "name": "ressources",
            "description": tk._("Ressources (fichiers et liens) des jeux"),
        },
        {
            "name": "territoires",
            "description": tk._(
                "Référentiel des territoires (COG de l'INSEE) : communes, EPCI, "
                "départements, régions"
            ),
        },
        {
            "name": "donnees",
            "description": tk._(
                "Données tabulaires (DataStore) : lignes, SQL, chargement, validation"
            ),
        },
        {
            "name": "organisations",
            "description": tk._("Organisations productrices et groupes"),
        },
        {"name": "mots-cles", "description": tk._("Mots-clés et vocabulaires")},
        {"name": "dcat", "description": tk._("Catalogue DCAT-AP (RDF)")},
        {
            "name": "moissonnage",
            "description": tk._("Moissonnage des portails partenaires"),
        },
        {"name": "activite", "description": tk._("Flux d'activité")},
        {
            "name": "utilisateurs",
            "description": tk._("Utilisateurs, jetons d'API, abonnements"),
        },
        {"name": "site", "description": tk._("État et configuration du portail")},
    ]


def _summaries() -> dict[str, str]:
    """French summaries of the actions developers use most."""
    return {
        "package_search": tk._(
            "Rechercher des jeux de données (texte, filtres, facettes, territoire)"
        ),
        "package_show": tk._("Un jeu de données, avec ses ressources"),
        "package_list": tk._("Les noms de tous les jeux de données publics"),
        "package_autocomplete": tk._("Jeux de données dont le titre commence par…"),
        "resource_show": tk._("Une ressource"),
        "resource_search": tk._("Rechercher des ressources"),
        "organization_list": tk._("Les organisations productrices"),
        "organization_show": tk._("Une organisation productrice"),
        "group_list": tk._("Les groupes"),
        "group_show": tk._("Un groupe"),
        "tag_list": tk._("Les mots-clés"),
        "license_list": tk._("Les licences proposées"),
        "status_show": tk._("État du portail"),
        "territoire_territory_autocomplete": tk._(
            "Territoires dont le nom ou le code commence par…"
        ),
        "territoire_territory_show": tk._(
            "Un territoire et les territoires qui le contiennent"
        ),
        "datastore_search": tk._(
            "Lignes d'une ressource du DataStore (filtres, tri, texte)"
        ),
        "datastore_search_sql": tk._("Requête SQL (SELECT) sur le DataStore"),
        "dcat_catalog_search": tk._("Le catalogue en DCAT-AP, par page"),
        "dcat_catalog_show": tk._("Le catalogue en DCAT-AP"),
        "dcat_dataset_show": tk._("Un jeu de données en DCAT-AP"),
        "harvest_source_list": tk._("Les sources moissonnées"),
        "package_create": tk._("Créer un jeu de données"),
        "package_update": tk._("Remplacer un jeu de données"),
        "package_patch": tk._("Modifier certains champs d'un jeu de données"),
        "package_delete": tk._("Supprimer un jeu de données"),
        "resource_create": tk._("Ajouter une ressource (lien ou fichier déposé)"),
    }


def _summary(name: str, doc: docstrings.Doc) -> str:
    known = _summaries().get(name)
    if known:
        return known
    verbs = {
        "show": tk._("Détail : {object}"),
        "list": tk._("Liste : {object}"),
        "search": tk._("Recherche : {object}"),
        "autocomplete": tk._("Autocomplétion : {object}"),
        "create": tk._("Création : {object}"),
        "update": tk._("Mise à jour : {object}"),
        "patch": tk._("Modification partielle : {object}"),
        "delete": tk._("Suppression : {object}"),
        "purge": tk._("Purge : {object}"),
    }
    head, _sep, verb = name.rpartition("_")
    if head and verb in verbs:
        return verbs[verb].format(object=head.replace("_", " "))
    return doc.summary or name


def _description(name: str, doc: docstrings.Doc, read: bool) -> str:
    parts = []
    if read:
        parts.append(
            tk._(
                "Lecture : `GET` avec les paramètres dans l'URL, ou `POST` avec un "
                "corps JSON (ce que fait `ckanapi`). Sans jeton : les données publiques."
            )
        )
    else:
        parts.append(
            tk._(
                "Écriture : `POST` avec un corps JSON (ou `multipart/form-data` pour "
                "déposer un fichier) et un jeton d'API dans l'en-tête `Authorization`."
            )
        )
    if doc.description:
        parts.append(tk._("Documentation de l'action (texte de son code) :"))
        parts.append(doc.description)
    return "\n\n".join(parts)


# --------------------------------------------------------------------------
# Parameters


def _parameters(name: str, action: Any) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Parameters of ``action``: name → (JSON Schema with description), required."""
    doc = docstrings.parse(action)
    params: dict[str, dict[str, Any]] = {}
    required: list[str] = []
    for pname, param in doc.params.items():
        schema = docstrings.json_type(param.type)
        if param.description:
            schema["description"] = param.description
        params[pname] = schema
    source = VALIDATION_SCHEMAS.get(name)
    if source is not None:
        for key, validators in source().items():
            if key == "__extras" or not isinstance(validators, list):
                continue
            typed, is_required = _from_validators(validators)
            entry = params.setdefault(key, {})
            for k in ("type", "items", "minimum", "minLength"):
                entry.pop(k, None)
            entry.update(typed)
            if is_required:
                required.append(key)
    for key, kind in guards.types(name).items():
        entry = params.setdefault(key, {})
        for k in ("type", "items", "anyOf", "minimum", "maximum"):
            entry.pop(k, None)
        entry.update(guards.json_schema(kind))
    for key in guards.REQUIRED.get(name, ()):
        params.setdefault(key, {})
        if key not in required:
            required.append(key)
    for key, extra in _EXTRA_PARAMETERS().get(name, {}).items():
        params.setdefault(key, {}).update(extra)
    return params, required


def _EXTRA_PARAMETERS() -> dict[str, dict[str, dict[str, Any]]]:  # noqa: N802
    from ..territories import codes

    return {
        "package_search": {
            "ext_concerne": {
                "type": "string",
                "description": tk._(
                    "« Concerne ma commune » : les jeux qui couvrent ce territoire ou un "
                    "territoire qui le contient (EPCI, département, région, France). "
                    "Code INSEE (67482), code canonique (commune:67482) ou identifiant "
                    "de data.gouv.fr (fr:commune:67482)."
                ),
                "examples": ["67482"],
            },
            "ext_territoire": {
                "type": "string",
                "description": tk._(
                    "Les jeux qui couvrent ce territoire ou un territoire qu'il contient "
                    "(communes, EPCI) : departement:67, epci:246700488, region:44."
                ),
                "examples": ["departement:67"],
            },
            "fq": {
                "examples": ['vocab_themes:"TRAN"'],
            },
            "rows": {"maximum": int(tk.config.get("ckan.search.rows_max") or 1000)},
        },
        "territoire_territory_autocomplete": {
            "level": {"type": "string", "enum": list(codes.LEVELS)},
            "limit": {"maximum": 50},
            "q": {"examples": ["st etienne"]},
        },
        "territoire_territory_show": {"id": {"examples": ["commune:67482"]}},
    }


def _query_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter's schema as it travels in a query string.

    Lists and objects go in the URL as JSON (``facet.field=["tags"]``), as
    CKAN's API reads them; scalars keep their type.
    """
    out = {k: v for k, v in schema.items() if k != "description"}
    if out.get("type") in ("array", "object"):
        out = {"type": "string"}
    return out


# --------------------------------------------------------------------------
# Datasets, organisations, territories: from the scheming schemas


def _choices(field: dict[str, Any]) -> list[str] | None:
    from ckanext.scheming.helpers import scheming_field_choices

    try:
        choices = scheming_field_choices(field)
    except Exception:  # a helper that needs a request or the database
        return None
    values = [str(c["value"]) for c in choices or [] if "value" in c]
    return values or None


def _licence_ids() -> list[str]:
    from ckan import model

    return sorted(model.Package.get_license_register().keys())


def _field_schema(field: dict[str, Any], output: bool) -> dict[str, Any]:
    name = field["field_name"]
    preset = field.get("preset") or ""
    label = field.get("label")
    if isinstance(label, dict):
        label = label.get(_lang()) or label.get("fr") or ""
    values = _choices(field)
    if name == "license_id":
        values = _licence_ids()
    multiple = "multiple" in preset or name in ("territories",)
    if multiple:
        items: dict[str, Any] = {"type": "string"}
        if values:
            items["enum"] = values
        schema: dict[str, Any] = {"type": "array", "items": items}
        if output:
            # a dataset saved without it shows "" (or nothing)
            schema["type"] = ["array", "string", "null"]
    else:
        schema = {"type": ["string", "null"] if output else "string"}
        if values:
            # an optional choice left empty comes back as "" or null
            schema["enum"] = values + (["", None] if output else [""])
    if name == "territories":
        schema["items"]["description"] = tk._(
            "Code d'un territoire : commune:67482, epci:246700488, departement:67, "
            "region:44, pays:fr"
        )
    if preset == "territoire_date":
        schema["description"] = tk._("Date ISO 8601 (AAAA-MM-JJ)")
    if label:
        schema["title"] = str(label)
    return schema


def _scheming(kind: str) -> dict[str, Any] | None:
    action = {
        "dataset": "scheming_dataset_schema_show",
        "organization": "scheming_organization_schema_show",
    }[kind]
    try:
        return tk.get_action(action)(
            {"ignore_auth": True}, {"type": kind, "expanded": True}
        )
    except (KeyError, tk.ObjectNotFound):
        return None


def _dataset_schema(output: bool) -> dict[str, Any]:
    scheming = _scheming("dataset") or {}
    props: dict[str, Any] = {}
    required = ["name"]
    for field in scheming.get("dataset_fields", []):
        if field["field_name"] == "tag_string" and output:
            continue
        props[field["field_name"]] = _field_schema(field, output)
        if field.get("required") and not output:
            required.append(field["field_name"])
    props["resources"] = {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Resource"},
    }
    if output:
        props.update(
            {
                "id": {"type": "string", "format": "uuid"},
                "state": {"type": "string"},
                "private": {"type": "boolean"},
                "type": {"type": "string"},
                "metadata_created": {"type": "string"},
                "metadata_modified": {"type": "string"},
                "num_resources": {"type": "integer"},
                "num_tags": {"type": "integer"},
                "tags": {"type": "array", "items": {"type": "object"}},
                "organization": {"type": ["object", "null"]},
                "groups": {"type": "array"},
            }
        )
        required = ["id", "name"]
    else:
        props["tags"] = {
            "type": "array",
            "items": {"type": "object", "properties": {"name": {"type": "string"}}},
        }
        props["private"] = {"type": "boolean"}
    return {
        "type": "object",
        "properties": props,
        "required": sorted(set(required)),
        "additionalProperties": True,
    }


def _resource_schema() -> dict[str, Any]:
    scheming = _scheming("dataset") or {}
    props = {
        field["field_name"]: _field_schema(field, output=True)
        for field in scheming.get("resource_fields", [])
    }
    props["id"] = {"type": "string"}
    props["package_id"] = {"type": "string"}
    return {"type": "object", "properties": props, "additionalProperties": True}


def _organization_schema(output: bool) -> dict[str, Any]:
    scheming = _scheming("organization") or {}
    props = {
        field["field_name"]: _field_schema(field, output)
        for field in scheming.get("fields", [])
    }
    if output:
        props.update(
            {
                "id": {"type": "string"},
                "package_count": {"type": "integer"},
                "state": {"type": "string"},
                "type": {"type": "string"},
            }
        )
    return {
        "type": "object",
        "properties": props,
        "required": ["name"],
        "additionalProperties": True,
    }


def _components() -> dict[str, Any]:
    from ..territories import codes

    level = {"type": "string", "enum": list(codes.LEVELS)}
    territory: dict[str, Any] = {
        "type": "object",
        "properties": {
            "code": {"type": "string", "examples": ["commune:67482"]},
            "level": level,
            "level_label": {"type": "string"},
            "insee": {"type": ["string", "null"]},
            "name": {"type": "string"},
            "label": {"type": "string"},
        },
        "required": ["code", "level", "name", "label"],
    }
    territory_detail = copy.deepcopy(territory)
    territory_detail["properties"].update(
        {
            "population": {"type": ["integer", "null"]},
            "siren": {"type": ["string", "null"]},
            "replaced": {"type": "string"},
            "postal_codes": {"type": "array", "items": {"type": "string"}},
            "parents": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string"},
                        "label": {"type": "string"},
                    },
                },
            },
        }
    )
    return {
        "securitySchemes": {
            "ApiToken": {
                "type": "apiKey",
                "in": "header",
                "name": tk.config.get("apitoken_header_name") or "Authorization",
                "description": tk._(
                    "Jeton d'API, créé sur la page de votre compte (onglet « Jetons "
                    "d'API »), envoyé tel quel dans l'en-tête, sans préfixe."
                ),
            }
        },
        "schemas": {
            "Error": {
                "type": "object",
                "description": tk._(
                    "Une erreur, dans le format de CKAN : `__type` la nomme, "
                    "`message` l'explique ; une erreur de validation donne la liste "
                    "des messages de chaque champ refusé."
                ),
                "properties": {
                    "help": {"type": "string"},
                    "success": {"const": False},
                    "error": {
                        "type": "object",
                        "properties": {
                            "__type": {"type": "string"},
                            "message": {"type": "string"},
                        },
                        "required": ["__type"],
                        "additionalProperties": True,
                    },
                },
                "required": ["success", "error"],
            },
            "Dataset": _dataset_schema(output=True),
            "DatasetInput": _dataset_schema(output=False),
            "Resource": _resource_schema(),
            "Organization": _organization_schema(output=True),
            "OrganizationInput": _organization_schema(output=False),
            "Territory": territory,
            "TerritoryDetail": territory_detail,
            "SearchResult": {
                "type": "object",
                "properties": {
                    "count": {"type": "integer", "minimum": 0},
                    "results": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Dataset"},
                    },
                    "facets": {"type": "object"},
                    "search_facets": {"type": "object"},
                    "sort": {"type": "string"},
                },
                "required": ["count", "results"],
            },
        },
        "responses": _error_responses(),
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


RESULT_SCHEMAS: dict[str, dict[str, Any]] = {
    "package_show": _ref("Dataset"),
    "package_create": _ref("Dataset"),
    "package_update": _ref("Dataset"),
    "package_patch": _ref("Dataset"),
    "package_search": _ref("SearchResult"),
    "resource_show": _ref("Resource"),
    "organization_show": _ref("Organization"),
    "organization_create": _ref("Organization"),
    "organization_update": _ref("Organization"),
    "organization_patch": _ref("Organization"),
    "package_list": {"type": "array", "items": {"type": "string"}},
    "territoire_territory_autocomplete": {"type": "array", "items": _ref("Territory")},
    "territoire_territory_show": _ref("TerritoryDetail"),
    "status_show": {"type": "object"},
}

REQUEST_SCHEMAS: dict[str, str] = {
    "package_create": "DatasetInput",
    "package_update": "DatasetInput",
    "organization_create": "OrganizationInput",
    "organization_update": "OrganizationInput",
}

ERROR_STATUSES = ("400", "403", "404", "409", "413", "429")


def _error_responses() -> dict[str, Any]:
    texts = {
        "400": tk._(
            "Requête mal formée (JSON invalide, méthode GET pour une écriture…)"
        ),
        "403": tk._("Accès refusé : jeton absent ou droits insuffisants"),
        "404": tk._("Objet ou action introuvable"),
        "409": tk._(
            "Paramètres refusés : l'erreur nomme chaque champ et la forme attendue"
        ),
        "413": tk._("Requête trop volumineuse"),
        "429": tk._(
            "Trop de requêtes : attendre le nombre de secondes de l'en-tête Retry-After"
        ),
    }
    out: dict[str, Any] = {}
    for status, text in texts.items():
        response: dict[str, Any] = {
            "description": text,
            "content": {"application/json": {"schema": _ref("Error")}},
        }
        if status == "429":
            response["headers"] = {
                "Retry-After": {
                    "description": tk._("Secondes avant la prochaine requête acceptée"),
                    "schema": {"type": "integer"},
                }
            }
        out[status] = response
    return out


def _envelope(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "help": {"type": "string"},
            "success": {"const": True},
            "result": result,
        },
        "required": ["success", "result"],
    }


def _operation(name: str, action: Any) -> dict[str, Any]:
    read = is_read(action)
    doc = docstrings.parse(action)
    params, required = _parameters(name, action)
    op: dict[str, Any] = {
        "operationId": name,
        "tags": [_family(name)],
        "summary": _summary(name, doc),
        "description": _description(name, doc, read),
        "responses": {
            "200": {
                "description": tk._("Succès : le résultat est dans `result`"),
                "content": {
                    "application/json": {
                        "schema": _envelope(RESULT_SCHEMAS.get(name, {}))
                    }
                },
            },
            **{s: {"$ref": f"#/components/responses/{s}"} for s in ERROR_STATUSES},
        },
    }
    if read:
        op["security"] = [{}, {"ApiToken": []}]
        op["parameters"] = [
            {
                "name": pname,
                "in": "query",
                "required": pname in required,
                "description": schema.get("description", ""),
                "schema": _query_schema(schema),
            }
            for pname, schema in params.items()
        ]
    else:
        op["security"] = [{"ApiToken": []}]
        if name in REQUEST_SCHEMAS:
            body: dict[str, Any] = _ref(REQUEST_SCHEMAS[name])
        else:
            body = {
                "type": "object",
                "properties": params,
                "additionalProperties": True,
            }
            if required:
                body["required"] = required
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
    return op


def _dcat_paths() -> dict[str, Any]:
    page = {
        "name": "page",
        "in": "query",
        "required": False,
        "description": tk._("Numéro de page (pagination Hydra, 1 par défaut)"),
        "schema": {"type": "integer", "minimum": 1},
    }
    out: dict[str, Any] = {}
    for ext, mime in (
        ("ttl", "text/turtle"),
        ("rdf", "application/rdf+xml"),
        ("jsonld", "application/ld+json"),
    ):
        body = {} if ext == "jsonld" else {"type": "string"}
        out[f"/catalog.{ext}"] = {
            "get": {
                "operationId": f"catalog_{ext}",
                "tags": ["dcat"],
                "summary": tk._(
                    "Le catalogue en DCAT-AP 3 ({format}), par page"
                ).format(format=ext),
                "parameters": [page],
                "responses": {
                    "200": {
                        "description": tk._("Une page du catalogue"),
                        "content": {mime: {"schema": body}},
                    },
                    "400": {"description": tk._("Paramètre refusé")},
                    "409": {"description": tk._("Paramètre refusé")},
                    "404": {"description": tk._("Page introuvable")},
                    "429": {"$ref": "#/components/responses/429"},
                },
            }
        }
        if ext != "jsonld":
            out[f"/catalog/dump.{ext}"] = {
                "get": {
                    "operationId": f"catalog_dump_{ext}",
                    "tags": ["dcat"],
                    "summary": tk._(
                        "Le catalogue entier en un fichier ({format})"
                    ).format(format=ext),
                    "responses": {
                        "200": {
                            "description": tk._("Le vidage complet, avec sa date"),
                            "content": {mime: {"schema": {"type": "string"}}},
                        },
                        "404": {"description": tk._("Pas encore de vidage")},
                        "503": {
                            "description": tk._(
                                "Vidage en cours de régénération : réessayer après Retry-After"
                            ),
                            "headers": {
                                "Retry-After": {
                                    "description": tk._("Secondes à attendre"),
                                    "schema": {"type": "integer", "minimum": 0},
                                }
                            },
                        },
                        "429": {"$ref": "#/components/responses/429"},
                    },
                }
            }
    return out


def _lang() -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return str(locale.language) if locale else "fr"


def build() -> dict[str, Any]:
    """The description, in the language of the request (see ``views``)."""
    actions = registered_actions()
    key = (_lang(), tk.config.get("ckan.site_url"), frozenset(actions))
    with _lock:
        found = _CACHE.get(key)
    if found is not None:
        return found
    paths: dict[str, Any] = {}
    for name in sorted(actions):
        method = "get" if is_read(actions[name]) else "post"
        paths[operation_path(name)] = {method: _operation(name, actions[name])}
    paths.update(_dcat_paths())
    site = tk.config.get("ckan.site_url") or ""
    spec = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": tk._("API de {site}").format(
                site=tk.config.get("ckan.site_title") or "CKAN"
            ),
            "version": _version(),
            "description": tk._(
                "L'API d'actions de CKAN 2.12 telle que ce portail l'expose : chaque "
                "action enregistrée, avec ses paramètres et ses réponses. Les données "
                "publiques se lisent sans jeton. Les réponses sont des objets JSON "
                "`help`, `success` et `result` ; une erreur donne `success` à false "
                "et `error` (`__type`, `message`). Guide, exemples et limites de "
                "débit : {guide}"
            ).format(guide=site.rstrip("/") + "/api"),
        },
        "servers": [{"url": site.rstrip("/") or "/"}],
        "tags": _tags(),
        "paths": paths,
        "components": _components(),
    }
    with _lock:
        _CACHE[key] = spec
    return spec


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ckanext-territoire")
    except PackageNotFoundError:  # pragma: no cover - always installed
        return "0"


def clear_cache() -> None:
    with _lock:
        _CACHE.clear()
