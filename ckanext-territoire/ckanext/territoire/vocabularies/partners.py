"""The codes of partner protocols mapped to ours.

udata's licence, frequency and granularity ids, CKAN licence ids and the
values of the SCDL catalogue's listed columns: each maps to a code of
``codelists`` (the tests check that every target is one). What a harvester
does with a value missing from these tables (warning, default) is the
harvester's business.
"""

from __future__ import annotations

from . import free_text

# udata ------------------------------------------------------------------------

# udata licence ids → ours. ``fr-lo`` (Licence Ouverte 1.0) is read as 2.0,
# which replaces it and keeps its terms. Ids without an equal of ours
# (odc-by, odc-pddl, other-*) become "other" with a warning naming them.
UDATA_LICENSES = {
    "lov2": "etalab-2.0",
    "fr-lo": "etalab-2.0",
    "etalab-2.0": "etalab-2.0",
    "odc-odbl": "odc-odbl",
    "cc-by": "cc-by-4.0",
    "cc-by-sa": "cc-by-sa-4.0",
    "cc-zero": "cc-zero",
}
#: udata's ids of a licence not given
UDATA_NOT_SPECIFIED = ("notspecified", "")

# udata frequency ids → EU frequency codes. Both the current ids (EU-like:
# ``irreg``, ``annual_2``…) and the legacy ones (``irregular``,
# ``semiannual``…) that older portals and payloads carry. Rule: the least
# frequent of our codes that the real rhythm still honours (three times a
# week is at least WEEKLY, every two months at least QUARTERLY); faster than
# daily is DAILY, except hourly and real time, which are CONT. Rhythms slower
# than every two years (triennial, quinquennial, decennial) have no code:
# they are left out, and become UNKNOWN with a warning.
UDATA_FREQUENCIES = {
    "unknown": "UNKNOWN",
    "other": "UNKNOWN",
    "never": "NEVER",
    "not_planned": "NEVER",
    "punctual": "NEVER",  # « Ponctuelle » on data.gouv.fr, as our NEVER
    "as_needed": "IRREG",
    "irregular": "IRREG",
    "irreg": "IRREG",
    "continuous": "CONT",
    "realtime": "CONT",
    "update_cont": "CONT",
    "hourly": "CONT",
    "cont": "DAILY",  # current udata: « several times a day »
    "fourTimesADay": "DAILY",
    "threeTimesADay": "DAILY",
    "semidaily": "DAILY",
    "daily_2": "DAILY",
    "daily": "DAILY",
    "fourTimesAWeek": "WEEKLY",
    "threeTimesAWeek": "WEEKLY",
    "semiweekly": "WEEKLY",
    "weekly_5": "WEEKLY",
    "weekly_3": "WEEKLY",
    "weekly_2": "WEEKLY",
    "weekly": "WEEKLY",
    "biweekly": "BIWEEKLY",
    "fortnighly": "BIWEEKLY",  # sic, a legacy udata id
    "threeTimesAMonth": "BIWEEKLY",
    "semimonthly": "BIWEEKLY",
    "monthly_3": "BIWEEKLY",
    "monthly_2": "BIWEEKLY",
    "monthly": "MONTHLY",
    "bimonthly": "QUARTERLY",
    "quarterly": "QUARTERLY",
    "threeTimesAYear": "ANNUAL_2",
    "annual_3": "ANNUAL_2",
    "semiannual": "ANNUAL_2",
    "biannual": "ANNUAL_2",
    "annual_2": "ANNUAL_2",
    "annual": "ANNUAL",
    "biennial": "BIENNIAL",
}

# udata spatial granularities → the schema's granularity values
UDATA_GRANULARITIES = {
    "poi": "infra-commune",
    "fr:iris": "infra-commune",
    "fr:commune": "commune",
    "fr:epci": "epci",
    "fr:departement": "departement",
    "fr:region": "region",
    "country": "country",
    "fr:canton": "other",
    "fr:arrondissement": "other",
    "fr:collectivite": "other",
    "country-group": "other",
    "country-subset": "other",
    "other": "other",
}


# CKAN -------------------------------------------------------------------------

# CKAN's default list (ckan/config/licenses.json, versions unspecified there)
# and ids used by French CKAN and udata portals
CKAN_LICENSE_IDS = {
    "etalab-2.0": "etalab-2.0",
    "lov2": "etalab-2.0",
    "licence-ouverte-2.0": "etalab-2.0",
    "odc-odbl": "odc-odbl",
    "cc-by": "cc-by-4.0",
    "cc-by-4.0": "cc-by-4.0",
    "cc-by-sa": "cc-by-sa-4.0",
    "cc-by-sa-4.0": "cc-by-sa-4.0",
    "cc-zero": "cc-zero",
    "cc0-1.0": "cc-zero",
    "other": "other",
}


def license_from_ckan(license_id: str, *names: str) -> str | None:
    """Our licence id for a remote CKAN's id, title or URL; None if unknown.

    The ids above are matched exactly; anything else goes through the licence
    names and URLs every harvester recognises (``free_text.license_code``:
    versions and NC/ND variants checked).
    """
    known = CKAN_LICENSE_IDS.get((license_id or "").strip().lower())
    if known:
        return known
    for text in (license_id, *names):
        found = free_text.license_code(text or "")
        if found:
            return found
    return None


# SCDL catalogue (scdl/catalogue 0.1.3) ------------------------------------------

# COUV_SPAT_MAILLE → the schema's granularity values
SCDL_GRANULARITIES = {
    "Infracommunale": "infra-commune",
    "Communale": "commune",
    "Intercommunale": "epci",
    "Cantonale": "other",
    "Départementale": "departement",
    "Régionale": "region",
    "Autre": "other",
}

# FREQ_MAJ → EU frequency: the least frequent of our codes that the rhythm
# still honours (« plusieurs fois par mois » is at least MONTHLY, every two
# months at least QUARTERLY), hourly is continuous; slower than every two
# years has no code (None: UNKNOWN, with a warning). Same rule as udata's.
SCDL_FREQUENCIES: dict[str, str | None] = {
    "Inconnue": "UNKNOWN",
    "Ponctuelle": "NEVER",
    "Irrégulière": "IRREG",
    "Continuelle": "CONT",
    "Toutes les heures": "CONT",
    "Quotidienne ou plusieurs fois par jour": "DAILY",
    "Hebdomadaire ou plusieurs fois par semaine": "WEEKLY",
    "Mensuelle ou plusieurs fois par mois": "MONTHLY",
    "Bimestrielle": "QUARTERLY",
    "Trimestrielle": "QUARTERLY",
    "Semestrielle": "ANNUAL_2",
    "Annuelle": "ANNUAL",
    "Biennale": "BIENNIAL",
    "Triennale": None,
    "Quinquennale": None,
}

# LICENCE → our licences. « Creative Commons-CC » does not say which one
# (BY, BY-SA, NC…): "other", with a warning.
SCDL_LICENCES = {
    "Licence Ouverte-LO": "etalab-2.0",
    "Open Database License-ODBL": "odc-odbl",
    "Creative Commons-CC": "other",
    "Spécifique ou autre": "other",
}
