"""The territorial dataset and organisation schemas, through CKAN's actions."""

from __future__ import annotations

import pytest

import ckan.logic as logic
import ckan.model as model
from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = pytest.mark.usefixtures("clean_db", "cog")


def commune_org(**kw):
    return factories.Organization(
        kind="commune", cog_code="67447", title="Ville de Schiltigheim", **kw
    )


def agency_org(**kw):
    return factories.Organization(kind="agence", title="ATMO Grand Est", **kw)


def create(org, **fields):
    user = factories.Sysadmin()
    data = {
        "name": "qualite-air",
        "title": "Qualité de l'air",
        "notes": "Mesures horaires.",
        "owner_org": org["id"],
        **fields,
    }
    return call_action("package_create", {"user": user["name"]}, **data)


def errors_of(org, **fields) -> dict:
    before = model.Session.query(model.Package).count()
    with pytest.raises(logic.ValidationError) as e:
        create(org, **fields)
    # nothing is saved when a field fails
    assert model.Session.query(model.Package).count() == before
    return e.value.error_dict


def test_full_dataset_round_trip():
    org = agency_org()
    ds = create(
        org,
        territories=["2a004", "246700488", "fr:departement:67", "region:44"],
        granularity="commune",
        temporal_start="2020-01-01",
        temporal_end="2024-12-31",
        frequency="MONTHLY",
        themes=["envi", "HEAL"],
        tag_string="air,pollution",
        contact_name="Service données",
        contact_email="contact@atmo-grandest.eu",
        issued="2021-03-01",
        modified="2024-06-30",
        provenance_identifier="qualite-air@atmo",
        provenance_url="https://data.atmo-grandest.eu/",
        resources=[
            {
                "url": "https://example.org/air.csv",
                "format": "CSV",
                "name": "Mesures",
                "schema": "scdl/deliberations",
                "schema_version": "2.1.5",
                "size": 1024,
            }
        ],
    )
    shown = call_action("package_show", id=ds["id"])
    assert shown["territories"] == [
        "commune:2A004",
        "epci:246700488",
        "departement:67",
        "region:44",
    ]
    assert shown["themes"] == ["ENVI", "HEAL"]
    assert shown["frequency"] == "MONTHLY"
    assert shown["license_id"] == "etalab-2.0"
    assert (
        shown["license_url"]
        == "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
    )
    assert shown["resources"][0]["schema"] == "scdl/deliberations"
    assert shown["resources"][0]["size"] == 1024


def test_licence_list_is_french_centred():
    ids = {lic["id"] for lic in call_action("license_list")}
    assert ids == {
        "etalab-2.0",
        "odc-odbl",
        "cc-by-4.0",
        "cc-by-sa-4.0",
        "cc-zero",
        "other",
    }


@pytest.mark.ckan_config("ckanext.territoire.default_territory", "region:44")
def test_portal_default_coverage():
    ds = create(agency_org())
    assert call_action("package_show", id=ds["id"])["territories"] == ["region:44"]
    agency = factories.Organization(kind="agence", territory="departement:67")
    ds = create(agency, name="autre")
    assert call_action("package_show", id=ds["id"])["territories"] == ["departement:67"]


def test_unknown_territory_names_the_value():
    errors = errors_of(agency_org(), territories=["67482", "99999"])
    assert any(
        "« 99999 »" in m and "Code officiel géographique" in m
        for m in errors["territories"]
    )


def test_malformed_territory():
    errors = errors_of(agency_org(), territories="commune:ABC")
    assert any("mal formé" in m and "commune:ABC" in m for m in errors["territories"])


def test_former_commune_code_is_replaced():
    ds = create(agency_org(), territories=["01340"])
    assert call_action("package_show", id=ds["id"])["territories"] == ["commune:01015"]


@pytest.mark.ckan_config("ckanext.territoire.default_territory", "")
def test_coverage_is_required_without_a_default():
    errors = errors_of(agency_org())
    assert any("au moins un territoire" in m for m in errors["territories"])


def test_commune_organisation_gives_its_territory_by_default():
    ds = create(commune_org())
    assert call_action("package_show", id=ds["id"])["territories"] == ["commune:67447"]
    # an explicit coverage wins
    ds = create(commune_org(), name="autre", territories=["departement:67"])
    assert call_action("package_show", id=ds["id"])["territories"] == ["departement:67"]


def test_end_before_start():
    errors = errors_of(
        agency_org(),
        territories=["67482"],
        temporal_start="2024-05-01",
        temporal_end="2023-12-31",
    )
    assert errors["temporal_end"] == [
        "La fin de la période (2023-12-31) précède son début (2024-05-01)."
    ]


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("7.68,48.49,7.84,48.65", "7.68,48.49,7.84,48.65"),
        (" 7.680000 ; 48.49  7.84,48.65 ", "7.68,48.49,7.84,48.65"),
        (
            '{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon",'
            ' "coordinates": [[[7.7, 48.5], [7.8, 48.52], [7.75, 48.6], [7.7, 48.5]]]}}',
            "7.7,48.5,7.8,48.6",
        ),
        ("POLYGON((7.7 48.5, 7.8 48.5, 7.8 48.6, 7.7 48.5))", "7.7,48.5,7.8,48.6"),
        ("POINT(7.75 48.58)", "7.75,48.58,7.75,48.58"),
    ],
)
def test_extent_is_stored_as_a_box(value, stored):
    ds = create(agency_org(), territories=["67482"], spatial_bbox=value)
    assert ds["spatial_bbox"] == stored


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("7.68,48.49,7.84", "quatre nombres attendus"),
        ("ouest,sud,est,nord", "quatre nombres attendus"),
        ('{"type": "Polygon"}', "quatre nombres attendus"),
        # Lambert-93 metres, not degrees
        ("1024000,6790000,1070000,6890000", "hors limites"),
        # west and east swapped
        ("7.84,48.49,7.68,48.65", "hors limites"),
    ],
)
def test_bad_extent_names_the_value(value, needle):
    errors = errors_of(agency_org(), territories=["67482"], spatial_bbox=value)
    assert f"« {value} »" in errors["spatial_bbox"][0]
    assert needle in errors["spatial_bbox"][0]


def test_bad_date_and_email():
    errors = errors_of(
        agency_org(),
        territories=["67482"],
        temporal_start="01/05/2024",
        contact_email="contact@atmo",
    )
    assert "« 01/05/2024 »" in errors["temporal_start"][0]
    assert "« contact@atmo »" in errors["contact_email"][0]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("license_id", "cc-by"),
        ("frequency", "yearly"),
        ("themes", ["SPORT"]),
        ("granularity", "quartier"),
    ],
)
def test_unknown_code_list_value(field, value):
    errors = errors_of(agency_org(), territories=["67482"], **{field: value})
    bad = value[0] if isinstance(value, list) else value
    assert f"« {bad} »" in errors[field][0], errors


def test_bad_resource_schema():
    errors = errors_of(
        agency_org(),
        territories=["67482"],
        resources=[
            {
                "url": "https://example.org/a.csv",
                "schema": "deliberations",
                "schema_version": "v2",
            }
        ],
    )
    res_errors = errors["resources"][0]
    assert "« deliberations »" in res_errors["schema"][0]
    assert "« v2 »" in res_errors["schema_version"][0]


def test_organisation_fields():
    org = factories.Organization(
        kind="epci",
        cog_code="246700488",
        siren="246700488",
        website="https://www.strasbourg.eu",
    )
    shown = call_action("organization_show", id=org["id"])
    assert shown["cog_code"] == "epci:246700488"
    assert shown["territory"] == "epci:246700488"
    agency = factories.Organization(kind="agence", territory="region:44")
    assert call_action("organization_show", id=agency["id"])["territory"] == "region:44"


@pytest.mark.parametrize(
    ("fields", "field", "needle"),
    [
        (
            {"kind": "commune", "cog_code": "67482", "siren": "246700489"},
            "siren",
            "« 246700489 »",
        ),
        ({"kind": "commune"}, "cog_code", "obligatoire"),
        ({"kind": "commune", "cog_code": "246700488"}, "cog_code", "niveau epci"),
        ({"kind": "mairie"}, "kind", "« mairie »"),
    ],
)
def test_organisation_errors(fields, field, needle):
    user = factories.Sysadmin()
    with pytest.raises(logic.ValidationError) as e:
        call_action(
            "organization_create", {"user": user["name"]}, name="orga", **fields
        )
    assert any(needle in m for m in e.value.error_dict[field]), e.value.error_dict
    assert model.Session.query(model.Group).filter_by(name="orga").count() == 0


def test_errors_in_english(app):
    user = factories.Sysadmin()
    org = agency_org()
    resp = app.post(
        "/en/api/3/action/package_create",
        json={
            "name": "x-air",
            "title": "Air",
            "notes": "n",
            "owner_org": org["id"],
            "territories": ["99999"],
            "temporal_start": "01/05/2024",
            "spatial_bbox": "1,2,3",
        },
        headers={"Authorization": factories.APIToken(user=user["name"])["token"]},
        status=409,
    )
    errors = resp.json["error"]
    assert "Unknown territory" in errors["territories"][0], errors
    assert "Invalid date" in errors["temporal_start"][0], errors
    assert "Invalid extent" in errors["spatial_bbox"][0], errors
