"""Partners' free text recognised as our codes.

Where a code list is expected, partners write words: « Transports,
Déplacements », « Mensuelle », ``R/P1Y``, « Licence Ouverte v2.0 (Etalab) »,
« communale ». Every harvester (Opendatasoft, SCDL, CKAN, DCAT feeds) maps
them through the functions below, so that they all agree. Text is compared
folded (``normalize_name``: lower case, no accents, words of letters and
digits); the codes are those of ``codelists``.
"""

from __future__ import annotations

import re

from ckanext.territoire.territories.codes import normalize_name

from . import codelists


def _table(spec: dict[str, str]) -> dict[str, str]:
    """``{phrase: code}`` from ``{code: "phrase|phrase|…"}`` (folded phrases)."""
    return {
        normalize_name(phrase): code
        for code, phrases in spec.items()
        for phrase in phrases.split("|")
    }


# Themes -----------------------------------------------------------------------

#: Opendatasoft's standard themes (French and English labels), folded
ODS_THEMES: dict[str, tuple[str, ...]] = {
    "administration gouvernement finances publiques citoyennete": ("GOVE",),
    "amenagement du territoire urbanisme batiments equipements logement": ("REGI",),
    "culture patrimoine": ("EDUC",),
    "patrimoine culturel": ("EDUC",),
    "economie business pme developpement economique emploi": ("ECON",),
    "education formation recherche enseignement": ("EDUC",),
    "environnement": ("ENVI",),
    "transports deplacements": ("TRAN",),
    "sante": ("HEAL",),
    "sports loisirs": ("EDUC",),
    "services social": ("SOCI",),
    "services sociaux": ("SOCI",),
    "justice securite police criminalite": ("JUST",),
    "hebergement industrie hoteliere": ("ECON",),
    "administration government public finances citizenship": ("GOVE",),
    "housing development town planning buildings equipment": ("REGI",),
    "spatial planning town planning buildings equipment housing": ("REGI",),
    "culture heritage": ("EDUC",),
    "economy business sme economic development employment": ("ECON",),
    "education training research teaching": ("EDUC",),
    "environment": ("ENVI",),
    "transport movements": ("TRAN",),
    "health": ("HEAL",),
    "sports leisure": ("EDUC",),
    "justice safety police crime": ("JUST",),
    "accommodation hospitality industry": ("ECON",),
}

#: words and phrases of other themes (a theme is split on , ; / & et)
THEME_WORDS = _table(
    {
        "AGRI": "agriculture|agricole|peche|sylviculture|foret|forets|alimentation|"
        "agroalimentaire|food",
        "ECON": "economie|economique|developpement economique|business|pme|"
        "entreprise|entreprises|emploi|commerce|commerces|industrie|artisanat|"
        "tourisme|hebergement|industrie hoteliere|finances|finance|economy|"
        "employment|tourism",
        "EDUC": "education|enseignement|formation|ecoles|culture|patrimoine|"
        "patrimoine culturel|sport|sports|loisirs|jeunesse|musees|bibliotheques|"
        "heritage|leisure",
        "ENER": "energie|energies|electricite|gaz|energy",
        "ENVI": "environnement|eau|dechets|air|qualite de l air|climat|biodiversite|"
        "nature|espaces verts|ecologie|developpement durable|bruit|environment",
        "GOVE": "administration|gouvernement|citoyennete|finances publiques|budget|"
        "marches publics|elections|democratie|institutions|collectivites|"
        "vie publique|government|public finances|citizenship",
        "HEAL": "sante|hopitaux|health",
        "INTR": "international|europe|cooperation internationale",
        "JUST": "justice|securite|securite publique|police|criminalite|delinquance|"
        "secours|pompiers|safety|crime",
        "REGI": "amenagement|amenagement du territoire|urbanisme|batiments|"
        "equipements|logement|habitat|cadastre|foncier|voirie|adresses|"
        "cartographie|geographie|limites administratives|housing|town planning|"
        "buildings",
        "SOCI": "social|action sociale|solidarite|population|demographie|societe|"
        "enfance|petite enfance|famille|personnes agees|handicap|associations",
        "TECH": "science|sciences|recherche|technologie|technologies|numerique|"
        "telecommunications|innovation|research|technology",
        "TRAN": "transports|transport|deplacements|mobilite|mobilites|"
        "stationnement|velo|circulation|trafic|mobility",
    }
)
#: the words people search a theme by, beyond its names (put in the full
#: text of its datasets: "transport" finds the Transports theme). General
#: words only: "vélo" would bring every dataset of the theme for a bicycle.
THEME_SYNONYMS: dict[str, tuple[str, ...]] = {
    "AGRI": ("agriculture", "pêche", "forêt", "alimentation"),
    "ECON": ("économie", "finances", "emploi", "entreprises", "tourisme"),
    "EDUC": ("éducation", "enseignement", "culture", "sport", "patrimoine"),
    "ENER": ("énergie", "électricité"),
    "ENVI": ("environnement", "écologie", "climat", "nature"),
    "GOVE": ("administration", "gouvernement", "institutions", "collectivités"),
    "HEAL": ("santé",),
    "INTR": ("international", "europe"),
    "JUST": ("justice", "sécurité"),
    "REGI": ("aménagement", "urbanisme", "logement", "territoire"),
    "SOCI": ("social", "société", "population", "solidarité"),
    "TECH": ("science", "technologie", "numérique", "recherche"),
    "TRAN": ("transport", "transports", "mobilité", "déplacements"),
}

_THEME_SPLIT = re.compile(r"\s*(?:[,;/&]|\bet\b|\band\b)\s*")


def theme_codes(value: str) -> list[str]:
    """EU data-theme codes for one theme name (Opendatasoft, DCAT labels).

    A code or a data-theme URI, an Opendatasoft standard theme, or else the
    known words of its parts; empty if none is known.
    """
    code = value.strip().rsplit("/", 1)[-1].upper()
    if code in codelists.codes(codelists.THEMES):  # a code, or a data-theme URI
        return [code]
    key = normalize_name(value)
    if key in ODS_THEMES:
        return list(ODS_THEMES[key])
    found: list[str] = []
    for part in _THEME_SPLIT.split(re.sub(r"[^\w,;/&' ]+", " ", value.lower())):
        phrase = normalize_name(part)
        hits = [THEME_WORDS.get(phrase)]
        if hits[0] is None:  # "Transports urbains": word by word
            hits = [THEME_WORDS.get(w) for w in phrase.split()]
        found += [h for h in hits if h and h not in found]
    return found


#: stems that begin a word of a free description of themes (SCDL's THEME
#: column); several themes may match
THEME_STEMS: dict[str, tuple[str, ...]] = {
    code: tuple(stems.split("|"))
    for code, stems in {
        "AGRI": "agricult|agrono|alimentation|peche|foret|sylvicult",
        "ECON": "econom|financ|budget|fiscal|emploi|commerce|entreprise|tourism|"
        "artisanat",
        "EDUC": "educat|enseignement|ecole|scolaire|culture|culturel|sport|loisir|"
        "patrimoine|bibliothe|musee|jeunesse",
        "ENER": "energ|electricit",
        "ENVI": "environnement|ecolog|climat|biodiversit|dechet|eau|eaux|air|nature|"
        "espaces verts|pollution|bruit|proprete|developpement durable",
        "GOVE": "administration|gouvern|institution|elu|elus|election|deliberation|"
        "citoyen|democrat|collectivit|services publics|marches publics|subvention",
        "HEAL": "sante|medic|hopita|sanitaire|covid",
        "INTR": "international|europe|jumelage",
        "JUST": "justice|securite|police|delinquance|risque|secours",
        "REGI": "urbanisme|amenagement|territoire|logement|habitat|cadastre|foncier|"
        "quartier|geograph|adresse|batiment",
        "SOCI": "social|sociale|sociaux|solidarit|population|demograph|societe|"
        "famille|enfance|handicap|senior|etat civil|prenom|associati",
        "TECH": "numerique|technolog|science|recherche|innovation",
        "TRAN": "transport|mobilit|deplacement|stationnement|velo|circulation|"
        "voirie|route|trafic|parking",
    }.items()
}
# stems that must match a whole word (« eau » is not « eaubonne »)
_WHOLE_WORDS = {"eau", "eaux", "air", "elu", "elus", "velo", "route"}


def theme_codes_in_text(value: str) -> list[str]:
    """EU data-theme codes of every theme whose stems begin a word of ``value``."""
    words = normalize_name(value).split()
    text = " ".join(words)
    found = []
    for code, stems in THEME_STEMS.items():
        for stem in stems:
            if " " in stem:
                hit = f" {stem} " in f" {text} "
            elif stem in _WHOLE_WORDS:
                hit = stem in words
            else:
                hit = any(w.startswith(stem) for w in words)
            if hit:
                found.append(code)
                break
    return found


# Licences ---------------------------------------------------------------------

_CC = re.compile(r"\bcc\b|creative ?commons")
_CC_ZERO = re.compile(
    r"\bcc ?0\b|\bcc zero\b|publicdomain zero|public domain dedication"
)
_CC_RESTRICTED = re.compile(
    r"\b(nc|nd)\b|non ?commercial|no ?deriv|pas d utilisation commerciale|"
    r"pas de modification"
)
_CC_SA = re.compile(
    r"\bby sa\b|sharealike|share alike|partage dans les memes conditions"
)
_CC_BY = re.compile(r"\bby\b|attribution|paternite")
_CC_V4 = re.compile(r"\b4( 0)?\b")
_ODBL = re.compile(r"\bodbl\b|open database licen[cs]e")
_ETALAB = re.compile(r"licence ouverte|open licen[cs]e|\betalab\b|\blov2\b|\bfr lo\b")
_ETALAB_V1 = re.compile(r"\bv ?1\b|\b1 0\b|version 1\b|\bfr lo\b")


def license_code(text: str) -> str | None:
    """Our licence id for a licence name or URL; ``other`` for a licence
    recognised but not ours (another version, NC/ND…); None if unknown."""
    t = normalize_name(text)
    if not t:
        return None
    if _ODBL.search(t):
        return "odc-odbl"
    if _CC_ZERO.search(t):
        return "cc-zero"
    if _CC.search(t):
        if _CC_RESTRICTED.search(t) or not _CC_V4.search(t):
            return codelists.OTHER_LICENSE
        if _CC_SA.search(t):
            return "cc-by-sa-4.0"
        return "cc-by-4.0" if _CC_BY.search(t) else codelists.OTHER_LICENSE
    if _ETALAB.search(t):
        return codelists.OTHER_LICENSE if _ETALAB_V1.search(t) else "etalab-2.0"
    return None


# Frequencies ------------------------------------------------------------------

#: free-text frequencies (French, English, Dublin Core), folded
FREQUENCY_WORDS = _table(
    {
        "CONT": "en continu|continu|continue|continuous|continuously updated|"
        "temps reel|en temps reel|real time|realtime|horaire|toutes les heures|"
        "hourly",
        "DAILY": "quotidienne|quotidien|journaliere|journalier|tous les jours|"
        "chaque jour|daily",
        "WEEKLY": "hebdomadaire|toutes les semaines|chaque semaine|weekly",
        "BIWEEKLY": "bimensuelle|bimensuel|toutes les deux semaines|"
        "tous les 15 jours|tous les quinze jours|biweekly|fortnightly",
        "MONTHLY": "mensuelle|mensuel|tous les mois|chaque mois|monthly",
        "QUARTERLY": "trimestrielle|trimestriel|tous les trois mois|quarterly",
        "ANNUAL_2": "semestrielle|semestriel|tous les six mois|semiannual|"
        "semi annual|biannual|half yearly",
        "ANNUAL": "annuelle|annuel|tous les ans|chaque annee|annual|yearly",
        "BIENNIAL": "biennale|biennal|bisannuelle|bisannuel|tous les deux ans|biennial",
        "IRREG": "irreguliere|irregulier|irregular|variable|au fil de l eau|"
        "a la demande|selon les besoins",
        "NEVER": "ponctuelle|ponctuel|aucune|aucune mise a jour|pas de mise a jour|"
        "sans mise a jour|unique|never|one off|historique|archive|figee",
        "UNKNOWN": "inconnue|inconnu|non renseignee|non renseigne|unknown",
    }
)

#: ISO 8601 durations (``R/P1Y`` or ``P1Y``)
DURATIONS = {
    "PT1H": "CONT", "P1D": "DAILY", "P1W": "WEEKLY", "P7D": "WEEKLY",
    "P2W": "BIWEEKLY", "P14D": "BIWEEKLY", "P1M": "MONTHLY", "P3M": "QUARTERLY",
    "P6M": "ANNUAL_2", "P1Y": "ANNUAL", "P12M": "ANNUAL", "P2Y": "BIENNIAL",
}  # fmt: skip


def frequency_code(value: str) -> str | None:
    """The EU frequency code of a code, an EU or Dublin Core URI, an ISO 8601
    duration or a frequency in words; None if unknown."""
    text = value.strip()
    last = text.rstrip("/").rsplit("/", 1)[-1]  # an EU or Dublin Core URI
    if last.upper() in codelists.codes(codelists.FREQUENCIES):
        return last.upper()
    duration = re.sub(r"^R\d*/", "", text.upper())
    if duration in DURATIONS:
        return DURATIONS[duration]
    return FREQUENCY_WORDS.get(normalize_name(text)) or FREQUENCY_WORDS.get(
        normalize_name(last)
    )


# Granularity ------------------------------------------------------------------

#: granularity words → the schema's granularity values
GRANULARITY_WORDS = _table(
    {
        "infra-commune": "infracommunale|infra communale|iris|adresse|parcelle|"
        "quartier|bureau de vote",
        "commune": "commune|communes|communale",
        "epci": "epci|intercommunale|intercommunalite|intercommunalites",
        "departement": "departement|departements|departementale",
        "region": "region|regions|regionale",
        "country": "pays|nationale|national|france",
    }
)


def granularity_code(text: str) -> str | None:
    return GRANULARITY_WORDS.get(normalize_name(text))
