"""GET /api/v1/address-search: the point maps' search box (docs/maps.md).

The communities and grids whose name matches (by a part of it, or its pinyin initials), in the user's area,
and then what the geocoder (settings.WANGGE_GEOCODER, areas/geocoding.py) finds: by default our own buildings,
houses, places and organisations, scoped the same way. Points are WGS-84.
"""
from ninja import Field, Query, Router, Schema

from wangge.areas.geocoding import MAX_LIMIT, MAX_QUERY, Hit, clean_query, geocoder
from wangge.areas.models import Level, Region
from wangge.core.pinyin import as_initials_query, initials

router = Router(tags=["locate"])


class SearchQuery(Schema):
    q: str = Field(min_length=1, max_length=MAX_QUERY, description="A part of a name or an address, or its "
                   "pinyin initials (wh: 武侯…) 地址、名称或拼音首字母")
    limit: int = Field(10, ge=1, le=MAX_LIMIT, description=f"At most this many results (1–{MAX_LIMIT})")


class HitOut(Schema):
    kind: str = Field(description="building, house, place, organisation, community or grid")
    label: str
    detail: str
    lng: float = Field(description="WGS-84 longitude")
    lat: float = Field(description="WGS-84 latitude")


class SearchOut(Schema):
    results: list[HitOut]


def region_hits(user, text: str, limit: int) -> list[Hit]:
    """Communities and grids by name (or its initials), the user's area only."""
    py = as_initials_query(text)
    regions = (Region.objects.visible_to(user).filter(level__in=(Level.COMMUNITY, Level.GRID),
                                                      center_lng__isnull=False, center_lat__isnull=False)
               .select_related("parent").order_by("level", "code"))
    if py:
        found = [r for r in regions.only("code", "name", "level", "center_lng", "center_lat", "parent__name")
                 if initials(r.name).startswith(py)][:limit]
    else:
        found = list(regions.filter(name__icontains=text)[:limit])
    return [Hit(r.level, r.name, r.parent.name if r.parent_id else "", r.center_lng, r.center_lat) for r in found]


@router.get("/address-search", response=SearchOut, summary="Search addresses and places 地址搜索")
def address_search(request, params: Query[SearchQuery]):
    text = clean_query(params.q)
    if not text:
        return {"results": []}
    # A few areas first (a community's name is what people type most), then addresses, then more areas.
    areas = region_hits(request.user, text, params.limit)
    hits = areas[:3]
    hits += geocoder().search(request.user, text, params.limit - len(hits))
    hits += areas[3:]
    return {"results": [h.__dict__ for h in hits[:params.limit]]}
