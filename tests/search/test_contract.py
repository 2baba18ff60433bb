"""Search contract: what CKAN's search must answer, whatever the backend.

The same assertions run against the backend that config/test.ini selects
(PostgreSQL, through territoire_pgsearch) or, when TEST_SOLR_URL is set,
against stock CKAN talking to that Solr core.

The corpus is built once per module (eight datasets over two organisations,
one private, one draft, one deleted); every test only reads it.
"""

from __future__ import annotations

import pytest

import ckan.logic as logic
import ckan.model as model
from ckan.common import config
from ckan.lib.search import SearchQueryError
from ckan.tests import factories

from ..conftest import reset_all, solr_marks


def search(user: str | None = None, **params):
    context = {"user": user or "", "ignore_auth": False}
    if user:
        context["auth_user_obj"] = model.User.get(user)
    return logic.get_action("package_search")(context, params)


def names(result) -> list[str]:
    return [d["name"] for d in result["results"]]


def facet(result, field) -> dict[str, int]:
    return {i["name"]: i["count"] for i in result["search_facets"][field]["items"]}


@pytest.fixture(scope="module")
def _built() -> dict:
    return {}


@pytest.fixture
def corpus(with_plugins, _built):
    """Eight datasets, built once per module; the users and names tests refer to."""
    if not _built:
        _built.update(_build())
    return _built


def _build() -> dict:
    reset_all()
    from ckan.lib.search import clear_all

    clear_all()
    editor = factories.User(name="editrice")
    outsider = factories.User(name="exterieur")
    sysadmin = factories.Sysadmin(name="admin-contrat")
    ville = factories.Organization(
        name="ville-strasbourg",
        title="Ville de Strasbourg",
        users=[{"name": editor["name"], "capacity": "editor"}],
    )
    region = factories.Organization(name="region-grand-est", title="Région Grand Est")

    def dataset(name, title, org, tags, formats, **extra):
        return factories.Dataset(
            name=name,
            title=title,
            owner_org=org["id"],
            tags=[{"name": t} for t in tags],
            resources=[
                {"url": f"https://example.org/{name}.{f.lower()}", "format": f}
                for f in formats
            ],
            **extra,
        )

    dataset(
        "equipements-sportifs",
        "Équipements sportifs de Strasbourg",
        ville,
        ["sport", "equipements"],
        ["CSV", "GeoJSON"],
        notes="Liste des gymnases, stades et piscines de la ville.",
        license_id="odc-odbl",
    )
    dataset(
        "horaires-piscines",
        "Horaires des piscines municipales",
        ville,
        ["sport", "piscine"],
        ["CSV"],
        notes="Horaires d'ouverture au public, par établissement.",
        license_id="odc-odbl",
    )
    dataset(
        "budget-primitif-2024",
        "Budget primitif 2024",
        region,
        ["finances"],
        ["XLSX"],
        notes="Budget voté par l'assemblée régionale.",
        license_id="cc-by-4.0",
    )
    dataset(
        "deliberations-conseil",
        "Délibérations du conseil régional",
        region,
        ["deliberations"],
        ["PDF"],
        notes="Actes et délibérations adoptés en séance plénière.",
        license_id="cc-by-4.0",
        extras=[{"key": "theme", "value": "gouvernance"}],
    )
    dataset(
        "qualite-air",
        "Qualité de l'air",
        region,
        ["environnement", "air"],
        ["CSV"],
        notes="Mesures horaires des stations de surveillance.",
        license_id="odc-odbl",
    )
    dataset(
        "donnees-internes",
        "Données internes de la ville",
        ville,
        ["interne"],
        ["CSV"],
        private=True,
    )
    dataset(
        "brouillon-transport",
        "Brouillon transport",
        ville,
        ["transport"],
        [],
        state="draft",
        user=editor,
    )
    gone = dataset("ancien-jeu", "Ancien jeu supprimé", region, ["archive"], [])
    logic.get_action("package_delete")(
        {"ignore_auth": True, "user": sysadmin["name"]}, {"id": gone["id"]}
    )

    return {
        "editor": editor["name"],
        "outsider": outsider["name"],
        "sysadmin": sysadmin["name"],
        "public": {
            "equipements-sportifs",
            "horaires-piscines",
            "budget-primitif-2024",
            "deliberations-conseil",
            "qualite-air",
        },
    }


pytestmark = [pytest.mark.usefixtures("corpus"), *solr_marks()]


# -- match all, fielded queries, boolean operators ---------------------------


def test_match_all_returns_public_active_datasets(corpus):
    result = search(q="*:*", rows=100)
    assert set(names(result)) == corpus["public"]
    assert result["count"] == 5


def test_empty_query_is_match_all(corpus):
    assert search(q="", rows=100)["count"] == 5
    assert search(rows=100)["count"] == 5


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("tags:sport", {"equipements-sportifs", "horaires-piscines"}),
        ('tags:"sport"', {"equipements-sportifs", "horaires-piscines"}),
        ("name:budget-primitif-2024", {"budget-primitif-2024"}),
        ("title:budget", {"budget-primitif-2024"}),
        (
            "tags:(sport OR finances)",
            {"equipements-sportifs", "horaires-piscines", "budget-primitif-2024"},
        ),
        ("+tags:sport -tags:piscine", {"equipements-sportifs"}),
        ("tags:sport AND res_format:GeoJSON", {"equipements-sportifs"}),
        ("tags:sport && NOT res_format:GeoJSON", {"horaires-piscines"}),
        (
            "NOT tags:sport",
            {"budget-primitif-2024", "deliberations-conseil", "qualite-air"},
        ),
        (
            "-tags:sport",
            {"budget-primitif-2024", "deliberations-conseil", "qualite-air"},
        ),
        ("title:budget OR tags:piscine", {"budget-primitif-2024", "horaires-piscines"}),
        (
            "(tags:sport OR tags:air) AND license_id:odc-odbl",
            {"equipements-sportifs", "horaires-piscines", "qualite-air"},
        ),
        (
            "organization:region-grand-est AND -tags:finances",
            {"deliberations-conseil", "qualite-air"},
        ),
        (
            "res_format:CSV",
            {"equipements-sportifs", "horaires-piscines", "qualite-air"},
        ),
        ("extras_theme:gouvernance", {"deliberations-conseil"}),
        ("name:budget*", {"budget-primitif-2024"}),
        ("tags:sp*", {"equipements-sportifs", "horaires-piscines"}),
        ("name:qualit?-air", {"qualite-air"}),
        ("metadata_modified:[NOW-1DAY TO NOW]", None),
        ("metadata_modified:[* TO 2000-01-01T00:00:00Z]", set()),
        ("metadata_created:[2000-01-01T00:00:00Z TO *]", None),
        ("tags:inexistant", set()),
    ],
)
def test_fielded_and_boolean_queries(corpus, q, expected):
    result = search(q=q, rows=100)
    assert set(names(result)) == (corpus["public"] if expected is None else expected)
    assert result["count"] == len(result["results"])


def test_fq_string_and_fq_list_combine(corpus):
    result = search(q="*:*", fq="organization:ville-strasbourg", rows=100)
    assert set(names(result)) == {"equipements-sportifs", "horaires-piscines"}
    result = search(
        q="*:*",
        fq="organization:ville-strasbourg",
        fq_list=["res_format:GeoJSON"],
        rows=100,
    )
    assert names(result) == ["equipements-sportifs"]


# -- free text, French analysis, relevance -----------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("equipement sportif", {"equipements-sportifs"}),
        ("Équipements Sportifs", {"equipements-sportifs"}),
        ("délibération", {"deliberations-conseil"}),
        ("deliberations regional", {"deliberations-conseil"}),
        ("qualite air", {"qualite-air"}),
        ("piscine", {"equipements-sportifs", "horaires-piscines"}),
        ('"piscines municipales"', {"horaires-piscines"}),
        ("piscines -horaires", {"equipements-sportifs"}),
        ("strasbourg", {"equipements-sportifs", "horaires-piscines"}),
        ("budget voté assemblée", {"budget-primitif-2024"}),
        ("xyzzy", set()),
    ],
)
def test_free_text(corpus, q, expected):
    assert set(names(search(q=q, rows=100))) == expected


def test_minimum_should_match_of_three_words_drops_one(corpus):
    # mm "2<-1 5<80%": with three words, any two must match
    assert names(search(q="budget primitif xyzzy")) == ["budget-primitif-2024"]
    assert names(search(q="budget xyzzy plugh")) == []


def test_title_match_ranks_above_description_match(corpus):
    result = search(q="piscines", rows=10)
    assert names(result)[0] == "horaires-piscines"


# -- facets --------------------------------------------------------------------


def test_facet_counts(corpus):
    result = search(
        q="*:*",
        rows=0,
        **{"facet.field": '["tags", "organization", "res_format", "license_id"]'},
    )
    assert facet(result, "tags")["sport"] == 2
    assert facet(result, "organization") == {
        "ville-strasbourg": 2,
        "region-grand-est": 3,
    }
    assert facet(result, "res_format") == {"CSV": 3, "GeoJSON": 1, "XLSX": 1, "PDF": 1}
    assert facet(result, "license_id") == {"odc-odbl": 3, "cc-by-4.0": 2}
    assert result["results"] == []


def test_facets_follow_the_query(corpus):
    result = search(q="tags:sport", **{"facet.field": '["res_format"]'})
    assert facet(result, "res_format") == {"CSV": 2, "GeoJSON": 1}


def test_facet_limit_and_mincount(corpus):
    one = search(q="*:*", **{"facet.field": '["tags"]', "facet.limit": 1})
    assert facet(one, "tags") == {"sport": 2}
    unlimited = search(q="*:*", **{"facet.field": '["tags"]', "facet.limit": -1})
    assert len(facet(unlimited, "tags")) == 7
    frequent = search(q="*:*", **{"facet.field": '["tags"]', "facet.mincount": 2})
    assert facet(frequent, "tags") == {"sport": 2}


def test_facet_on_dynamic_field(corpus):
    result = search(q="*:*", **{"facet.field": '["extras_theme"]'})
    assert facet(result, "extras_theme") == {"gouvernance": 1}


# -- sort and pagination -------------------------------------------------------


def test_sort_by_title(corpus):
    result = search(q="*:*", sort="title_string asc", rows=100)
    titles = [d["title"] for d in result["results"]]
    assert titles == sorted(titles)
    desc = search(q="*:*", sort="title_string desc", rows=100)
    assert [d["title"] for d in desc["results"]] == titles[::-1]


def test_sort_by_name_and_metadata_modified(corpus):
    result = search(q="*:*", sort="name asc", rows=100)
    assert names(result) == sorted(corpus["public"])
    result = search(q="*:*", sort="metadata_modified desc", rows=100)
    stamps = [d["metadata_modified"] for d in result["results"]]
    assert stamps == sorted(stamps, reverse=True)


def test_pagination_with_ties_is_stable_and_complete(corpus):
    seen: list[str] = []
    for start in range(0, 6, 2):
        page = search(q="*:*", sort="organization asc", rows=2, start=start)
        seen.extend(names(page))
        assert page["count"] == 5
    assert len(seen) == 5
    assert set(seen) == corpus["public"]


def test_invalid_sort_is_a_clear_error(corpus):
    with pytest.raises(SearchQueryError):
        search(q="*:*", sort="title_string sideways")


def test_rows_above_the_maximum_are_capped(corpus):
    result = search(q="*:*", rows=int(config.get("ckan.search.rows_max")) + 1)
    assert result["count"] == len(result["results"]) == 5


def test_field_list(corpus):
    result = search(q="name:qualite-air", fl="name,title")
    assert result["results"] == [{"name": "qualite-air", "title": "Qualité de l'air"}]


# -- permissions, drafts, deleted ---------------------------------------------


def test_private_datasets_follow_permission_labels(corpus):
    def visible(user):
        return set(names(search(user=user, q="*:*", include_private=True, rows=100)))

    assert "donnees-internes" not in visible(None)
    assert "donnees-internes" not in visible(corpus["outsider"])
    assert "donnees-internes" in visible(corpus["editor"])
    assert "donnees-internes" in visible(corpus["sysadmin"])
    # without include_private nobody gets it in a plain search
    assert "donnees-internes" not in set(
        names(search(user=corpus["editor"], q="*:*", rows=100))
    )


def test_drafts_only_with_include_drafts_for_their_creator(corpus):
    assert "brouillon-transport" not in set(names(search(q="*:*", rows=100)))
    mine = search(user=corpus["editor"], q="*:*", include_drafts=True, rows=100)
    assert "brouillon-transport" in set(names(mine))
    theirs = search(user=corpus["outsider"], q="*:*", include_drafts=True, rows=100)
    assert "brouillon-transport" not in set(names(theirs))


def test_deleted_datasets_are_not_indexed(corpus):
    result = search(user=corpus["sysadmin"], q="name:ancien-jeu", include_deleted=True)
    assert result["count"] == 0


# -- autocomplete and package_show's cached dict ------------------------------


def test_package_autocomplete(corpus):
    result = logic.get_action("package_autocomplete")({"user": ""}, {"q": "equip"})
    assert [r["name"] for r in result] == ["equipements-sportifs"]
    result = logic.get_action("package_autocomplete")({"user": ""}, {"q": "qualit"})
    assert [r["name"] for r in result] == ["qualite-air"]


def test_package_show_reads_the_indexed_dict(corpus):
    from ckan.lib.search import show

    indexed = show("qualite-air")
    assert indexed["name"] == "qualite-air"
    assert "validated_data_dict" in indexed
    shown = logic.get_action("package_show")({"user": ""}, {"id": "qualite-air"})
    assert shown["title"] == "Qualité de l'air"


def test_organization_dataset_counts(corpus):
    orgs = logic.get_action("organization_list")({"user": ""}, {"all_fields": True})
    counts = {o["name"]: o["package_count"] for o in orgs}
    assert counts == {"ville-strasbourg": 2, "region-grand-est": 3}


# -- rejected syntax: a 409 naming the construct, never a 500 ------------------


@pytest.mark.parametrize(
    ("params", "construct"),
    [
        ({"q": "{!frange l=1}views_total"}, "Local parameters"),
        ({"q": '_query_:"{!dismax}x"'}, "Magic fields"),
        ({"q": "title:bugdet~2"}, "~"),
        (
            {"q": "*:*", "fq": "{!field f=spatial_geom}Intersects(ENVELOPE(1,2,3,4))"},
            "Local parameters",
        ),
        ({"q": "tags:(sport"}, "tags:(sport"),
        ({"q": "*:*", "defType": "func"}, "defType"),
    ],
)
def test_unsupported_syntax_is_a_409(app, corpus, params, construct):
    response = app.get("/api/3/action/package_search", query_string=params, status=409)
    body = response.get_json()
    assert body["success"] is False
    assert construct in str(body["error"])


def test_web_search_page_explains_rejected_syntax(app, corpus):
    # CKAN's dataset view answers 400 with the reason for invalid queries
    response = app.get("/dataset/", query_string={"q": "title:bugdet~2"}, status=400)
    assert "~" in response.body
