"""HTTP for harvesters: no request reaches inside our network.

Every harvest request goes through ``SafeHTTP``:

- the URL must be ``http`` or ``https``;
- its host is resolved and refused when any address is loopback, private,
  link-local (cloud metadata services live there), shared, multicast or
  otherwise not global, unless allow-listed by
  ``ckanext.territoire.harvest.allowed_networks``;
- the address actually connected to is checked again, on every connection,
  so that a DNS answer that changes between check and connection (DNS
  rebinding) is caught too;
- redirects are followed by hand, each target checked the same way;
- timeouts (connection, read, and a total deadline) and a maximum response
  size stop a partner that hangs or sends too much;
- the content type must be the one expected (JSON, CSV, RDF).

Failures raise ``HarvestHTTPError``, whose message names the URL, the problem
and what to do, in French and English.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.retry import Retry

import ckan.plugins.toolkit as tk

from .messages import HarvestMessage, _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# not covered by ``is_global`` on every Python version, or worth naming
_ALWAYS_BLOCKED = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "169.254.0.0/16",  # link-local, cloud metadata (169.254.169.254)
        "fd00:ec2::/32",  # AWS metadata over IPv6
        "64:ff9b::/96",  # NAT64 to any IPv4 address
    )
]

CONTENT_TYPES: dict[str, tuple[str, ...]] = {
    "json": ("application/json", "text/json", "application/geo+json"),
    "csv": (
        "text/csv",
        "application/csv",
        "text/plain",
        "text/x-csv",
        "application/vnd.ms-excel",
        "application/octet-stream",
    ),
    "rdf": (
        "application/rdf+xml",
        "text/turtle",
        "application/x-turtle",
        "application/ld+json",
        "application/n-triples",
        "text/n3",
        "application/xml",
        "text/xml",
    ),
}
KIND_NAMES = {"json": "JSON", "csv": "CSV", "rdf": "RDF"}


class HarvestHTTPError(HarvestMessage):
    """A request that failed; the gather stage turns it into a job error."""


class BlockedAddress(OSError):
    def __init__(self, address: str) -> None:
        super().__init__(f"blocked address {address}")
        self.address = address


# --------------------------------------------------------------------------
# Address policy
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class AddressPolicy:
    allowed: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_config(cls) -> AddressPolicy:
        raw = tk.config.get("ckanext.territoire.harvest.allowed_networks") or []
        if isinstance(raw, str):
            raw = raw.split()
        networks = []
        for item in raw:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError as e:
                raise ValueError(
                    f"ckanext.territoire.harvest.allowed_networks: {item!r} "
                    "is not an IP address or network (e.g. 127.0.0.1/32, 10.0.0.0/8)"
                ) from e
        return cls(tuple(networks))

    def is_allowed(self, address: str) -> bool:
        ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        if any(ip in net for net in self.allowed):
            return True
        if any(ip in net for net in _ALWAYS_BLOCKED if net.version == ip.version):
            return False
        return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise HarvestHTTPError(
            _(
                "Le nom d'hôte {host} ne peut pas être résolu ({error}) : "
                "vérifiez l'adresse du portail partenaire."
            ),
            host=host,
            error=e.strerror or e,
        ) from e
    return sorted({str(info[4][0]) for info in infos})


def check_url(url: str, policy: AddressPolicy | None = None) -> None:
    """Refuse a URL whose scheme or host's addresses the policy does not allow."""
    policy = policy or AddressPolicy.from_config()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HarvestHTTPError(
            _(
                "L'adresse {url} n'est pas une URL http ou https : donnez "
                "l'adresse complète du portail, par exemple https://data.exemple.fr."
            ),
            url=url,
        )
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for address in resolve(parts.hostname, port):
        if not policy.is_allowed(address):
            raise HarvestHTTPError(
                _(
                    "L'adresse {url} mène à {address}, une adresse interne "
                    "(boucle locale, réseau privé ou service de métadonnées) : "
                    "le moissonnage ne peut pas l'atteindre. Si ce portail est "
                    "légitime, un administrateur doit l'autoriser dans "
                    "ckanext.territoire.harvest.allowed_networks."
                ),
                url=url,
                address=address,
            )


# --------------------------------------------------------------------------
# Connections that check the address they reach
# --------------------------------------------------------------------------


class _Guard:
    policy: AddressPolicy

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # type: ignore[misc]
        address = sock.getpeername()[0]
        if not self.policy.is_allowed(address):
            sock.close()
            raise BlockedAddress(address)
        return sock


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, policy: AddressPolicy, timeout: float | None = None) -> None:
        self._policy = policy
        self._timeout = timeout
        super().__init__(max_retries=Retry(total=0, redirect=False), pool_maxsize=4)

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        # sessions handed to other code (ckanext-dcat's) may set no timeout
        if kwargs.get("timeout") is None and self._timeout:
            kwargs["timeout"] = self._timeout
        return super().send(request, **kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        http_conn = type(
            "GuardedHTTPConnection", (_Guard, HTTPConnection), {"policy": self._policy}
        )
        https_conn = type(
            "GuardedHTTPSConnection",
            (_Guard, HTTPSConnection),
            {"policy": self._policy},
        )
        self.poolmanager.pool_classes_by_scheme = {
            "http": type(
                "GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}
            ),
            "https": type(
                "GuardedHTTPSPool",
                (HTTPSConnectionPool,),
                {"ConnectionCls": https_conn},
            ),
        }


def guard(
    session: requests.Session,
    policy: AddressPolicy | None = None,
    timeout: float | None = None,
) -> requests.Session:
    """``session`` with every connection checked by the policy."""
    session.trust_env = False  # no proxy from the environment: it would hide the peer
    adapter = _GuardedAdapter(policy or AddressPolicy.from_config(), timeout)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _blocked_cause(exc: BaseException) -> BlockedAddress | None:
    seen = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, BlockedAddress):
            return e
        stack += [e.__cause__, e.__context__]
        stack += [a for a in getattr(e, "args", ()) if isinstance(a, BaseException)]
        reason = getattr(e, "reason", None)
        if isinstance(reason, BaseException):
            stack.append(reason)
    return None


# --------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------


@dataclass
class Response:
    url: str
    status: int
    content_type: str
    content: bytes
    headers: dict[str, str]

    def text(self) -> str:
        # UTF-8 whatever the header says (every format we read is UTF-8), a
        # byte order mark dropped
        return self.content.decode("utf-8-sig", errors="replace")


class SafeHTTP:
    """GET with the checks above; one instance per harvest job."""

    def __init__(
        self,
        timeout: float | None = None,
        max_bytes: int | None = None,
        policy: AddressPolicy | None = None,
        max_redirects: int = 5,
    ) -> None:
        self.timeout = float(
            timeout or tk.config.get("ckanext.territoire.harvest.timeout")
        )
        self.max_bytes = int(
            max_bytes or tk.config.get("ckanext.territoire.harvest.max_response_size")
        )
        self.policy = policy or AddressPolicy.from_config()
        self.max_redirects = max_redirects
        self.session = guard(requests.Session(), self.policy)
        self.session.headers["User-Agent"] = (
            "ckanext-territoire harvester (+https://github.com/ckan/ckan)"
        )
        self.requests = 0

    def close(self) -> None:
        self.session.close()

    def get(
        self,
        url: str,
        params: dict[str, Any] | None = None,
        kind: str | None = None,
        accept: str | None = None,
    ) -> Response:
        """GET ``url``; ``kind`` (json, csv, rdf) checks the content type."""
        if params:
            prepared = requests.Request("GET", url, params=params).prepare()
            url = prepared.url or url
        headers = {"Accept": accept} if accept else {}
        deadline = time.monotonic() + self.timeout
        for _hop in range(self.max_redirects + 1):
            check_url(url, self.policy)
            response = self._send(url, headers, deadline)
            if response.status in (301, 302, 303, 307, 308):
                location = response.headers.get("location")
                if not location:
                    break
                url = urljoin(url, location)
                continue
            break
        else:
            raise HarvestHTTPError(
                _(
                    "Trop de redirections depuis {url} (plus de {n}) : vérifiez "
                    "l'adresse du portail partenaire."
                ),
                url=url,
                n=self.max_redirects,
            )
        if response.status >= 400:
            raise HarvestHTTPError(
                _(
                    "Le portail partenaire a répondu {status} pour {url} : "
                    "{detail}. Vérifiez l'adresse et la configuration de la "
                    "source, ou réessayez plus tard si le portail est indisponible."
                ),
                status=response.status,
                url=url,
                detail=_error_detail(response).rstrip(" ."),
            )
        if kind:
            self._check_type(response, kind)
        return response

    def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        """GET a JSON document, decoded."""
        return self.get_json_with_url(url, params)[1]

    def get_json_with_url(
        self, url: str, params: dict[str, Any] | None = None
    ) -> tuple[str, Any]:
        """(URL finally read, after redirects; the JSON document, decoded)."""
        response = self.get(url, params, kind="json", accept="application/json")
        try:
            return response.url, json.loads(response.content)
        except ValueError as e:
            raise HarvestHTTPError(
                _(
                    "La réponse de {url} n'est pas du JSON valide ({error}) : "
                    "le portail partenaire renvoie un contenu malformé."
                ),
                url=response.url,
                error=e,
            ) from e

    def _send(self, url: str, headers: dict[str, str], deadline: float) -> Response:
        self.requests += 1
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise self._timeout(url)
        try:
            with self.session.get(
                url,
                headers=headers,
                stream=True,
                allow_redirects=False,
                timeout=(min(remaining, 10.0), remaining),
            ) as r:
                length = r.headers.get("content-length")
                if length and length.isdigit() and int(length) > self.max_bytes:
                    raise self._too_big(url)
                chunks, size = [], 0
                for chunk in r.iter_content(65536):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise self._too_big(url)
                    if time.monotonic() > deadline:
                        raise self._timeout(url)
                    chunks.append(chunk)
                return Response(
                    url=url,
                    status=r.status_code,
                    content_type=r.headers.get("content-type", ""),
                    content=b"".join(chunks),
                    headers={k.lower(): v for k, v in r.headers.items()},
                )
        except HarvestHTTPError:
            raise
        except requests.Timeout as e:
            raise self._timeout(url) from e
        except requests.RequestException as e:
            blocked = _blocked_cause(e)
            if blocked:
                raise HarvestHTTPError(
                    _(
                        "La connexion à {url} a abouti à {address}, une adresse "
                        "interne : elle est refusée. Si ce portail est légitime, "
                        "un administrateur doit l'autoriser dans "
                        "ckanext.territoire.harvest.allowed_networks."
                    ),
                    url=url,
                    address=blocked.address,
                ) from e
            raise HarvestHTTPError(
                _(
                    "Le portail partenaire {url} est injoignable ({error}) : "
                    "il est peut-être arrêté ; le moissonnage réessaiera à la "
                    "prochaine exécution, sans rien changer d'ici là."
                ),
                url=url,
                error=type(e).__name__,
            ) from e

    def _timeout(self, url: str) -> HarvestHTTPError:
        return HarvestHTTPError(
            _(
                "Le portail partenaire {url} n'a pas répondu en {seconds} s : "
                "réessayez plus tard, ou augmentez "
                "ckanext.territoire.harvest.timeout."
            ),
            url=url,
            seconds=int(self.timeout),
        )

    def _too_big(self, url: str) -> HarvestHTTPError:
        return HarvestHTTPError(
            _(
                "La réponse de {url} dépasse {limit} octets : elle est "
                "abandonnée. Réduisez la taille des pages de la source ou "
                "augmentez ckanext.territoire.harvest.max_response_size."
            ),
            url=url,
            limit=self.max_bytes,
        )

    def _check_type(self, response: Response, kind: str) -> None:
        mime = response.content_type.split(";", 1)[0].strip().lower()
        accepted: Sequence[str] = CONTENT_TYPES[kind]
        if mime in accepted or (kind == "json" and mime.endswith("+json")):
            return
        if kind == "rdf" and mime.endswith("+xml"):
            return
        raise HarvestHTTPError(
            _(
                "{url} a renvoyé du « {mime} » là où du {kind} était attendu : "
                "l'adresse ne mène pas à l'API attendue (page d'erreur, "
                "portail en maintenance ?). Vérifiez l'URL de la source."
            ),
            url=response.url,
            mime=mime or "?",
            kind=KIND_NAMES[kind],
        )


def _error_detail(response: Response) -> str:
    """What the partner said, from the usual JSON error envelopes."""
    try:
        body = json.loads(response.content[:65536])
    except ValueError:
        return response.content[:200].decode("utf-8", "replace").strip() or "-"
    if isinstance(body, dict):
        for key in ("message", "error", "detail"):
            value = body.get(key)
            if isinstance(value, dict):
                value = value.get("message")
            if isinstance(value, str) and value:
                return value[:300]
    return "-"
