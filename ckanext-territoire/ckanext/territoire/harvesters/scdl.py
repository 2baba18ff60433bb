"""A collectivité's catalogue, a CSV file of the SCDL schema ``scdl/catalogue``.

The schema (OpenDataFrance, version 0.1.3, published on schema.data.gouv.fr)
lists one dataset per row in 20 columns, all required. Its constraints are
written out in ``COLUMNS`` below; the tests compare them with the published
schema, so that a new version cannot go unnoticed. The portal never reads
the schema file at run time.

Reading
    The source URL is the CSV file. It must be UTF-8 (with or without a byte
    order mark): another encoding is a gather error that says so. The
    separator is ``;`` or ``,`` (or a tab), recognised from the header line,
    or forced by the ``delimiter`` option; quoted values may hold line
    breaks. Column names are matched without regard to case or surrounding
    spaces; extra columns are ignored. A required column missing from the
    header is a gather error naming it: nothing changes.

Rows
    Each row is checked against the schema: required values, dates
    (``AAAA-MM-JJ``), integers and their minimum, the lists of values
    (compared without regard to case and accents: « communale » is
    « Communale »), the SIRET patterns and their check digit (the schema's
    ``french-siret-value``), the URL. A row that breaks the schema becomes an
    error on its own harvest object, naming its line in the file and each
    column at fault; the other rows are imported. Lines are those of the
    file as an editor shows them (the header is line 1), so a quoted line
    break counts. Rows whose cells are all empty are skipped.

Identity
    The ``ID`` column. The harvested record holds the row's 20 values only
    (not its line number), so that a row moved in the file is not
    re-imported; a row at fault also carries its line and problems.

Mapping
    TITRE, DESCRIPTION (plain text; an HTML document is left to the base,
    stray tags and ``<adresse>`` autolinks are rewritten as in udata.py);
    THEME (free text) → EU themes by word stems; MOTS_CLES (``;``-separated)
    → tags; COUV_SPAT_MAILLE → granularity; COUV_SPAT_NOM → territories,
    found by name in the COG (see ``coverage``); COUV_TEMP_DEBUT/FIN →
    temporal coverage; DATE_PUBL → issued; DATE_MAJ → modified; FREQ_MAJ →
    EU frequency; LICENCE → licence; PRODUCTEUR_NOM → contact name; URL →
    provenance URL and the one resource. Themes, listed values and their
    codes are in ``vocabularies`` (``free_text``, ``partners``).

    The schema gives one URL per dataset, « la page du jeu de données (ou
    de la ressource si le jeu de données n'en comprend qu'une) »; the formats
    and the number of resources are only announced. So each dataset gets
    exactly one resource, that URL: when the row announces one resource in
    one format, the URL is that file and carries its format; otherwise it is
    the dataset's page, described with the formats announced. One resource
    per format would give several resources the same address, each claiming
    a format it may not have.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Any

import ckan.model as model
from ckan.lib.helpers import unified_resource_format

from ..lists import partner_values
from ..territories import lookup
from ..territories.codes import normalize_name
from ..vocabularies import free_text, partners
from .base import RecordError, RemoteDataset, Source, TerritoireHarvester
from .http import SafeHTTP
from .messages import HarvestMessage, _, bilingual, translate
from .udata import markdown

SCHEMA = "scdl/catalogue"
SCHEMA_VERSION = "0.1.3"
SIRET_CHECK = "french-siret-value"
DELIMITERS = (";", ",", "\t", "|")

# COUV_SPAT_MAILLE → the level its name is first looked for at
NAME_LEVELS = {
    "Infracommunale": "commune",
    "Communale": "commune",
    "Intercommunale": "epci",
    "Départementale": "departement",
    "Régionale": "region",
}


@dataclass(frozen=True)
class Column:
    """One field of the Table Schema and its constraints."""

    name: str
    type: str = "string"  # string, date or integer
    required: bool = True
    enum: tuple[str, ...] = ()
    pattern: str | None = None
    minimum: int | None = None
    format: str | None = None  # "uri"
    checks: tuple[str, ...] = ()  # the schema's custom checks on this column


_SIRET = r"^\d{14}$"
COLUMNS: tuple[Column, ...] = (
    Column("COLL_NOM"),
    Column("COLL_SIRET", pattern=_SIRET, checks=(SIRET_CHECK,)),
    Column("ID"),
    Column("TITRE"),
    Column("DESCRIPTION"),
    Column("THEME"),
    Column("PRODUCTEUR_NOM"),
    Column("PRODUCTEUR_SIRET", pattern=_SIRET, checks=(SIRET_CHECK,)),
    Column("COUV_SPAT_MAILLE", enum=tuple(partners.SCDL_GRANULARITIES)),
    Column("COUV_SPAT_NOM"),
    Column("COUV_TEMP_DEBUT", type="date"),
    Column("COUV_TEMP_FIN", type="date"),
    Column("DATE_PUBL", type="date"),
    Column("FREQ_MAJ", enum=tuple(partners.SCDL_FREQUENCIES)),
    Column("DATE_MAJ", type="date"),
    Column("MOTS_CLES"),
    Column("LICENCE", enum=tuple(partners.SCDL_LICENCES)),
    Column("NOMBRE_RESSOURCES", type="integer", minimum=1),
    Column("FORMAT_RESSOURCES"),
    Column("URL", format="uri"),
)
COLUMN_NAMES = tuple(c.name for c in COLUMNS)

_COVERS_FRANCE = {
    "france",
    "france entiere",
    "france metropolitaine",
    "territoire national",
    "national",
    "nationale",
}
_DEPARTEMENT_SUFFIX = re.compile(r"^(?P<name>.+?)\s*\((?P<dep>\d{2,3}|2[ABab])\)$")
_SEVERAL = re.compile(r"\s*(?:[;,/]|\bet\b)\s*")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")
_WEB_URL = re.compile(r"https?://[^\s/]+\.[^\s]+")
_INTEGER = re.compile(r"^[+-]?\d+$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ScdlCatalogueHarvester(TerritoireHarvester):
    source_type = "territoire_scdl"
    notes_format = "text"
    titles = {"fr": "Catalogue CSV SCDL", "en": "SCDL CSV catalogue"}
    descriptions = {
        "fr": "Moissonne un catalogue CSV au format SCDL « catalogue » "
        "d'OpenDataFrance (schéma scdl/catalogue) ; chaque ligne est vérifiée "
        "selon le schéma.",
        "en": "Harvests a CSV catalogue in OpenDataFrance's SCDL « catalogue » "
        "format (scdl/catalogue schema); each row is checked against the schema.",
    }
    config_properties = {
        "delimiter": {"type": "string", "enum": list(DELIMITERS)},
    }

    def gather_remote(self, source: Source, http: SafeHTTP) -> list[RemoteDataset]:
        response = http.get(
            source.url, kind="csv", accept="text/csv, text/plain;q=0.9, */*;q=0.5"
        )
        text = decode(response.content, response.url)
        return read_catalogue(text, response.url, source.config.get("delimiter"))

    def original_url(self, payload: dict[str, Any]) -> str | None:
        url = payload.get("URL")
        return url if isinstance(url, str) and _WEB_URL.fullmatch(url) else None

    def to_package(
        self, payload: dict[str, Any], source: Source, warnings: list[str]
    ) -> dict[str, Any]:
        if payload.get("_problemes"):
            raise RowError(
                payload.get("_ligne") or "?",
                [(str(m), dict(p)) for m, p in payload["_problemes"]],
            )
        row = {name: str(payload.get(name) or "") for name in COLUMN_NAMES}
        pkg: dict[str, Any] = {
            "title": row["TITRE"],
            "notes": markdown(row["DESCRIPTION"]),
            "tags": keywords(row["MOTS_CLES"]),
            "granularity": partners.SCDL_GRANULARITIES[row["COUV_SPAT_MAILLE"]],
            "territories": coverage(
                row["COUV_SPAT_NOM"],
                NAME_LEVELS.get(row["COUV_SPAT_MAILLE"]),
                anchors(source, row["COLL_SIRET"]),
                warnings,
            ),
            "temporal_start": row["COUV_TEMP_DEBUT"],
            "issued": row["DATE_PUBL"],
            "modified": row["DATE_MAJ"],
            "frequency": frequency(row["FREQ_MAJ"], warnings),
            "license_id": licence(row["LICENCE"], warnings),
            "contact_name": row["PRODUCTEUR_NOM"],
            "resources": [resource(row)],
        }
        themes = free_text.theme_codes_in_text(row["THEME"])
        if themes:
            pkg["themes"] = themes
        else:
            warnings.append(
                bilingual(
                    _(
                        "Avertissement : thème « {value} » sans équivalent dans les "
                        "thèmes européens du portail, ignoré."
                    ),
                    value=row["THEME"],
                )
            )
        if row["COUV_TEMP_FIN"] >= row["COUV_TEMP_DEBUT"]:
            pkg["temporal_end"] = row["COUV_TEMP_FIN"]
        else:
            warnings.append(
                bilingual(
                    _(
                        "Avertissement : la couverture temporelle finit ({end}) "
                        "avant de commencer ({start}) ; sa fin est ignorée."
                    ),
                    start=row["COUV_TEMP_DEBUT"],
                    end=row["COUV_TEMP_FIN"],
                )
            )
        if _WEB_URL.fullmatch(row["URL"]):
            pkg["provenance_url"] = row["URL"]
        return pkg


# --------------------------------------------------------------------------
# Reading the file
# --------------------------------------------------------------------------


def decode(content: bytes, url: str) -> str:
    """The file as text: UTF-8, a byte order mark dropped; nothing else."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise HarvestMessage(
            _(
                "Le catalogue {url} est encodé en UTF-16 : le schéma "
                "scdl/catalogue demande de l'UTF-8. Réenregistrez le fichier en "
                "« CSV UTF-8 »."
            ),
            url=url,
        )
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise HarvestMessage(
            _(
                "Le catalogue {url} n'est pas encodé en UTF-8 (octet invalide à la "
                "ligne {line}) : c'est sans doute du Windows-1252 ou de "
                "l'ISO-8859-1. Le schéma scdl/catalogue demande de l'UTF-8 : "
                "réenregistrez le fichier en « CSV UTF-8 » ; rien n'a été modifié."
            ),
            url=url,
            line=content[: e.start].count(b"\n") + 1,
        ) from e


def _header_names(line: str, delimiter: str) -> list[str]:
    return [c.strip().strip("\"'").strip().upper() for c in line.split(delimiter)]


def sniff_delimiter(text: str) -> str:
    """The separator of the header line that gives the most schema columns."""
    line = next((x for x in text.splitlines() if x.strip()), "")

    def score(d: str) -> tuple[int, int]:
        known = sum(1 for c in _header_names(line, d) if c in COLUMN_NAMES)
        return known, line.count(d)

    best = max(DELIMITERS, key=score)
    return best if score(best)[0] else ";"


def read_catalogue(
    text: str, url: str, delimiter: str | None = None
) -> list[RemoteDataset]:
    """One record per non-empty row; gather errors for a file we cannot read."""
    delimiter = delimiter or sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out: list[RemoteDataset] = []
    try:
        header = next(
            (cells for cells in reader if any(c.strip() for c in cells)), None
        )
        if header is None:
            raise HarvestMessage(
                _("Le catalogue {url} est vide : il n'a pas même d'en-tête."),
                url=url,
            )
        index: dict[str, int] = {}
        for i, name in enumerate(header):
            index.setdefault(name.strip().upper(), i)
        missing = [c.name for c in COLUMNS if c.required and c.name not in index]
        if len(missing) == len(COLUMNS):
            raise HarvestMessage(
                _(
                    "Aucune colonne du schéma scdl/catalogue dans l'en-tête de "
                    "{url} (séparateur lu : « {delimiter} ») : est-ce bien un "
                    "catalogue SCDL ? Si le séparateur n'est ni « ; » ni « , », "
                    "indiquez-le par l'option « delimiter » de la source."
                ),
                url=url,
                delimiter=delimiter,
            )
        if missing:
            raise HarvestMessage(
                _(
                    "Colonne(s) obligatoire(s) du schéma scdl/catalogue absente(s) "
                    "de {url} : {columns}. Ajoutez-les à l'en-tête du fichier ; "
                    "rien n'a été modifié."
                ),
                url=url,
                columns=", ".join(missing),
            )
        last = reader.line_num
        for cells in reader:
            line, last = last + 1, reader.line_num
            if any(c.strip() for c in cells):
                out.append(_record(cells, index, len(header), line))
    except csv.Error as e:
        raise HarvestMessage(
            _("Le catalogue {url} est illisible à la ligne {line} ({error})."),
            url=url,
            line=reader.line_num,
            error=e,
        ) from e
    return out


def _clean(cell: str) -> str:
    return cell.replace("\r\n", "\n").replace("\r", "\n").strip()


def _record(
    cells: list[str], index: dict[str, int], width: int, line: int
) -> RemoteDataset:
    values = {
        c.name: _clean(cells[index[c.name]]) if index[c.name] < len(cells) else ""
        for c in COLUMNS
    }
    problems: list[tuple[str, dict[str, Any]]] = []
    extra = [c for c in cells[width:] if c.strip()]
    if len(cells) < width or extra:
        problems.append(
            (
                _(
                    "{found} valeurs pour {expected} colonnes (séparateur, "
                    "guillemet ou retour à la ligne mal placé ?)"
                ),
                {"found": len(cells), "expected": width},
            )
        )
    problems += check_row(values)
    remote_id = values["ID"] or f"(ligne {line})"
    payload: dict[str, Any] = dict(values)
    if problems:
        payload["_ligne"] = line
        payload["_problemes"] = [[m, p] for m, p in problems]
    return RemoteDataset(remote_id=remote_id, payload=payload)


# --------------------------------------------------------------------------
# Schema checks
# --------------------------------------------------------------------------


def enum_value(column: Column, value: str) -> str | None:
    """The listed value ``value`` stands for, case and accents aside."""
    if value in column.enum:
        return value
    folded = normalize_name(value)
    return next((v for v in column.enum if normalize_name(v) == folded), None)


def siret_ok(siret: str) -> bool:
    """The SIRET check digit (Luhn), with La Poste's own rule for its offices."""
    if not re.fullmatch(r"\d{14}", siret):
        return False
    if siret.startswith("356000000"):
        return sum(int(c) for c in siret) % 5 == 0
    total = 0
    for i, ch in enumerate(reversed(siret)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def check_row(values: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """What breaks the schema in one row; listed values are made canonical."""
    problems: list[tuple[str, dict[str, Any]]] = []
    for column in COLUMNS:
        value = values.get(column.name, "")
        where = {"column": column.name, "value": value}
        if not value:
            if column.required:
                problems.append(
                    (_("colonne {column} vide alors qu'elle est obligatoire"), where)
                )
            continue
        if column.type == "date" and not _is_date(value):
            problems.append(
                (
                    _("colonne {column} : « {value} » n'est pas une date AAAA-MM-JJ"),
                    where,
                )
            )
        elif column.type == "integer":
            if not _INTEGER.match(value):
                problems.append(
                    (
                        _("colonne {column} : « {value} » n'est pas un nombre entier"),
                        where,
                    )
                )
            elif column.minimum is not None and int(value) < column.minimum:
                problems.append(
                    (
                        _(
                            "colonne {column} : {value} est inférieur au minimum {minimum}"
                        ),
                        {**where, "minimum": column.minimum},
                    )
                )
        if column.enum:
            canonical = enum_value(column, value)
            if canonical is None:
                problems.append(
                    (
                        _(
                            "colonne {column} : « {value} » n'est pas une valeur "
                            "permise ({allowed})"
                        ),
                        {**where, "allowed": ", ".join(column.enum)},
                    )
                )
            else:
                values[column.name] = canonical
        if column.pattern and not re.fullmatch(column.pattern, value):
            if SIRET_CHECK in column.checks:
                problems.append(
                    (
                        _(
                            "colonne {column} : « {value} » n'est pas un SIRET (14 chiffres)"
                        ),
                        where,
                    )
                )
            else:
                problems.append(
                    (
                        _(
                            "colonne {column} : « {value} » n'a pas la forme "
                            "attendue ({pattern})"
                        ),
                        {**where, "pattern": column.pattern},
                    )
                )
        elif SIRET_CHECK in column.checks and not siret_ok(value):
            problems.append(
                (
                    _(
                        "colonne {column} : SIRET « {value} » invalide (sa clé de "
                        "contrôle est fausse)"
                    ),
                    where,
                )
            )
        if column.format == "uri" and not _URI.match(value):
            problems.append(
                (_("colonne {column} : « {value} » n'est pas une adresse (URI)"), where)
            )
    return problems


def _is_date(value: str) -> bool:
    if not _ISO_DATE.match(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


ROW_ERROR = _(
    "Ligne {line} du catalogue non conforme au schéma scdl/catalogue, rien n'est "
    "importé : {problems}."
)


class RowError(RecordError):
    """A row that breaks the schema: its line and every problem, in both languages."""

    def __init__(self, line: Any, problems: list[tuple[str, dict[str, Any]]]) -> None:
        texts = {
            lang: translate(
                ROW_ERROR,
                lang,
                line=line,
                problems=" ; ".join(translate(m, lang, **p) for m, p in problems),
            )
            for lang in ("fr", "en")
        }
        fr, en = texts["fr"], texts["en"]
        Exception.__init__(self, fr if fr == en else f"{fr}\n{en}")
        self.msgid = ROW_ERROR
        self.params = {
            "line": line,
            "problems": " ; ".join(translate(m, "fr", **p) for m, p in problems),
        }


# --------------------------------------------------------------------------
# Mapping
# --------------------------------------------------------------------------


def keywords(value: str) -> list[str]:
    separator = ";" if ";" in value or "," not in value else ","
    return partner_values(value, separator)


def frequency(value: str, warnings: list[str]) -> str:
    code = partners.SCDL_FREQUENCIES.get(value)
    if code:
        return code
    warnings.append(
        bilingual(
            _(
                "Avertissement : fréquence « {value} » sans équivalent dans le "
                "vocabulaire européen du portail : notée « inconnue »."
            ),
            value=value,
        )
    )
    return "UNKNOWN"


def licence(value: str, warnings: list[str]) -> str:
    if value == "Creative Commons-CC":
        warnings.append(
            bilingual(
                _(
                    "Avertissement : « Creative Commons-CC » ne dit pas laquelle des "
                    "licences Creative Commons s'applique : licence notée « autre ». "
                    "Demandez au producteur de la préciser dans la description."
                )
            )
        )
    return partners.SCDL_LICENCES[value]


def resource(row: dict[str, str]) -> dict[str, Any]:
    formats = partner_values(row["FORMAT_RESSOURCES"], ";,")
    labels = [unified_resource_format(f) or f for f in formats]
    count = int(row["NOMBRE_RESSOURCES"])
    if count == 1 and len(labels) == 1:
        return {"url": row["URL"], "name": row["TITRE"], "format": labels[0]}
    return {
        "url": row["URL"],
        "name": "Page du jeu de données",
        "description": f"{count} ressource(s) annoncée(s) par le producteur, "
        f"au(x) format(s) : {', '.join(labels)}.",
    }


# --------------------------------------------------------------------------
# Coverage: territories by name
# --------------------------------------------------------------------------


def anchors(source: Source, coll_siret: str) -> list[str]:
    """The publisher's territories, to choose between places of the same name.

    The source's organisation's own territory (its COG code) and the EPCI
    whose SIREN begins the catalogue's COLL_SIRET, if there is one.
    """
    codes: list[str] = []
    org = model.Group.get(source.owner_org) if source.owner_org else None
    extras = (org.extras or {}) if org is not None else {}
    for key in ("cog_code", "territory"):
        if extras.get(key):
            codes.append(str(extras[key]))
    epci = lookup.get(f"epci:{coll_siret[:9]}") if len(coll_siret) >= 9 else None
    if epci is not None:
        codes.append(epci.code)
    return list(dict.fromkeys(codes))


def _near(territory: lookup.Territory, anchor: str) -> bool:
    return (
        territory.code == anchor
        or anchor in territory.parents
        or territory.code in lookup.ancestors(anchor)
    )


@dataclass
class Match:
    territory: lookup.Territory | None = None
    candidates: list[lookup.Territory] = field(default_factory=list)
    approximate: bool = False


def match_name(query: str, level: str | None, anchor_codes: list[str]) -> Match:
    """The territory a coverage name stands for, or the candidates it may be."""
    text = query.strip()
    departement = None
    suffix = _DEPARTEMENT_SUFFIX.match(text)
    if suffix:
        text, departement = (
            suffix.group("name"),
            f"departement:{suffix.group('dep').upper()}",
        )
    folded = normalize_name(text)
    if not folded:
        return Match()
    if folded in _COVERS_FRANCE and lookup.get("pays:fr") is not None:
        return Match(lookup.get("pays:fr"))

    def in_departement(found: list[lookup.Territory]) -> list[lookup.Territory]:
        if departement is None:
            return found
        return [t for t in found if departement in t.parents or t.code == departement]

    levels = [level, None] if level else [None]
    for lvl in levels:
        found = lookup.search(text, level=lvl, limit=50)
        if found and text.upper() in (found[0].insee.upper(), found[0].code.upper()):
            return Match(found[0])  # a code rather than a name
        exact = in_departement([t for t in found if normalize_name(t.name) == folded])
        if len(exact) == 1:
            return Match(exact[0])
        if exact:
            near = [t for t in exact if any(_near(t, a) for a in anchor_codes)]
            if len(near) == 1:
                return Match(near[0])
            return Match(candidates=exact)
    for lvl in levels:
        found = in_departement(lookup.search(text, level=lvl, limit=50))
        if len(found) == 1:
            return Match(found[0], approximate=True)
    return Match()


def coverage(
    value: str, level: str | None, anchor_codes: list[str], warnings: list[str]
) -> list[str]:
    """COUV_SPAT_NOM as territory codes; a warning for each name not found."""
    if not value.strip():
        return []
    match = match_name(value, level, anchor_codes)
    if match.territory is None and not match.candidates and _SEVERAL.search(value):
        parts = [p for p in _SEVERAL.split(value) if p.strip()]
        codes: list[str] = []
        for part in parts:
            for code in coverage(part, level, anchor_codes, warnings):
                if code not in codes:
                    codes.append(code)
        return codes
    if match.territory is not None:
        if match.approximate:
            warnings.append(
                bilingual(
                    _(
                        "Avertissement : couverture « {value} » comprise comme "
                        "{territory} ({code})."
                    ),
                    value=value,
                    territory=match.territory.label,
                    code=match.territory.code,
                )
            )
        return [match.territory.code]
    if match.candidates:
        shown = match.candidates[:5]
        warnings.append(
            bilingual(
                _(
                    "Avertissement : couverture « {value} » ambiguë ({candidates}) : "
                    "ignorée. Précisez le département dans COUV_SPAT_NOM, par "
                    "exemple « {example} »."
                ),
                value=value,
                candidates=", ".join(t.label for t in shown)
                + (", …" if len(match.candidates) > len(shown) else ""),
                example=_with_departement(shown[0]),
            )
        )
        return []
    warnings.append(
        bilingual(
            _(
                "Avertissement : couverture « {value} » introuvable dans le Code "
                "officiel géographique : ignorée."
            ),
            value=value,
        )
    )
    return []


def _with_departement(territory: lookup.Territory) -> str:
    for parent in territory.parents:
        if parent.startswith("departement:"):
            return f"{territory.name} ({parent.split(':', 1)[1]})"
    return territory.name
