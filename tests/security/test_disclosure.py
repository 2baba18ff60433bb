"""Visitors are told neither CKAN's version nor the plugins nor the operators' e-mail.

``status_show`` told every anonymous caller ``ckan_version``, ``extensions``
(the plugin list) and ``error_emails_to``; every page had
``<meta name="generator" content="ckan 2.12.0">``.
"""

from __future__ import annotations

import pytest

from ckan.tests import factories

pytestmark = pytest.mark.usefixtures("clean_db")


def test_status_show_tells_visitors_neither_version_nor_plugins(app):
    result = app.get("/api/action/status_show").json["result"]
    assert "ckan_version" not in result
    assert "extensions" not in result
    assert "error_emails_to" not in result
    assert result["site_title"] == "Données ouvertes Grand Est"


def test_status_show_tells_a_registered_user_neither(app):
    user = factories.UserWithToken()
    result = app.get(
        "/api/action/status_show", headers={"Authorization": user["token"]}
    ).json["result"]
    assert "ckan_version" not in result and "extensions" not in result


def test_status_show_tells_sysadmins_everything(app):
    admin = factories.SysadminWithToken()
    result = app.get(
        "/api/action/status_show", headers={"Authorization": admin["token"]}
    ).json["result"]
    assert result["ckan_version"] == "2.12.0"
    assert "territoire" in result["extensions"]


def test_pages_have_no_generator_meta(app):
    body = app.get("/").get_data(as_text=True)
    assert 'name="generator"' not in body
    assert "2.12.0" not in body
