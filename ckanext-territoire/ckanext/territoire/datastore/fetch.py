"""The bytes of a resource: its uploaded file, or its link downloaded safely.

A link goes through the harvesters' address guard (``harvesters/http.py``):
http(s) only, no loopback, private, link-local or metadata address unless
allow-listed in ``ckanext.territoire.harvest.allowed_networks``, every
connection and redirect checked again, a total deadline and a size limit,
streamed to disk (files are bigger than harvest pages).
"""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests

from ckan.lib import uploader

from .. import settings
from ..harvesters.http import (
    AddressPolicy,
    HarvestHTTPError,
    _blocked_cause,
    check_url,
    guard,
)
from ..harvesters.messages import _
from .normalise import LoadError

CHUNK = 1 << 16
REDIRECTS = 5


def max_size() -> int:
    return settings.get_int("ckanext.territoire.datastore.max_size")


def too_big(limit: int) -> LoadError:
    return LoadError(
        _(
            "Le fichier dépasse {mb} Mo, la taille maximale chargée dans le "
            "DataStore : il reste téléchargeable tel quel. Découpez-le, ou "
            "demandez à un administrateur d'augmenter "
            "ckanext.territoire.datastore.max_size."
        ),
        mb=limit // (1024 * 1024),
    )


def fetch(resource: dict[str, Any], target: Path) -> str:
    """Copy the resource's data to ``target``; its MD5 (as CKAN's hash)."""
    limit = max_size()
    if resource.get("url_type") == "upload":
        source = Path(uploader.get_resource_uploader(resource).get_path(resource["id"]))
        if not source.exists():
            raise LoadError(
                _(
                    "Le fichier déposé est introuvable sur le serveur : déposez-le "
                    "à nouveau."
                )
            )
        if source.stat().st_size > limit:
            raise too_big(limit)
        with open(source, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, CHUNK)
        return _md5(target)
    return download(resource.get("url") or "", target, limit)


def _md5(path: Path) -> str:
    m = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            m.update(chunk)
    return m.hexdigest()


def download(url: str, target: Path, limit: int) -> str:
    policy = AddressPolicy.from_config()
    timeout = settings.get_int("ckanext.territoire.datastore.timeout")
    deadline = time.monotonic() + timeout
    session = guard(requests.Session(), policy)
    session.headers["User-Agent"] = "ckanext-territoire datastore loader"
    m = hashlib.md5(usedforsecurity=False)
    try:
        for _hop in range(REDIRECTS + 1):
            try:
                check_url(url, policy)
            except HarvestHTTPError as e:
                raise LoadError(
                    _("Le lien {url} ne peut pas être téléchargé : {reason}"),
                    url=url,
                    reason=e.french(),
                ) from e
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _timeout(url, timeout)
            with session.get(
                url,
                stream=True,
                allow_redirects=False,
                timeout=(min(remaining, 10.0), remaining),
            ) as r:
                if r.status_code in (301, 302, 303, 307, 308) and r.headers.get(
                    "location"
                ):
                    url = urljoin(url, r.headers["location"])
                    continue
                if r.status_code >= 400:
                    raise LoadError(
                        _(
                            "Le lien {url} a répondu « {status} » : le fichier "
                            "n'est pas disponible à cette adresse. Corrigez le lien "
                            "de la ressource, ou réessayez si le serveur était "
                            "momentanément indisponible."
                        ),
                        url=url,
                        status=f"{r.status_code} {r.reason or ''}".strip(),
                    )
                length = r.headers.get("content-length")
                if length and length.isdigit() and int(length) > limit:
                    raise too_big(limit)
                size = 0
                with open(target, "wb") as out:
                    for chunk in r.iter_content(CHUNK):
                        size += len(chunk)
                        if size > limit:
                            raise too_big(limit)
                        if time.monotonic() > deadline:
                            raise _timeout(url, timeout)
                        out.write(chunk)
                        m.update(chunk)
                return m.hexdigest()
        raise LoadError(
            _(
                "Trop de redirections depuis le lien {url} : donnez l'adresse finale du fichier."
            ),
            url=url,
        )
    except requests.Timeout as e:
        raise _timeout(url, timeout) from e
    except requests.RequestException as e:
        blocked = _blocked_cause(e)
        if blocked:
            raise LoadError(
                _(
                    "Le lien {url} mène à {address}, une adresse interne : il "
                    "n'est pas téléchargé. Si ce serveur est légitime, un "
                    "administrateur doit l'autoriser dans "
                    "ckanext.territoire.harvest.allowed_networks."
                ),
                url=url,
                address=blocked.address,
            ) from e
        raise LoadError(
            _(
                "Le lien {url} est injoignable ({error}) : vérifiez l'adresse, "
                "puis relancez le chargement."
            ),
            url=url,
            error=type(e).__name__,
        ) from e
    finally:
        session.close()


def _timeout(url: str, seconds: int) -> LoadError:
    return LoadError(
        _(
            "Le téléchargement de {url} a dépassé {seconds} s : réessayez plus "
            "tard, ou demandez à un administrateur d'augmenter "
            "ckanext.territoire.datastore.timeout."
        ),
        url=url,
        seconds=seconds,
    )
