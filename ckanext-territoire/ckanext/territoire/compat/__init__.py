"""Every change this extension makes to upstream code, and every use of its internals.

CKAN, ckanext-harvest and ckanext-dcat offer hooks for most of what the
portal needs (plugin interfaces, chained actions, ckanext-dcat's profiles
and harvester hooks). Where no hook serves, the upstream function is
replaced, or its private internals are called, here and nowhere else:

- ``search``: CKAN's search calls (``make_connection``, ``is_available``,
  ``check_solr_schema_version``, ``rebuild``) routed to the PostgreSQL
  backend while ``territoire_pgsearch`` is loaded;
- ``dictize``: a batched copy of CKAN's ``package_dictize`` for the rebuild;
- ``harvest``: ckanext-harvest's queue connection (redis-py 8) and its fetch
  consumer's callback, leaner for our harvesters;
- ``commits``: a SQLAlchemy engine listener committing ckanext-harvest's
  bookkeeping updates without waiting for the disk;
- ``dcat``: ckanext-dcat's serializer and profile internals used by the
  tolerant catalogue, the dump and our DCAT harvester; rdflib's IRI check.

The rules, enforced by ``tests/test_compat.py``:

- importing a module of ours changes nothing upstream: a patch is installed
  by :func:`sync`, which our plugins call from ``update_config`` and after
  any plugin is unloaded (``IPluginObserver``);
- a patch is in place only while one of the plugins that need it (its
  ``owners``) is loaded; unloading them undoes it. A replacement also checks
  its owners when it is called, so that it steps aside (and undoes itself)
  even when the last of our plugins went without a hook of ours running;
- each patch names the upstream distributions whose internals it relies on;
  :func:`sync` compares their installed versions with :data:`TESTED` (the
  versions the patches were written and tested against) and refuses to
  start when they differ, naming them. ``ckanext.territoire.compat.strict =
  false`` turns the refusal into a logged warning, for an operator who has
  checked a patch release.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import logging
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

import ckan.plugins as p

from ckanext.territoire import settings

log = logging.getLogger(__name__)

#: The upstream versions the patches were written and tested against. ckan,
#: ckanext-harvest and ckanext-dcat are the versions setup.py pins (a test
#: keeps them equal): bumping one means reading every patch that names it.
TESTED: dict[str, str] = {
    "ckan": "==2.12.0",
    "ckanext-harvest": "==1.6.3",
    "ckanext-dcat": "==2.4.4",
    # ckanext-dcat lets pip choose rdflib; the private IRI check we call has
    # had the same rule throughout rdflib 7
    "rdflib": ">=7.0,<8",
}

STRICT_OPTION = "ckanext.territoire.compat.strict"


class UpstreamVersionError(RuntimeError):
    """An upstream distribution is not the version a patch was written against."""


def installed_version(dist: str) -> str:
    """The installed version of ``dist`` (CKAN's from ``ckan.__version__``)."""
    if dist == "ckan":
        import ckan

        return str(ckan.__version__)
    return _distribution_version(dist)


@functools.cache
def _distribution_version(dist: str) -> str:
    """Read once per process: :func:`sync` runs at every plugin load and
    unload, and reading a distribution's metadata scans the installed ones."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return ""


def _matches(found: str, spec: str) -> bool:
    try:
        return Version(found) in SpecifierSet(spec)
    except InvalidVersion:
        return False


# --------------------------------------------------------------------------
# Building blocks


class Swap:
    """``module.attr`` replaced by ``new``, and every binding of the original.

    Modules that imported the original by name (``from ckan.lib.search.common
    import make_connection``) hold their own binding: with ``sweep``, every
    loaded ``ckan``/``ckanext`` module holding the original gets the
    replacement too, and each holding the replacement gets the original back
    on :meth:`undo` (those imported in between included).

    ``new`` receives the original as its first argument. While ``owned()`` is
    false, a call goes to the original and undoes the whole patch.
    """

    def __init__(
        self,
        module: str,
        attr: str,
        new: Callable[..., Any],
        sweep: bool = False,
    ) -> None:
        self.module, self.attr, self.new, self.sweep = module, attr, new, sweep
        self.original: Any = None
        self.installed: Callable[..., Any] | None = None
        self.patch: Patch | None = None

    def _wrapper(self) -> Callable[..., Any]:
        original, new, swap = self.original, self.new, self

        def routed(*args: Any, **kwargs: Any) -> Any:
            patch = swap.patch
            if patch is not None and not patch.owned():
                patch.undo()
                return original(*args, **kwargs)
            return new(original, *args, **kwargs)

        routed.__name__ = getattr(original, "__name__", self.attr)
        routed.__qualname__ = getattr(original, "__qualname__", self.attr)
        routed.__doc__ = new.__doc__ or getattr(original, "__doc__", None)
        routed.__wrapped__ = original  # type: ignore[attr-defined]
        routed.__territoire_patch__ = self  # type: ignore[attr-defined]
        return routed

    def apply(self) -> None:
        target = importlib.import_module(self.module)
        current = getattr(target, self.attr)
        if self.installed is not None and current is self.installed:
            return
        self.original = current
        self.installed = self._wrapper()
        for module in self._holders(current, target):
            setattr(module, self.attr, self.installed)

    def undo(self) -> None:
        if self.installed is None:
            return
        target = importlib.import_module(self.module)
        for module in self._holders(self.installed, target):
            setattr(module, self.attr, self.original)
        self.installed = None

    def is_applied(self) -> bool:
        target = sys.modules.get(self.module)
        return (
            self.installed is not None
            and target is not None
            and getattr(target, self.attr, None) is self.installed
        )

    def _holders(self, value: Any, target: Any) -> list[Any]:
        holders = [target] if getattr(target, self.attr, None) is value else []
        if self.sweep:
            for name, module in list(sys.modules.items()):
                if (
                    module is not None
                    and module is not target
                    and name.startswith(("ckan.", "ckanext."))
                    and getattr(module, self.attr, None) is value
                ):
                    holders.append(module)
        return holders


class Listen:
    """SQLAlchemy event listeners on ``target`` (a class: every engine)."""

    def __init__(self, target: Any, events: Iterable[tuple[str, Callable[..., Any]]]):
        self.target = target
        self.events = tuple(events)

    def apply(self) -> None:
        import sqlalchemy as sa

        for name, fn in self.events:
            if not sa.event.contains(self.target, name, fn):
                sa.event.listen(self.target, name, fn)

    def undo(self) -> None:
        import sqlalchemy as sa

        for name, fn in self.events:
            if sa.event.contains(self.target, name, fn):
                sa.event.remove(self.target, name, fn)

    def is_applied(self) -> bool:
        import sqlalchemy as sa

        return all(sa.event.contains(self.target, n, fn) for n, fn in self.events)


@dataclass
class Patch:
    """One change to upstream code, or one reliance on its internals.

    A patch without ``changes`` only relies on internals (private functions
    called, private methods overridden): it is version-checked like the others
    while its owners are loaded.
    """

    name: str
    #: the upstream functions replaced, copied or relied on, and why no
    #: public hook serves (shown by ``ckan territoire compat``)
    replaces: str
    #: our plugins that need it; it is in place while one of them is loaded
    owners: tuple[str, ...]
    #: the distributions (keys of TESTED) whose internals it relies on
    upstream: tuple[str, ...]
    changes: tuple[Swap | Listen, ...] = ()
    #: a configuration switch: False keeps the patch out even when owned
    enabled: Callable[[], bool] = field(default=lambda: True)

    def __post_init__(self) -> None:
        for change in self.changes:
            if isinstance(change, Swap):
                change.patch = self

    def owned(self) -> bool:
        return any(p.plugin_loaded(name) for name in self.owners)

    def wanted(self) -> bool:
        return self.owned() and self.enabled()

    def apply(self) -> None:
        for change in self.changes:
            change.apply()

    def undo(self) -> None:
        for change in self.changes:
            change.undo()

    def is_applied(self) -> bool:
        return bool(self.changes) and all(c.is_applied() for c in self.changes)


# --------------------------------------------------------------------------
# The registry


def patches() -> list[Patch]:
    """Every patch, in installation order."""
    from . import commits, dcat, dictize, harvest, search

    return [
        *search.PATCHES,
        *dictize.PATCHES,
        *harvest.PATCHES,
        *commits.PATCHES,
        *dcat.PATCHES,
    ]


def version_problems(selected: Iterable[Patch]) -> list[str]:
    """One line per upstream distribution that differs from TESTED."""
    users: dict[str, list[str]] = {}
    for patch in selected:
        for dist in patch.upstream:
            users.setdefault(dist, []).append(patch.name)
    out = []
    for dist, names in users.items():
        spec = TESTED[dist]
        found = installed_version(dist)
        if not _matches(found, spec):
            out.append(
                f"{dist} {found or '(absent)'} ≠ {spec.lstrip('=')} : "
                + ", ".join(sorted(set(names)))
            )
    return out


def check_versions(selected: Iterable[Patch]) -> None:
    problems = version_problems(selected)
    if not problems:
        return
    message = (
        "ckanext-territoire : des adaptations de code amont ont été écrites pour "
        "d'autres versions que celles installées :\n  "
        + "\n  ".join(problems)
        + "\nInstallez les versions de setup.py, ou relisez ces adaptations "
        "(ckanext/territoire/compat/) contre les versions installées et mettez "
        "compat.TESTED à jour. ckanext.territoire.compat.strict = false démarre "
        "malgré tout (avertissement seulement).\n"
        "ckanext-territoire: patches of upstream code were written against other "
        "versions than the installed ones (listed above: distribution, installed "
        "≠ expected: patches). Install the versions setup.py pins, or review "
        "those patches (ckanext/territoire/compat/) against the installed "
        "versions and update compat.TESTED; ckanext.territoire.compat.strict = "
        "false starts anyway, with a warning."
    )
    if settings.get_bool(STRICT_OPTION):
        raise UpstreamVersionError(message)
    log.warning(message)


def report() -> list[dict[str, Any]]:
    """Each patch: what it replaces, whether it is in place, its upstream versions."""
    return [
        {
            "name": patch.name,
            "replaces": patch.replaces,
            "owners": list(patch.owners),
            "needed": patch.wanted(),
            "applied": patch.is_applied() if patch.changes else None,
            "upstream": {
                dist: {"tested": TESTED[dist], "installed": installed_version(dist)}
                for dist in patch.upstream
            },
        }
        for patch in patches()
    ]


def sync() -> None:
    """Put in place the patches the loaded plugins need; undo the others.

    Idempotent; raises ``UpstreamVersionError`` (before changing anything)
    when a needed patch's upstream version differs from the tested one.
    """
    everything = patches()
    wanted = [patch for patch in everything if patch.wanted()]
    check_versions(wanted)
    for patch in reversed(everything):
        if patch not in wanted:
            patch.undo()
    for patch in wanted:
        patch.apply()


def original(module: str, attr: str) -> Any:
    """Upstream's own ``module.attr``, whether or not a patch replaced it."""
    current = getattr(importlib.import_module(module), attr)
    return getattr(current, "__wrapped__", current) if _is_ours(current) else current


def _is_ours(value: Any) -> bool:
    return getattr(value, "__territoire_patch__", None) is not None


def undo_all() -> None:
    for patch in reversed(patches()):
        patch.undo()


class SyncsPatches:
    """Mixin of our plugins: patches follow the plugins unloaded.

    Plugins using it declare ``p.implements(p.IPluginObserver, inherit=True)``
    and call :func:`sync` from their ``update_config``.
    """

    def after_unload(self, service: Any) -> None:
        sync()
