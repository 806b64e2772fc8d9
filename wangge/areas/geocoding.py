"""Address search for the point maps, behind one small interface (docs/maps.md).

A geocoder is a class with `search(user, text, limit) -> list[Hit]`, named by settings.WANGGE_GEOCODER. The
default, `wangge.registry.search.OwnDataGeocoder`, reads our own buildings, houses, places and organisations in
the user's area (through the one scoping method); a deployment with a licensed geocoding service (天地图, a
city's own address base) writes a class that asks it, and may combine it with ours. Points are WGS-84: a
service that answers in GCJ-02 converts with `areas.crs.to_wgs84` before returning.

The API (`GET /api/v1/address-search`) adds the communities and grids whose name matches (public geography).
"""
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string

MAX_QUERY = 50  # characters of a query that are read
MAX_LIMIT = 20


@dataclass(frozen=True)
class Hit:
    kind: str  # building, house, place, organisation, community, grid, or a geocoder's own word
    label: str  # what the list shows: a name or an address
    detail: str  # a second line: the address, the grid
    lng: float  # WGS-84
    lat: float


class Geocoder:
    """The interface: answer at most `limit` hits for `text`, only what `user` may see."""

    def search(self, user, text: str, limit: int) -> list[Hit]:
        raise NotImplementedError


class NoGeocoder(Geocoder):
    """Nothing but the region names (WANGGE_GEOCODER = "wangge.areas.geocoding.NoGeocoder")."""

    def search(self, user, text, limit):
        return []


@lru_cache(maxsize=4)
def _geocoder(path: str) -> Geocoder:
    return import_string(path)()


def geocoder() -> Geocoder:
    return _geocoder(settings.WANGGE_GEOCODER)


def clean_query(text) -> str:
    """One line of at most MAX_QUERY characters, spaces squeezed."""
    return " ".join(str(text or "").split())[:MAX_QUERY]
