"""Extents: what is read as a box, and how it is written."""

from __future__ import annotations

import json

import pytest

from ckanext.territoire.logic import bbox


def test_geojson_collection_envelope():
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [7.1, 48.2]},
            },
            {
                "type": "Feature",
                "geometry": {
                    "type": "GeometryCollection",
                    "geometries": [
                        {
                            "type": "LineString",
                            "coordinates": [[7.5, 48.0, 140.0], [7.3, 48.9]],
                        }
                    ],
                },
            },
            {"type": "Feature", "geometry": None},
        ],
    }
    assert bbox.parse(collection) == bbox.BBox(7.1, 48.0, 7.5, 48.9)
    assert bbox.parse(json.dumps(collection)).text() == "7.1,48,7.5,48.9"


def test_written_forms():
    box = bbox.parse("-0.0000001,-21.4,55.8,-20.87")
    assert box.text() == "0,-21.4,55.8,-20.87"
    assert box.wkt() == "POLYGON((0 -21.4,55.8 -21.4,55.8 -20.87,0 -20.87,0 -21.4))"
    assert box.centroid_wkt() == "POINT(27.9 -21.135)"
    assert json.loads(box.geojson())["type"] == "Polygon"


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("", "form"),
        ("1,2,3,4,5", "form"),
        ("nan,1,2,3", "form"),
        ("[1, 2]", "form"),
        ('{"type": "Point", "coordinates": [7]}', "form"),
        ('{"type": "FeatureCollection", "features": []}', "form"),
        ("POLYGON EMPTY", "form"),
        ("-181,0,0,1", "range"),
        ("0,10,1,5", "range"),
    ],
)
def test_what_is_not_a_box(value, kind):
    with pytest.raises(bbox.BBoxError) as e:
        bbox.parse(value)
    assert e.value.kind == kind
