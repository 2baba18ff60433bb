"""Licence ids of remote CKAN portals mapped to ours.

CKAN's default licence list and the French portals' own ids are matched
exactly; anything else goes through the licence names and URLs recognised by
the Opendatasoft mapping (``opendatasoft.license_code``: versions and NC/ND
variants checked), so that every harvester agrees.
"""

from __future__ import annotations

from .opendatasoft import license_code

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
    """Our licence id for a remote CKAN's id, title or URL; None if unknown."""
    known = CKAN_LICENSE_IDS.get((license_id or "").strip().lower())
    if known:
        return known
    for text in (license_id, *names):
        found = license_code(text or "")
        if found:
            return found
    return None
