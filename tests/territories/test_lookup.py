"""In-memory lookups: codes, containment, former codes, search."""

from __future__ import annotations

import time

import pytest

from ckanext.territoire.territories import codes, lookup
from ckanext.territoire.territories.lookup import Territory, normalize_name

pytestmark = pytest.mark.usefixtures("cog")


def get(code: str) -> Territory:
    territory = lookup.get(code)
    assert territory is not None, code
    return territory


def search_codes(q: str, **kwargs) -> list[str]:
    return [t.code for t in lookup.search(q, **kwargs)]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Saint-Étienne", "saint etienne"),
        ("L'Haÿ-les-Roses", "l hay les roses"),
        ("Œuilly", "oeuilly"),
        ("  CA  d’Épinal ", "ca d epinal"),
        ("St-Jean-de-Luz", "st jean de luz"),
        ("Provence-Alpes-Côte d'Azur", "provence alpes cote d azur"),
    ],
)
def test_normalize_name(value, expected):
    assert normalize_name(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("commune:67482", "commune:67482"),
        (" Commune:2a004 ", "commune:2A004"),
        ("PAYS:FR", "pays:fr"),
        ("epci:246700488", "epci:246700488"),
        ("region:44", "region:44"),
        ("departement:2B", "departement:2B"),
        ("commune:6748", None),
        ("canton:6701", None),
        ("67482", None),
    ],
)
def test_canonical(value, expected):
    assert codes.canonical(value) == expected


def test_strasbourg():
    strasbourg = get("commune:67482")
    assert strasbourg == Territory(
        code="commune:67482",
        level="commune",
        insee="67482",
        name="Strasbourg",
        parents=("epci:246700488", "departement:67", "region:44", "pays:fr"),
        population=strasbourg.population,
        siren="216704825",
    )
    assert (strasbourg.population or 0) > 250000
    assert strasbourg.label == "Strasbourg (67)"
    ancestors = lookup.ancestors("commune:67482")
    assert set(ancestors) >= {
        "epci:246700488",
        "departement:67",
        "region:44",
        "pays:fr",
    }
    assert get("epci:246700488").name == "Eurométropole de Strasbourg"
    assert "commune:67482" in lookup.members("epci:246700488")
    assert len(lookup.members("epci:246700488")) == 33


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("commune:67482", "Strasbourg (67)"),
        ("departement:67", "Bas-Rhin (67)"),
        ("region:44", "Grand Est"),
        ("epci:246700488", "Eurométropole de Strasbourg"),
        ("pays:fr", "France"),
        ("commune:2A004", "Ajaccio (2A)"),
        ("commune:97105", "Basse-Terre (971)"),
    ],
)
def test_labels(code, label):
    assert get(code).label == label


def test_containment_of_wider_territories():
    assert lookup.ancestors("departement:67") == ("region:44", "pays:fr")
    assert lookup.ancestors("region:44") == ("pays:fr",)
    assert lookup.ancestors("pays:fr") == ()
    assert lookup.ancestors("epci:246700488") == (
        "departement:67",
        "region:44",
        "pays:fr",
    )
    assert lookup.ancestors("commune:00000") == ()
    # Population of wider territories: the sum over their communes.
    assert get("region:44").population == sum(
        get(c).population or 0 for c in lookup.members("region:44")
    )
    assert len(lookup.members("pays:fr")) == 34969
    assert lookup.members("commune:67482") == []


def test_corsica_and_overseas():
    ajaccio = get("commune:2A004")
    assert ajaccio.name == "Ajaccio" and ajaccio.insee == "2A004"
    assert {"departement:2A", "region:94", "pays:fr"} <= set(ajaccio.parents)
    assert lookup.get("Commune:2a004") == ajaccio

    basse_terre = get("commune:97105")
    assert basse_terre.name == "Basse-Terre"
    assert {"departement:971", "region:01", "pays:fr"} <= set(basse_terre.parents)
    assert get("region:01").name == "Guadeloupe"

    # A commune outside any EPCI (Saint-Pierre-et-Miquelon).
    miquelon = get("commune:97501")
    assert miquelon.parents == ("departement:975", "region:975", "pays:fr")


def test_former_codes():
    assert lookup.former("commune:01340") == "commune:01015"
    assert get("commune:01015").name == "Arboys en Bugey"
    assert lookup.get("commune:01340") is None
    assert lookup.former("commune:67482") is None
    assert lookup.former("nonsense") is None


def test_search_saint_etienne():
    for q in ("st etienne", "Saint-Étienne", "SAINT ETIENNE", "st-étienne"):
        assert search_codes(q)[0] == "commune:42218", q
    results = lookup.search("st etienne", limit=20)
    # Every result has both words (saint/st… and etienne…).
    for territory in results:
        words = normalize_name(territory.name).split()
        assert any(w.startswith("etienne") for w in words), territory
        assert any(w == "saint" or w.startswith("st") for w in words), territory


def test_search_names():
    assert search_codes("strasbourg")[:2] == ["commune:67482", "epci:246700488"]
    assert search_codes("epinal")[0] == "commune:88160"
    assert search_codes("Épinal")[0] == "commune:88160"
    assert search_codes("grand est")[0] == "region:44"
    assert search_codes("bas rhin")[0] == "departement:67"
    assert search_codes("ste marie", level="commune")[0].startswith("commune:")
    for territory in lookup.search("ste marie", level="commune"):
        words = normalize_name(territory.name).split()
        assert "sainte" in words or any(w.startswith("ste") for w in words)
    # Word prefixes, not substrings.
    assert "commune:67482" in search_codes("stras")
    assert "commune:67482" not in search_codes("rasbourg")
    assert search_codes("zzzzzz") == []
    assert search_codes("   ") == []


def test_search_ranking():
    # Exact names first, then wider levels, then larger populations.
    assert search_codes("paris")[:2] == ["departement:75", "commune:75056"]
    results = lookup.search("saint", limit=50)
    ranks = [codes.LEVEL_RANK[t.level] for t in results]
    assert ranks == sorted(ranks)
    communes = [t for t in results if t.level == "commune"]
    populations = [t.population or 0 for t in communes]
    assert populations == sorted(populations, reverse=True)


def test_search_levels_and_limits():
    assert all(t.level == "epci" for t in lookup.search("strasbourg", level="epci"))
    assert search_codes("strasbourg", level="epci") == ["epci:246700488"]
    assert len(lookup.search("saint", limit=3)) == 3
    assert lookup.search("saint", limit=0) == []
    with pytest.raises(ValueError):
        lookup.search("saint", level="canton")


@pytest.mark.parametrize(
    ("q", "first"),
    [
        ("67482", "commune:67482"),
        ("2A004", "commune:2A004"),
        ("2a004", "commune:2A004"),
        ("97105", "commune:97105"),
        ("67", "departement:67"),
        ("2B", "departement:2B"),
        ("246700488", "epci:246700488"),
        ("region:44", "region:44"),
        ("commune:67482", "commune:67482"),
        ("pays:fr", "pays:fr"),
        ("01340", "commune:01015"),
        ("commune:01340", "commune:01015"),
    ],
)
def test_search_codes(q, first):
    assert search_codes(q)[0] == first


def test_search_code_levels():
    # "44" is both a département and a région: the département comes first.
    assert search_codes("44")[:2] == ["departement:44", "region:44"]
    assert search_codes("44", level="region") == ["region:44"]


def test_search_speed():
    queries = ["s", "sa", "st etienne", "la", "strasbourg", "l", "saint", "67", "ch"]
    lookup.search("warm up")
    started = time.perf_counter()
    rounds = 20
    for _ in range(rounds):
        for q in queries:
            lookup.search(q)
    per_query = (time.perf_counter() - started) / (rounds * len(queries))
    assert per_query < 0.005, f"{per_query * 1000:.2f} ms per query"


def test_reset_keeps_the_copy_when_nothing_changed():
    index = lookup._current()
    lookup.reset()
    assert lookup._current() is index
