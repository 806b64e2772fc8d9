"""Jurisdiction matrix rows for the device registry (API and pages); see wangge/core/tests/scope_matrix.py.

`_devices(world)` registers a door and a camera in grid 0 (street 1), a door in grid 4 (street 2) and one in the
matrix world's second district; no answer may name a device its user may not see (FORBIDDEN). Devices are read
by administrators, operators and grid workers (`sensing.view`), edited by the administrator and the district and
street operators (`sensing.edit_devices`); everyone else is refused with 403.
"""
from wangge.areas.models import Region
from wangge.core.roles import OPERATORS, Role
from wangge.core.tests.scope_matrix import Row

READERS = (Role.ADMINISTRATOR, *OPERATORS, Role.GRID_WORKER)
KEEPERS = (Role.ADMINISTRATOR, Role.DISTRICT_OPERATOR, Role.STREET_OPERATOR)
FAR_GRID = "510108002001001"  # the matrix world's second district


def _devices(world):
    """The devices of the rows (idempotent)."""
    from wangge.sensing.connectivity import mark_seen
    from wangge.sensing.models import Device
    from wangge.sensing.testing import make_device

    if Device.objects.filter(code="MX-HOME-DOOR").exists():
        return
    lng, lat = world.grid_center(world.grids[0])
    home = make_device(world.grids[0], "MX-HOME-DOOR", name="矩阵home门禁", lng=lng, lat=lat)
    mark_seen(home)
    make_device(world.grids[0], "51010700001320000501", kind="camera", name="矩阵home摄像机", lng=lng, lat=lat,
                camera_class="courtyard", storage_days=30, play_url="https://video.example.invalid/mx")
    lng, lat = world.grid_center(world.grids[4])
    make_device(world.grids[4], "MX-AWAY-DOOR", name="矩阵away门禁", lng=lng, lat=lat)
    make_device(Region.objects.get(code=FAR_GRID), "MX-FAR-DOOR", name="矩阵far门禁")


def _records(world, user):
    from wangge.sensing.models import Device

    _devices(world)
    visible = Device.objects.visible_to(user)
    inside = list(visible.order_by("code").values_list("code", flat=True)[:2])
    outside = list(Device.objects.exclude(pk__in=visible.values("pk")).order_by("code")
                   .values_list("code", flat=True))
    return inside, outside


def _outside_devices(user):
    """No answer of any row may name a device the user may not see."""
    from wangge.sensing.models import Device

    hidden = Device.objects.exclude(pk__in=Device.objects.visible_to(user).values("pk"))
    return [text for row in hidden.values_list("code", "name") for text in row]


FORBIDDEN = [_outside_devices]


def _listed_are_visible(response, ctx):
    from wangge.sensing.models import Device

    codes = {item["code"] for item in response.json()["items"]}
    visible = Device.objects.visible_to(ctx.user)
    if ctx.region is not None:
        visible = visible.filter(grid__path__startswith=ctx.region.path)
    assert codes == set(visible.values_list("code", flat=True))


def _detail_is_the_record(response, ctx):
    assert response.json()["code"] == ctx.record_id


def _row(name, url, roles=READERS, **kwargs):
    return Row(name, url, setup=_devices, roles=roles, **kwargs)


ROWS = [
    _row("api: devices", "/api/v1/devices?limit=1000", check=_listed_are_visible),
    _row("api: devices in an area", "/api/v1/devices?area={code}&limit=1000", check=_listed_are_visible),
    _row("api: devices offline", "/api/v1/devices?connectivity=unknown&kind=door&limit=1000"),
    _row("api: device", "/api/v1/devices/{id}", objects=_records, check=_detail_is_the_record),
    _row("page: devices", "/sensing/devices/"),
    _row("page: devices in an area", "/sensing/devices/?area={code}"),
    _row("page: device map", "/sensing/devices/map/"),
    _row("page: device map of an area", "/sensing/devices/map/?area={code}"),
    _row("page: device", "/sensing/devices/{id}/", objects=_records),
    _row("page: edit a device", "/sensing/devices/{id}/edit/", roles=KEEPERS, objects=_records),
    _row("page: register a device", "/sensing/devices/new/", roles=KEEPERS),
]
