"""GET/POST /api/v1/locate: which grid holds a point (定位到网格), and GET /api/v1/ping.

Locate answers public geography only (code, name, path) and is not scoped per
user: see docs/decisions/0002-locate-is-public-geography.md.
"""
from typing import Annotated, Literal

from django.conf import settings
from ninja import Field, Query, Router, Schema
from pydantic import field_validator

from wangge.areas import locate as locating
from wangge.core.api_errors import field_error

router = Router(tags=["locate"])

Crs = Literal["wgs84", "gcj02", "bd09"]
CRS_HELP = "wgs84 (GPS, default), gcj02 (AMap 高德 / Tencent 腾讯 / WeChat 微信) or bd09 (Baidu 百度)"
# Bodies are JSON: numbers must be numbers. Query strings are text, so they are parsed.
Lng = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False, strict=True)]
Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False, strict=True)]


class PathNode(Schema):
    code: str
    name: str
    level: str = Field(description="province, city, district, street, community or grid")


class GridOut(Schema):
    code: str = Field(description="15-digit grid code 网格编码")
    name: str
    path: list[PathNode] = Field(description="From the top region down to the grid itself")


class LocateOut(Schema):
    grid: GridOut | None = Field(description="The grid holding the point, or null when it is outside every grid")


class LocateQuery(Schema):
    lng: float = Field(ge=-180, le=180, allow_inf_nan=False, description="longitude 经度")
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False, description="latitude 纬度")
    crs: Crs = Field("wgs84", description=CRS_HELP)


class LocateBatchIn(Schema):
    crs: Crs = Field("wgs84", description=CRS_HELP)
    points: list[tuple[Lng, Lat]] = Field(
        description="[[lng, lat], ...], at most LOCATE_BATCH_LIMIT (10,000) points",
        examples=[[[104.0435, 30.6418], [104.1, 30.7]]],
    )

    @field_validator("points", mode="before")
    @classmethod
    def _not_too_many(cls, points):
        limit = settings.LOCATE_BATCH_LIMIT
        if isinstance(points, list) and len(points) > limit:
            raise ValueError(f"at most {limit} points per request, got {len(points)} / 每次最多 {limit} 个点")
        return points


class LocateBatchOut(Schema):
    results: list[LocateOut] = Field(description="One answer per point, in the order the points were sent")


class PingOut(Schema):
    ok: bool


@router.get("/locate", response=LocateOut, summary="Which grid holds a point 坐标定位到网格")
def locate_point(request, q: Query[LocateQuery]):
    return {"grid": _locate([(q.lng, q.lat)], q.crs, "query", "lng")[0]}


@router.post("/locate", response=LocateBatchOut, summary="Locate many points at once 批量定位")
def locate_batch(request, payload: LocateBatchIn):
    return {"results": [{"grid": grid} for grid in _locate(payload.points, payload.crs, "body", "points")]}


@router.get("/ping", auth=None, response=PingOut, summary="Liveness probe 存活检查")
def ping(request):
    return {"ok": True}


def _locate(points, crs, source, field):
    # The schemas already hold crs and ranges; this keeps any deeper refusal a field-level 422.
    try:
        return locating.locate_points(points, crs)
    except locating.CRSError as exc:
        raise field_error(source, "crs", str(exc))
    except ValueError as exc:
        raise field_error(source, field, str(exc))
