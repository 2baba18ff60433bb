"""The ``territoire`` plugin: the regional portal's own behaviour on top of CKAN."""

from __future__ import annotations

import functools
import logging
import os
from collections import OrderedDict
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation

from . import compat, settings
from .security import cookies
from .vocabularies import codelists

log = logging.getLogger(__name__)


def env_overrides(environ: dict[str, str]) -> dict[str, str]:
    """Config options given as ``CKAN__X__Y`` / ``CKANEXT__X__Y`` variables."""
    out = {}
    for name, value in environ.items():
        for prefix in ("CKAN__", "CKANEXT__"):
            if name.startswith(prefix) and len(name) > len(prefix):
                key = prefix[:-2].lower() + "." + name[len(prefix) :].lower()
                out[key.replace("__", ".")] = value
    return out


def _merged(*registries: dict[str, Any]) -> dict[str, Any]:
    """One registry of our actions or auth functions.

    CKAN takes one function per plugin and name. Where two of our modules
    chain the same action (or auth function), they are composed into one
    chained function: the module listed first runs first. Anything else
    registered twice is a start-up error naming it.
    """
    found: dict[str, list[Any]] = {}
    for registry in registries:
        for name, fn in registry.items():
            found.setdefault(name, []).append(fn)
    return {
        name: fns[0] if len(fns) == 1 else _compose(name, fns)
        for name, fns in found.items()
    }


def _compose(name: str, fns: list[Any]) -> Any:
    for kind in ("chained_action", "chained_auth_function"):
        if all(getattr(fn, kind, False) for fn in fns):
            break
    else:
        modules = ", ".join(fn.__module__ for fn in fns)
        raise RuntimeError(
            f"ckanext-territoire: {name} is registered by {modules} and not "
            "all of them chain it: chain each one, or register it once."
        )

    def composed(up_func: Any, context: Any, data_dict: Any) -> Any:
        call = up_func
        for fn in reversed(fns):
            call = functools.partial(fn, call)
        return call(context, data_dict)

    composed.__name__ = name
    composed.__doc__ = fns[0].__doc__
    setattr(composed, kind, True)
    for flag in ("side_effect_free", "auth_allow_anonymous_access"):
        if all(getattr(fn, flag, False) for fn in fns):
            setattr(composed, flag, True)
    # upstream's exemption from the auth audit, which a chain must carry
    # (CKAN copies only the chained function's attributes): any link knows it
    if any(getattr(fn, "auth_audit_exempt", False) for fn in fns):
        composed.auth_audit_exempt = True  # type: ignore[attr-defined]
    return composed


def _blueprints() -> list[Any]:
    from .api.views import api_docs
    from .datastore.dump import dump_blueprint
    from .dcat import views
    from .join.views import blueprint as join
    from .portal.sitemap import sitemap
    from .portal.views import portal
    from .publish.views import blueprint as publish
    from .security.blueprint import security
    from .validation.views import validation

    # the DataStore dump before the datastore plugin's: same URL, fixed
    return [
        dump_blueprint,
        *views.get_blueprints(),
        security,
        validation,
        portal,
        sitemap,
        api_docs,
        join,
        publish,
    ]


@tk.blanket.cli
@tk.blanket.blueprints(_blueprints)
@tk.blanket.helpers
@tk.blanket.validators
@tk.blanket.config_declarations
class TerritoirePlugin(compat.SyncsPatches, p.SingletonPlugin, DefaultTranslation):
    p.implements(p.IConfigurer)
    p.implements(p.IPluginObserver, inherit=True)
    p.implements(p.ITranslation)
    p.implements(p.IActions)
    p.implements(p.IAuthFunctions)
    p.implements(p.IFacets, inherit=True)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IGroupController, inherit=True)
    p.implements(p.IOrganizationController, inherit=True)
    p.implements(p.IMiddleware, inherit=True)
    p.implements(p.ISignal)

    # IConfigurer

    def update_config(self, config: tk.CKANConfig) -> None:
        tk.add_template_directory(config, "templates")
        tk.add_public_directory(config, "public")
        tk.add_resource("assets", "territoire")
        # the French-centred licence list replaces CKAN's default one
        if not config.get("licenses_group_url"):
            licenses = codelists.path(codelists.PORTAL_LICENSES)
            config["licenses_group_url"] = f"file://{licenses}"
        if settings.get_bool("ckanext.territoire.env_overrides"):
            for key, value in env_overrides(dict(os.environ)).items():
                if key != "ckan.plugins":
                    config[key] = value
        cookies.secure_on_https(config)
        compat.sync()

    # IMiddleware

    def make_middleware(self, app: Any, config: Any) -> Any:
        from .portal import popularity
        from .portal.transport import Transport

        # views of public dataset pages, for "most viewed" on the home page
        app.after_request(popularity.after_request)

        # around Flask's WSGI callable: after CKAN's own response hooks
        app.wsgi_app = Transport(
            app.wsgi_app, compress=settings.get_bool("ckanext.territoire.compression")
        )
        return app

    # IActions / IAuthFunctions

    def get_actions(self) -> dict[str, Any]:
        from .api import guards as api_guards
        from .datastore import logic as datastore_logic
        from .dcat import actions as dcat_actions
        from .harvesters import logic as harvest_logic
        from .join import invitations
        from .join import logic as join_logic
        from .logic import action as schema_actions
        from .logic import privacy
        from .security import actions as guarded_actions
        from .territories import actions
        from .validation import logic as validation_logic

        # the request guards first: they refuse malformed input before the
        # other chains (and CKAN) do any work
        return _merged(
            guarded_actions.get_actions(),
            api_guards.get_actions(),
            actions.get_actions(),
            schema_actions.get_actions(),
            privacy.get_actions(),
            dcat_actions.get_actions(),
            harvest_logic.get_actions(),
            validation_logic.get_actions(),
            datastore_logic.get_actions(),
            join_logic.get_actions(),
            invitations.get_actions(),
        )

    def get_auth_functions(self) -> dict[str, Any]:
        from .harvesters import logic as harvest_logic
        from .join import invitations
        from .join import logic as join_logic
        from .territories import actions
        from .validation import logic as validation_logic

        return _merged(
            actions.get_auth_functions(),
            harvest_logic.get_auth_functions(),
            validation_logic.get_auth_functions(),
            join_logic.get_auth_functions(),
            invitations.get_auth_functions(),
        )

    # ISignal

    def get_signal_subscriptions(self) -> dict[Any, Any]:
        from .join import invitations

        # an invitation is accepted when its link sets the password
        return {tk.signals.perform_password_reset: [invitations.accepted]}

    # IFacets

    def dataset_facets(
        self, facets_dict: OrderedDict[str, Any], package_type: str
    ) -> OrderedDict[str, Any]:
        from .logic import facets

        return facets.dataset_facets(facets_dict)

    def organization_facets(
        self,
        facets_dict: OrderedDict[str, Any],
        organization_type: str,
        package_type: str | None,
    ) -> OrderedDict[str, Any]:
        return self.dataset_facets(facets_dict, package_type or "dataset")

    def group_facets(
        self,
        facets_dict: OrderedDict[str, Any],
        group_type: str,
        package_type: str | None,
    ) -> OrderedDict[str, Any]:
        return self.dataset_facets(facets_dict, package_type or "dataset")

    # IPackageController

    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        from .logic import facets

        if pkg_dict.get("type", "dataset") == "dataset":
            pkg_dict.update(facets.index_fields(pkg_dict))
        return pkg_dict

    def after_dataset_show(self, context: Any, pkg_dict: dict[str, Any]) -> None:
        from .harvesters.sources import restore_source_organization

        restore_source_organization(pkg_dict)

    def after_dataset_create(self, context: Any, pkg_dict: dict[str, Any]) -> None:
        from .harvesters.base import index_in_action

        index_in_action(context, pkg_dict)

    def after_dataset_update(self, context: Any, pkg_dict: dict[str, Any]) -> None:
        from .dcat.freshness import dataset_updated
        from .harvesters.base import index_in_action
        from .logic import privacy

        index_in_action(context, pkg_dict, updated=True)
        # its past activities take its current visibility (made private or
        # public, deleted: bulk changes come this way too)
        privacy.relabel_activities(pkg_dict["id"])
        dataset_updated(pkg_dict.get("id"))

    def before_dataset_search(self, search_params: dict[str, Any]) -> dict[str, Any]:
        from .logic.territorial_search import search_filters

        clauses = search_filters(search_params.get("extras") or {})
        if clauses:
            fq = search_params.get("fq") or ""
            search_params["fq"] = " ".join([fq] + ["+" + c for c in clauses]).strip()
        return search_params

    def after_dataset_search(
        self, search_results: dict[str, Any], search_params: dict[str, Any]
    ) -> dict[str, Any]:
        from .logic import facets

        facets.label_facets(search_results)
        return search_results

    # IGroupController / IOrganizationController (and IPackageController,
    # which shares the name: harmless there): an organisation's kind is part
    # of its datasets' index documents, cached for a minute per process

    def edit(self, entity: Any) -> None:
        from .logic import facets

        facets.forget_org(entity.id)
