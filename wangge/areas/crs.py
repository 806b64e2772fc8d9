"""Coordinate systems on the way in: everything is stored and located in WGS-84.

Chinese map SDKs hand out GCJ-02 (AMap 高德, Tencent 腾讯, WeChat 微信) or BD-09
(Baidu 百度). The conversions are fast_geocn's, not ours. Its gcj02_to_wgs84 is
already iterative (five rounds of its own forward transform; the round trip is
exact to well under a millimetre) and bd09_to_wgs84 goes through the closed-form
BD-09 → GCJ-02 inverse (about 1 cm), so nothing needs refining here.
"""
import numpy as np
from django.utils.translation import gettext as _
from fast_geocn import coord

WGS84, GCJ02, BD09 = "wgs84", "gcj02", "bd09"
CRS_NAMES = (WGS84, GCJ02, BD09)

_TO_WGS84 = {GCJ02: coord.gcj02_to_wgs84, BD09: coord.bd09_to_wgs84}
_FROM_WGS84 = {GCJ02: coord.wgs84_to_gcj02, BD09: coord.wgs84_to_bd09}


class CRSError(ValueError):
    """An unknown coordinate system name."""


def check_crs(crs: str) -> str:
    if crs not in CRS_NAMES:
        raise CRSError(_("Unknown coordinate system %(crs)s: use one of %(names)s")
                       % {"crs": repr(crs), "names": ", ".join(CRS_NAMES)})
    return crs


def check_range(lngs: np.ndarray, lats: np.ndarray) -> None:
    """ValueError naming the first point that is NaN or outside [-180, 180] × [-90, 90]."""
    bad_lng = ~((lngs >= -180) & (lngs <= 180))  # NaN compares False, so it lands here too
    bad_lat = ~((lats >= -90) & (lats <= 90))
    bad = np.flatnonzero(bad_lng | bad_lat)
    if bad.size:
        i = int(bad[0])
        what = (_("longitude %(value)s is not in [-180, 180]") % {"value": lngs[i]} if bad_lng[i]
                else _("latitude %(value)s is not in [-90, 90]") % {"value": lats[i]})
        raise ValueError(_("point %(n)s: %(problem)s") % {"n": i, "problem": what} if lngs.size > 1 else what)


def to_wgs84(lng: float, lat: float, crs: str = WGS84) -> tuple[float, float]:
    lngs, lats = to_wgs84_many([lng], [lat], crs)
    return float(lngs[0]), float(lats[0])


def to_wgs84_many(lngs, lats, crs: str = WGS84) -> tuple[np.ndarray, np.ndarray]:
    """Convert arrays (or lists) of coordinates; a Python loop, fine for 10,000 points."""
    check_crs(crs)
    lngs = np.asarray(lngs, dtype=float).reshape(-1)
    lats = np.asarray(lats, dtype=float).reshape(-1)
    if lngs.shape != lats.shape:
        raise ValueError(_("There are not as many longitudes as latitudes"))
    check_range(lngs, lats)
    if crs == WGS84 or lngs.size == 0:
        return lngs, lats
    convert = _TO_WGS84[crs]
    out = np.array([convert(x, y) for x, y in zip(lngs.tolist(), lats.tolist())], dtype=float)
    return out[:, 0], out[:, 1]


def from_wgs84(lng: float, lat: float, crs: str) -> tuple[float, float]:
    """Our WGS-84 point as a base map in `crs` draws it (the server twin of wangge/static/wangge/gcj02.js)."""
    check_crs(crs)
    if crs == WGS84:
        return float(lng), float(lat)
    x, y = _FROM_WGS84[crs](float(lng), float(lat))
    return float(x), float(y)
