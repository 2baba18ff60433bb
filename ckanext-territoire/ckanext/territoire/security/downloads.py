"""A resource whose stored URL is no link has no download (404, not a 500).

CKAN's download view redirects to the resource's URL with
``h.redirect_to(url)``, which takes a text that is neither a link of
``ckan.valid_url_schemes`` nor a path for the name of a route: ``url_for``
then fails with ``BuildError`` (an internal error) for ``javascript:…``, an
empty URL, or one that ``urlsplit`` cannot read. The schema refuses such URLs
now (``territoire_resource_url``); this answers for those stored before, or
by code that bypassed validation.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request

import ckan.model as model
import ckan.plugins.toolkit as tk


def _links_somewhere(url: str) -> bool:
    """Whether CKAN's download view can redirect to ``url``.

    Without a scheme, CKAN's ``resource_dictize`` prefixes ``http://``.
    """
    if not url:
        return False
    try:
        scheme = urlsplit(url).scheme
    except ValueError:
        return False
    return not scheme or scheme in (tk.config.get("ckan.valid_url_schemes") or [])


def check() -> None:
    """Abort with 404 the download of a link-less resource."""
    # resource.download, dataset_resource.download, <type>_resource.download
    if not (request.endpoint or "").endswith("resource.download"):
        return
    resource = model.Resource.get((request.view_args or {}).get("resource_id", ""))
    if resource is None or resource.url_type == "upload":
        return  # CKAN's view answers these
    if not _links_somewhere(resource.url or ""):
        tk.abort(
            404,
            tk._(
                "Aucun téléchargement disponible : l'adresse de cette ressource "
                "n'est pas un lien."
            ),
        )
