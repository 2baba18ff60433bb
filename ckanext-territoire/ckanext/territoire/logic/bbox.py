"""A dataset's extent: a bounding box in WGS84 degrees.

Stored as ``"ouest,sud,est,nord"`` (west,south,east,north), at most six
decimals (about 10 cm). It is read from that text, from a GeoJSON geometry,
feature or collection (udata's ``spatial.geom``), or from a WKT geometry
(DCAT's ``locn:geometry`` / ``dcat:bbox``): their envelope is kept, never the
geometry itself, which may weigh megabytes. Written out as WKT and GeoJSON
for DCAT (``ckanext.territoire.dcat.profile``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any, NamedTuple

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_WKT = re.compile(
    r"^\s*(?:SRID=\d+\s*;\s*)?(?:<[^>]*>\s*)?"
    r"(POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING|MULTIPOLYGON"
    r"|GEOMETRYCOLLECTION)\b",
    re.IGNORECASE,
)
_WKT_PAIR = re.compile(rf"({_NUMBER})\s+({_NUMBER})")
_SEPARATORS = re.compile(r"[,;\s]+")


class BBoxError(ValueError):
    """The value is no extent; ``kind`` says why: ``form`` or ``range``."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class BBox(NamedTuple):
    west: float
    south: float
    east: float
    north: float

    @property
    def is_point(self) -> bool:
        return self.west == self.east and self.south == self.north

    def text(self) -> str:
        """The stored form: ``ouest,sud,est,nord``."""
        return ",".join(_decimal(x) for x in self)

    def centroid(self) -> tuple[float, float]:
        return (self.west + self.east) / 2, (self.south + self.north) / 2

    def ring(self) -> list[tuple[float, float]]:
        w, s, e, n = self
        return [(w, s), (e, s), (e, n), (w, n), (w, s)]

    def wkt(self) -> str:
        """The box as a WKT polygon (a point when it has no area)."""
        if self.is_point:
            return f"POINT({_decimal(self.west)} {_decimal(self.south)})"
        ring = ",".join(f"{_decimal(x)} {_decimal(y)}" for x, y in self.ring())
        return f"POLYGON(({ring}))"

    def centroid_wkt(self) -> str:
        x, y = self.centroid()
        return f"POINT({_decimal(x)} {_decimal(y)})"

    def geojson(self) -> str:
        """The box as a GeoJSON polygon (a point when it has no area)."""
        if self.is_point:
            geometry: dict[str, Any] = {
                "type": "Point",
                "coordinates": [_number(self.west), _number(self.south)],
            }
        else:
            geometry = {
                "type": "Polygon",
                "coordinates": [[[_number(x), _number(y)] for x, y in self.ring()]],
            }
        return json.dumps(geometry, separators=(",", ":"))


def _number(x: float) -> float | int:
    value = round(x, 6)
    return int(value) if value == int(value) else value


def _decimal(x: float) -> str:
    text = f"{round(x, 6):.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def parse(value: Any) -> BBox:
    """The extent of ``value``: box text, GeoJSON (text or dict), WKT, or four
    numbers. Raises ``BBoxError``."""
    if isinstance(value, BBox):
        return _checked(value)
    if isinstance(value, dict):
        return _envelope(_geojson_positions(value))
    if isinstance(value, (list, tuple)):
        return _from_numbers(value)
    text = str(value).strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            raise BBoxError("form") from None
        if not isinstance(data, dict):
            raise BBoxError("form")
        return _envelope(_geojson_positions(data))
    if _WKT.match(text):
        pairs = _WKT_PAIR.findall(text)
        if not pairs:
            raise BBoxError("form")
        return _envelope((float(x), float(y)) for x, y in pairs)
    return _from_numbers([part for part in _SEPARATORS.split(text) if part])


def _from_numbers(values: Any) -> BBox:
    if len(values) != 4:
        raise BBoxError("form")
    try:
        numbers = [float(v) for v in values]
    except (TypeError, ValueError):
        raise BBoxError("form") from None
    return _checked(BBox(*numbers))


def _geojson_positions(data: dict[str, Any]) -> Iterator[tuple[float, float]]:
    kind = data.get("type")
    if kind == "FeatureCollection":
        for feature in data.get("features") or []:
            if isinstance(feature, dict):
                yield from _geojson_positions(feature)
    elif kind == "Feature":
        geometry = data.get("geometry")
        if isinstance(geometry, dict):
            yield from _geojson_positions(geometry)
    elif kind == "GeometryCollection":
        for geometry in data.get("geometries") or []:
            if isinstance(geometry, dict):
                yield from _geojson_positions(geometry)
    elif "coordinates" in data:
        yield from _positions(data["coordinates"])
    else:
        raise BBoxError("form")


def _positions(coordinates: Any) -> Iterator[tuple[float, float]]:
    if not isinstance(coordinates, (list, tuple)) or not coordinates:
        raise BBoxError("form")
    if all(isinstance(c, (int, float)) for c in coordinates):
        if len(coordinates) < 2:
            raise BBoxError("form")
        yield float(coordinates[0]), float(coordinates[1])
        return
    for item in coordinates:
        yield from _positions(item)


def _envelope(positions: Iterator[tuple[float, float]] | Any) -> BBox:
    west = south = math.inf
    east = north = -math.inf
    for x, y in positions:
        west, east = min(west, x), max(east, x)
        south, north = min(south, y), max(north, y)
    if west == math.inf:
        raise BBoxError("form")
    return _checked(BBox(west, south, east, north))


def _checked(box: BBox) -> BBox:
    if not all(math.isfinite(x) for x in box):
        raise BBoxError("form")
    w, s, e, n = box
    if not (-180 <= w <= e <= 180 and -90 <= s <= n <= 90):
        raise BBoxError("range")
    return BBox(*(round(x, 6) for x in box))
