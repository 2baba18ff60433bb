"""Resources validated against their SCDL schema, through the job queue."""

from __future__ import annotations

from typing import Any

import pytest

import ckan.model as model
from ckan.tests import factories
from ckan.tests.helpers import call_action

from .conftest import Answer, PartnerServer, data, run_jobs

pytestmark = pytest.mark.usefixtures("clean_validation", "schemas_dir")

CSV = "text/csv; charset=utf-8"


def _admin() -> dict[str, Any]:
    return {
        "user": (model.User.get("val-admin") and "val-admin")
        or factories.Sysadmin(name="val-admin")["name"]
    }


def _call(action: str, **kwargs: Any) -> Any:
    return call_action(action, _admin(), **kwargs)


def _dataset(**kwargs: Any) -> dict[str, Any]:
    org = kwargs.pop("org", None) or factories.Organization()
    return factories.Dataset(owner_org=org["id"], **kwargs)


def _linked(server: PartnerServer, name: str, body: bytes | str, **answer: Any) -> str:
    server.route(
        f"/{name}", Answer(body=body, content_type=answer.pop("ct", CSV), **answer)
    )
    return f"{server.url}/{name}"


def _resource(pkg: dict[str, Any], url: str, **extra: Any) -> dict[str, Any]:
    fields = {"schema": "scdl/deliberations", "format": "CSV", "name": "Délibérations"}
    fields.update(extra)
    return _call("resource_create", package_id=pkg["id"], url=url, **fields)


def _show(resource_id: str, **context: Any) -> dict[str, Any]:
    return call_action("resource_validation_show", context or None, id=resource_id)


def test_valid_upload_utf8_bom_semicolon(create_with_upload):
    pkg = _dataset()
    res = create_with_upload(
        data("deliberations-utf8-bom.csv"),
        "deliberations.csv",
        package_id=pkg["id"],
        context={"user": factories.Sysadmin()["name"]},
        schema="scdl/deliberations",
        schema_version="2.1.5",
        format="CSV",
    )
    assert call_action("resource_show", id=res["id"])["validation_status"] == "pending"
    assert run_jobs() == 1
    shown = call_action("resource_show", id=res["id"])
    assert shown["validation_status"] == "success"
    assert shown["validation_timestamp"]
    result = _show(res["id"])
    assert result["status"] == "success"
    assert result["schema_version"] == "2.1.5"
    report = result["report"]
    assert report["rows"] == 4 and report["error_count"] == 0
    assert report["encoding"] == "utf-8" and report["bom"] is True
    assert report["delimiter"] == ";"


def test_valid_link_windows_1252(server):
    pkg = _dataset()
    url = _linked(
        server,
        "delib.csv",
        data("deliberations-cp1252.csv"),
        ct="text/csv; charset=windows-1252",
    )
    res = _resource(pkg, url)
    run_jobs()
    result = _show(res["id"])
    assert result["status"] == "success", result["report"]
    assert result["report"]["encoding"] == "windows-1252"
    assert server.hits("/delib.csv")


def test_invalid_file_french_report(server):
    pkg = _dataset()
    res = _resource(pkg, _linked(server, "bad.csv", data("deliberations-invalid.csv")))
    run_jobs()
    result = _show(res["id"])
    assert result["status"] == "failure"
    assert call_action("resource_show", id=res["id"])["validation_status"] == "failure"
    errors = {(e["row"], e["column"]): e for e in result["report"]["errors"]}
    assert result["error_count"] == len(errors) == 5

    missing = errors[(1, "DELIB_OBJET")]
    assert missing["code"] == "missing-label"
    assert "colonne obligatoire DELIB_OBJET" in missing["message"]

    date = errors[(2, "DELIB_DATE")]
    assert date["value"] == "15/03/2024"
    assert date["message"].startswith("Ligne 2, colonne DELIB_DATE : « 15/03/2024 »")
    assert "AAAA-MM-JJ" in date["expected"]

    siren = errors[(3, "COLL_SIRET")]
    assert siren["code"] == "siren-checksum"
    assert "216704628" in siren["message"] and "Luhn" in siren["message"]

    assert errors[(4, "DELIB_DATE")]["value"] == "2024-02-30"
    comma = errors[(4, "VOTE_EFFECTIF")]
    assert "virgule décimale" in comma["expected"]


def test_unknown_insee_code(server, cog):
    pkg = _dataset()
    res = _resource(
        pkg,
        _linked(server, "prenoms.csv", data("prenoms-insee.csv")),
        schema="scdl/prenoms",
    )
    run_jobs()
    result = _show(res["id"])
    assert result["status"] == "failure"
    (error,) = result["report"]["errors"]
    assert (error["row"], error["column"], error["value"]) == (3, "COLL_INSEE", "99999")
    assert error["code"] == "insee-unknown"
    assert "Code officiel géographique" in error["message"]


@pytest.mark.parametrize(
    ("name", "body", "status", "ct", "words"),
    [
        ("malformed.csv", data("malformed.csv"), 200, CSV, "mal formé"),
        ("binary.csv", data("binary.csv"), 200, CSV, "octets binaires"),
        ("empty.csv", b"", 200, CSV, "vide"),
        ("missing.csv", b"not found", 404, "text/plain", "404"),
        ("broken.csv", b"oops", 500, "text/plain", "500"),
        (
            "page.csv",
            b"<!DOCTYPE html><html><body>Connexion</body></html>",
            200,
            "text/html; charset=utf-8",
            "HTML",
        ),
        (
            "disguised.csv",
            b"<!DOCTYPE html><html><body>Connexion</body></html>",
            200,
            CSV,
            "HTML",
        ),
    ],
)
def test_bad_input_is_an_error(server, name, body, status, ct, words):
    pkg = _dataset(notes="Inchangé")
    res = _resource(pkg, _linked(server, name, body, status=status, ct=ct))
    before = call_action("package_show", id=pkg["id"])
    from ckanext.activity.model import Activity

    activities = model.Session.query(Activity).count()
    run_jobs()
    result = _show(res["id"])
    assert result["status"] == "error"
    message = result["report"]["error"]["message"]
    assert words in message
    after = call_action("package_show", id=pkg["id"])
    # nothing else of the dataset changed, and no activity was recorded
    assert after["metadata_modified"] == before["metadata_modified"]
    assert after["notes"] == "Inchangé"
    assert [r["url"] for r in after["resources"]] == [
        r["url"] for r in before["resources"]
    ]
    assert model.Session.query(Activity).count() == activities

    # the next job runs as usual
    good = _resource(pkg, _linked(server, "ok.csv", data("deliberations-utf8-bom.csv")))
    run_jobs()
    assert _show(good["id"])["status"] == "success"


def test_harvest_style_deferred_commit(server):
    """A caller that commits itself (defer_commit, as our harvesters) is not
    committed early; it schedules the validation once it has committed, as
    the harvesters' import_stage does."""
    from ckanext.territoire.validation.logic import schedule_if_declared

    admin = _admin()
    org = factories.Organization()
    url = _linked(server, "ok.csv", data("deliberations-utf8-bom.csv"))
    fields = {
        "name": "moissonne",
        "title": "Moissonné",
        "notes": "Jeu moissonné.",
        "owner_org": org["id"],
        "resources": [{"url": url, "schema": "scdl/deliberations", "format": "CSV"}],
    }
    call_action("package_create", {**admin, "defer_commit": True}, **fields)
    model.Session.rollback()
    assert model.Package.get("moissonne") is None
    assert run_jobs() == 0

    created = call_action("package_create", {**admin, "defer_commit": True}, **fields)
    model.Session.commit()
    assert run_jobs() == 0
    schedule_if_declared(created["id"])
    assert run_jobs() == 1
    (res,) = call_action("package_show", id="moissonne")["resources"]
    assert res["validation_status"] == "success"

    # a harvested dataset without a schema costs nothing
    plain = factories.Dataset(owner_org=org["id"])
    schedule_if_declared(plain["id"])
    assert run_jobs() == 0


def test_deleted_resource_forgets_its_report(server):
    pkg = _dataset()
    res = _resource(pkg, _linked(server, "ok.csv", data("deliberations-utf8-bom.csv")))
    run_jobs()
    _call("resource_delete", id=res["id"])
    from ckanext.territoire.validation import store

    assert store.get(res["id"]) is None


def test_upload_of_empty_file(create_with_upload):
    pkg = _dataset()
    res = create_with_upload(
        b"",
        "vide.csv",
        package_id=pkg["id"],
        schema="scdl/deliberations",
        context={"user": factories.Sysadmin()["name"]},
        format="CSV",
    )
    run_jobs()
    result = _show(res["id"])
    assert result["status"] == "error"
    assert "vide" in result["report"]["error"]["message"]


def test_missing_schema_version_is_an_error(server):
    pkg = _dataset()
    res = _resource(
        pkg,
        _linked(server, "d.csv", data("deliberations-utf8-bom.csv")),
        schema_version="1.0.0",
    )
    run_jobs()
    result = _show(res["id"])
    assert result["status"] == "error"
    assert "schemas refresh" in result["report"]["error"]["message"]


def test_status_cannot_be_forged_and_no_loop(server):
    pkg = _dataset()
    res = _resource(pkg, _linked(server, "bad.csv", data("deliberations-invalid.csv")))
    run_jobs()
    _call(
        "resource_patch",
        id=res["id"],
        validation_status="success",
        description="Texte modifié",
    )
    shown = call_action("resource_show", id=res["id"])
    assert shown["validation_status"] == "failure"
    # only the description changed: no new validation queued
    assert run_jobs() == 0
    # a new link: validated again
    _call(
        "resource_patch",
        id=res["id"],
        url=_linked(server, "ok.csv", data("deliberations-utf8-bom.csv")),
    )
    assert call_action("resource_show", id=res["id"])["validation_status"] == "pending"
    assert run_jobs() == 1
    assert _show(res["id"])["status"] == "success"


def test_schema_removed_forgets_the_report(server):
    pkg = _dataset()
    res = _resource(pkg, _linked(server, "ok.csv", data("deliberations-utf8-bom.csv")))
    run_jobs()
    _call("resource_patch", id=res["id"], schema="")
    shown = call_action("resource_show", id=res["id"])
    assert "validation_status" not in shown
    with pytest.raises(Exception, match="Aucune validation"):
        _show(res["id"])


def test_run_again_and_delete(server):
    owner = factories.User()
    org = factories.Organization(users=[{"name": owner["name"], "capacity": "editor"}])
    other = factories.User()
    pkg = _dataset(org=org)
    res = _resource(pkg, _linked(server, "ok.csv", data("deliberations-utf8-bom.csv")))
    run_jobs()
    import ckan.logic as logic

    with pytest.raises(logic.NotAuthorized):
        call_action(
            "resource_validation_run",
            {"user": other["name"], "ignore_auth": False},
            id=res["id"],
        )
    out = call_action(
        "resource_validation_run",
        {"user": owner["name"], "ignore_auth": False},
        id=res["id"],
    )
    assert out["status"] == "pending"
    assert run_jobs() == 1
    with pytest.raises(logic.NotAuthorized):
        call_action(
            "resource_validation_delete",
            {"user": owner["name"], "ignore_auth": False},
            id=res["id"],
        )
    sysadmin = factories.Sysadmin()
    call_action("resource_validation_delete", {"user": sysadmin["name"]}, id=res["id"])
    assert "validation_status" not in call_action("resource_show", id=res["id"])


def test_private_report_hidden(server, app):
    member = factories.User()
    stranger = factories.User()
    org = factories.Organization(users=[{"name": member["name"], "capacity": "member"}])
    pkg = _dataset(org=org, private=True)
    res = _resource(pkg, _linked(server, "ok.csv", data("deliberations-utf8-bom.csv")))
    run_jobs()
    import ckan.logic as logic

    for user in ("", stranger["name"]):
        with pytest.raises(logic.NotAuthorized):
            call_action(
                "resource_validation_show",
                {"user": user, "ignore_auth": False},
                id=res["id"],
            )
    assert (
        _show(res["id"], user=member["name"], ignore_auth=False)["status"] == "success"
    )
    # over HTTP too: anonymous gets 403, not the report
    answer = app.get(
        "/api/3/action/resource_validation_show",
        params={"id": res["id"]},
        status=403,
    )
    assert "DELIB" not in answer.get_data(as_text=True)
    page = app.get(
        f"/dataset/{pkg['name']}/resource/{res['id']}/validation", status=404
    )
    assert "DELIB" not in page.get_data(as_text=True)


def test_run_again_from_the_report_page(server, app):
    editor = factories.User()
    org = factories.Organization(users=[{"name": editor["name"], "capacity": "editor"}])
    pkg = _dataset(org=org)
    res = _resource(pkg, _linked(server, "ok.csv", data("deliberations-utf8-bom.csv")))
    run_jobs()
    url = f"/dataset/{pkg['name']}/resource/{res['id']}/validation"
    token = factories.APIToken(user=editor["name"])["token"]
    page = app.get(url, headers={"Authorization": token}).get_data(as_text=True)
    assert "Relancer la validation" in page
    assert "Relancer la validation" not in app.get(url).get_data(as_text=True)
    answer = app.post(url + "/run", headers={"Authorization": token})
    assert "La validation a été relancée" in answer.get_data(as_text=True)
    assert call_action("resource_show", id=res["id"])["validation_status"] == "pending"
    assert run_jobs() == 1
    app.post(url + "/run", status=403)


def test_report_page_and_badges(server, app):
    pkg = _dataset()
    res = _resource(pkg, _linked(server, "bad.csv", data("deliberations-invalid.csv")))
    run_jobs()
    page = app.get(f"/dataset/{pkg['name']}/resource/{res['id']}/validation")
    html = page.get_data(as_text=True)
    assert "Attendu par le schéma" in html
    assert "15/03/2024" in html and "DELIB_DATE" in html
    assert "5 erreurs" in html
    dataset_page = app.get(f"/dataset/{pkg['name']}").get_data(as_text=True)
    assert "territoire-validation-badge" in dataset_page
    assert "Validation : 5 erreurs" in dataset_page
    resource_page = app.get(f"/dataset/{pkg['name']}/resource/{res['id']}").get_data(
        as_text=True
    )
    assert "Validation : 5 erreurs" in resource_page
    english = app.get(
        f"/en/dataset/{pkg['name']}/resource/{res['id']}/validation"
    ).get_data(as_text=True)
    assert "Expected by the schema" in english
    assert "this schema does not accept DD/MM/YYYY" in english
    assert "5 errors found" in english


class TestDraftGate:
    def _draft(self, server: PartnerServer, body: bytes) -> tuple[dict, dict]:
        pkg = _dataset(state="draft")
        res = _resource(pkg, _linked(server, "f.csv", body))
        return pkg, res

    @pytest.mark.ckan_config("ckanext.territoire.validation.required", "true")
    def test_invalid_file_keeps_the_dataset_in_draft(self, server):
        pkg, res = self._draft(server, data("deliberations-invalid.csv"))
        # not validated yet: refused
        with pytest.raises(Exception, match="validation en cours"):
            _call("package_patch", id=pkg["id"], state="active")
        run_jobs()
        import ckan.logic as logic

        with pytest.raises(logic.ValidationError) as raised:
            _call("package_patch", id=pkg["id"], state="active")
        message = raised.value.error_dict["state"][0]
        assert "« Délibérations »" in message and "5 erreurs" in message
        assert call_action("package_show", id=pkg["id"])["state"] == "draft"

    @pytest.mark.ckan_config("ckanext.territoire.validation.required", "true")
    def test_valid_file_lets_it_go(self, server, app):
        pkg, res = self._draft(server, data("deliberations-utf8-bom.csv"))
        run_jobs()
        _call("package_patch", id=pkg["id"], state="active")
        assert call_action("package_show", id=pkg["id"])["state"] == "active"

    @pytest.mark.ckan_config("ckanext.territoire.validation.required", "true")
    def test_api_409_when_created_active(self, server, app):
        sysadmin = factories.Sysadmin()
        org = factories.Organization()
        token = factories.APIToken(user=sysadmin["name"])["token"]
        answer = app.post(
            "/api/3/action/package_create",
            json={
                "name": "delib-direct",
                "title": "Délibérations",
                "owner_org": org["id"],
                "resources": [
                    {
                        "url": f"{server.url}/x.csv",
                        "name": "Délib 2024",
                        "schema": "scdl/deliberations",
                        "format": "CSV",
                    }
                ],
            },
            headers={"Authorization": token},
            status=409,
        )
        (message,) = answer.json["error"]["state"]
        assert "« Délib 2024 »" in message and "non validé" in message

    @pytest.mark.ckan_config("ckanext.territoire.validation.required", "true")
    def test_harvests_are_not_gated(self, server):
        org = factories.Organization()
        call_action(
            "package_create",
            {**_admin(), "territoire_harvest": True},
            name="moissonne-actif",
            title="Moissonné",
            notes="Jeu moissonné.",
            owner_org=org["id"],
            resources=[
                {
                    "url": _linked(
                        server, "bad.csv", data("deliberations-invalid.csv")
                    ),
                    "schema": "scdl/deliberations",
                    "format": "CSV",
                }
            ],
        )
        assert call_action("package_show", id="moissonne-actif")["state"] == "active"
        run_jobs()
        (res,) = call_action("package_show", id="moissonne-actif")["resources"]
        assert res["validation_status"] == "failure"

    def test_gate_off_by_default(self, server):
        pkg, res = self._draft(server, data("deliberations-invalid.csv"))
        run_jobs()
        _call("package_patch", id=pkg["id"], state="active")
        assert call_action("package_show", id=pkg["id"])["state"] == "active"
