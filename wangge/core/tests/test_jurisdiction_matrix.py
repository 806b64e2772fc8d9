"""Walks every row of the jurisdiction matrix (see scope_matrix.py) for every role."""
import importlib
import json
import pkgutil
import re
from dataclasses import dataclass

import pytest

import wangge
from wangge.areas.models import Level, Region
from wangge.core import audit
from wangge.core.models import User
from wangge.core.roles import Role
from wangge.core.scoping import ALL, scope_prefix
from wangge.testing import ORIGIN_LAT, ORIGIN_LNG, make_region, make_user, square


def _collect(attribute):
    found = []
    for app in pkgutil.iter_modules(wangge.__path__):
        try:
            module = importlib.import_module(f"wangge.{app.name}.tests.scope_rows")
        except ModuleNotFoundError:
            continue
        found.extend(getattr(module, attribute, []))
    return found


ROWS = _collect("ROWS")
FORBIDDEN_HOOKS = _collect("FORBIDDEN")
USERS = [f"home:{r}" for r in Role] + [
    f"outsider:{r}" for r in (Role.STREET_OPERATOR, Role.COMMUNITY_OPERATOR, Role.GRID_WORKER, Role.MEDIATOR)]


@dataclass
class Context:
    user: object
    region: Region | None
    visible_regions: list
    record_id: int | None = None


@pytest.fixture
def matrix_world(world):
    """The shared world plus a second district, so even district-wide roles have an outside."""
    district = make_region("510108", "成华区", Level.DISTRICT, world.city)
    street = make_region("510108002", "猛追湾街道", Level.STREET, district)
    community = make_region("510108002001", "望平社区", Level.COMMUNITY, street)
    grid = make_region("510108002001001", "望平社区第1网格", Level.GRID, community,
                       polygon=square(ORIGIN_LNG, ORIGIN_LAT + 0.5), households=350)
    grid.team.create(role="grid_worker", name="外区网格员", phone="19900009999")
    for g in world.grids:
        g.team.create(role="grid_leader", name=f"组长{g.code[-3:]}", phone="19900001234")
    make_user("other_district_op", Role.DISTRICT_OPERATOR, region=district)
    audit.record(None, "test.matrix", grid)
    return world


def _user(world, key):
    kind, role = key.split(":")
    return (world.users if kind == "home" else world.outsiders)[Role(role)]


def _forbidden(user):
    """Regions, staff and other strings (FORBIDDEN hooks) that must never appear in what this user is shown."""
    if scope_prefix(user) is ALL:
        return [], [], []
    node = user.scope_node
    ancestors = set(node.path.strip("/").split("/"))
    regions = [r for r in Region.objects.exclude(path__startswith=node.path) if r.code not in ancestors]
    staff = list(User.objects.exclude(pk__in=User.objects.visible_to(user).values("pk"))
                 .values_list("username", flat=True))
    strings = [text for hook in FORBIDDEN_HOOKS for text in hook(user) if text]
    return regions, staff, strings


def _targets(row, user):
    """(inside, outside) regions to ask about, at the row's levels."""
    visible = Region.objects.visible_to(user).filter(level__in=row.levels)
    inside = [r for r in visible.order_by("path")[:1]] + [r for r in visible.filter(level=Level.GRID)[:1]]
    outside = [r for r in Region.objects.filter(level__in=row.levels).exclude(pk__in=visible.values("pk"))
               .order_by("-code")[:2]]
    if scope_prefix(user) is ALL:
        return inside, []
    ancestors = set(user.scope_node.path.strip("/").split("/"))
    outside = [r for r in outside if r.code not in ancestors]
    return inside, outside


def _text(response) -> str:
    """The answer as a reader sees it: JSON escapes non-ASCII (\\u6237), so names are compared unescaped."""
    body = response.content.decode()
    if response.get("Content-Type", "").startswith("application/json"):
        body = json.dumps(response.json(), ensure_ascii=False)
    return body


def _assert_nothing_outside(body: str, forbidden, where: str):
    regions, staff, strings = forbidden
    for text in strings:
        assert text not in body, f"{where}: shows {text!r}, which is outside the area"
    for username in staff:
        assert not re.search(rf"(?<![\w]){re.escape(username)}(?![\w])", body), \
            f"{where}: shows outside user {username}"
    for region in regions:
        assert not re.search(rf"(?<!\d){region.code}(?!\d)", body), f"{where}: shows outside code {region.code}"
        assert region.name not in body, f"{where}: shows outside name {region.name}"


@pytest.mark.parametrize("who", USERS)
@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_matrix(matrix_world, client, row, who):
    user = _user(matrix_world, who)
    client.force_login(user)
    if row.setup:
        row.setup(matrix_world)
    allowed = row.roles is None or user.role in row.roles
    forbidden = _forbidden(user)
    visible = list(Region.objects.visible_to(user))
    if row.about_a_region:
        inside, outside = _targets(row, user)
        assert outside or scope_prefix(user) is ALL, "every scoped user must have something outside to ask about"
        for region in outside:
            response = client.get(row.url.format(code=region.code))
            refusals = (404, 403) if not allowed and row.refused == "403" else (404,)
            assert response.status_code in refusals, f"{row.name} {region.code}: {response.status_code}"
            _assert_nothing_outside(_text(response), forbidden, row.name)
        asks = inside
    elif row.about_a_record:
        inside_ids, outside_ids = row.objects(matrix_world, user)
        assert outside_ids or scope_prefix(user) is ALL, "every scoped user must have a record outside to ask about"
        for pk in outside_ids:
            response = client.get(row.url.format(**{row.record_key: pk}))
            refusals = (404, 403) if not allowed and row.refused == "403" else (404,)
            assert response.status_code in refusals, f"{row.name} #{pk}: {response.status_code}"
            _assert_nothing_outside(_text(response), forbidden, row.name)
        asks = inside_ids
    else:
        asks = [None]
    for target in asks:
        region = target if row.about_a_region else None
        if row.about_a_region:
            url = row.url.format(code=target.code)
        elif row.about_a_record:
            url = row.url.format(**{row.record_key: target})
        else:
            url = row.url
        response = client.get(url)
        if not allowed and row.refused == "403":
            assert response.status_code == 403, f"{row.name}: {response.status_code}"
            continue
        assert response.status_code == 200, f"{row.name} {url}: {response.status_code}"
        body = _text(response)
        _assert_nothing_outside(body, forbidden, row.name)
        if not allowed and row.refused == "empty":
            data = response.json()
            assert data.get("count", len(data.get("items", []))) == 0
        elif row.check:
            row.check(response, Context(user, region, visible, target if row.about_a_record else None))


def test_matrix_covers_every_api_route():
    """A new GET route under /api/v1/ must get a matrix row (or be listed here as unscoped, with a reason)."""
    from wangge.api import api

    unscoped = {
        "/api/v1/locate": "public geography, see docs/decisions/0002",
        "/api/v1/ping": "liveness probe",
        "/api/v1/openapi.json": "schema",
        "/api/v1/docs": "schema browser",
    }
    def shape(path):  # a record's row asks "{id}" for whatever the route calls its key ("{code}" of a device)
        return re.sub(r"\{\w+\}", "{}", path)

    covered = {shape(row.url.split("?")[0]) for row in ROWS}
    missing = []
    for path, ops in api.get_openapi_schema()["paths"].items():
        if "get" not in ops or path in unscoped:
            continue
        if shape(path) not in covered:
            missing.append(path)
    assert not missing, f"GET routes without a jurisdiction matrix row: {missing}"
