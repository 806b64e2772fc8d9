"""Region facts for templates: which districts the platform covers (the portal says so, a citizen outside them
knows to go elsewhere)."""
from django import template
from django.db.models import Exists, OuterRef
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from wangge.areas.models import Level, Region

register = template.Library()


def covered_districts() -> list[str]:
    """Names of the districts that have at least one grid: where reports can be located and handled."""
    grids = Region.objects.filter(level=Level.GRID, path__startswith=OuterRef("path"))
    return list(Region.objects.filter(level=Level.DISTRICT).filter(Exists(grids)).order_by("code")
                .values_list("name", flat=True))


@register.simple_tag
def covered_area() -> str:
    """"武侯区" or "武侯区、锦江区"; "" before any grid exists."""
    return _(", ").join(covered_districts())


@register.simple_tag
def inline_outlines():
    """The outlines in the page itself (#map-outlines, read by pointmap.js instead of /map/outlines.json): on
    the portal's map pages, one round trip less on a slow network (the pages are sent compressed)."""
    from django.utils.html import format_html

    from wangge.areas import outlines

    return format_html('<script id="map-outlines" type="application/json">{}</script>',
                       mark_safe(outlines.script_text()))


@register.inclusion_tag("areas/_point_map_assets.html")
def point_map_assets(defer=False):
    """What a page with a point map loads (pointmap.js): Leaflet, the base map's settings as #map-base, and
    gcj02.js only when the base map needs it."""
    from django.conf import settings

    base = dict(settings.WANGGE_BASE_MAP)
    return {"base": base, "gcj": bool(base.get("url")) and base.get("crs") == "gcj02", "defer": defer}
