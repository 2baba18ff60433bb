"""The dataset page's helpers made cheaper (issue 19, item 8) still say
what they said: fresh JSON-LD after an edit, the organisation's fields."""

from __future__ import annotations

import json
import re

import pytest

from ckan.tests import factories, helpers

pytestmark = pytest.mark.usefixtures("clean_db")


def _json_ld(body: str) -> dict:
    block = re.search(
        r'<script type="application/ld\+json">(.*?)</script>', body, re.S
    ).group(1)
    return json.loads(block)


def test_the_structured_data_follows_the_dataset(app):
    org = factories.Organization(title="Ville de Sélestat")
    dataset = factories.Dataset(owner_org=org["id"], title="Budget 2024")
    first = app.get(f"/dataset/{dataset['name']}").body
    assert "Budget 2024" in json.dumps(_json_ld(first), ensure_ascii=False)
    assert app.get(f"/dataset/{dataset['name']}").body.count(
        "Budget 2024"
    ) == first.count("Budget 2024")
    helpers.call_action(
        "package_patch",
        context={"user": factories.Sysadmin()["name"]},
        id=dataset["id"],
        title="Budget primitif 2025",
    )
    after = json.dumps(
        _json_ld(app.get(f"/dataset/{dataset['name']}").body), ensure_ascii=False
    )
    assert "Budget primitif 2025" in after and "Budget 2024" not in after


def test_the_organisation_block_keeps_what_it_shows(app):
    org = factories.Organization(
        title="Ville de Sélestat", description="Commune du Bas-Rhin."
    )
    dataset = factories.Dataset(owner_org=org["id"])
    body = app.get(f"/dataset/{dataset['name']}").body
    assert "Ville de Sélestat" in body
    assert "Commune du Bas-Rhin." in body


def test_follower_counts_are_kept_a_minute():
    from ckanext.territoire import helpers as ours

    user = factories.User()
    dataset = factories.Dataset(owner_org=factories.Organization()["id"])
    calls = []

    def counting(obj_type, obj_id):
        calls.append(obj_id)
        return helpers.call_action("dataset_follower_count", id=obj_id)

    assert (
        ours.follow_count.__wrapped__
        if hasattr(ours.follow_count, "__wrapped__")
        else True
    )
    assert ours.follow_count(counting, "dataset", dataset["id"]) == 0
    helpers.call_action(
        "follow_dataset", context={"user": user["name"]}, id=dataset["id"]
    )
    # within the minute: the kept count
    assert ours.follow_count(counting, "dataset", dataset["id"]) == 0
    assert calls == [dataset["id"]]
    ours._followers.clear()
    assert ours.follow_count(counting, "dataset", dataset["id"]) == 1
