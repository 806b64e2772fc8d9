"""The one map: figures per level from the rollups, the range checked, the records behind a figure, the wall."""
from datetime import timedelta

import pytest
from django.utils import timezone

from wangge.cases import testing
from wangge.core.roles import Role
from wangge.insight import rollups

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(world):
    """Three cases in grid 0 (street 0), one registered; one in grid 4 (street 1); the rollups current."""
    for grid in world.grids:  # as the boundary import sets them: the heat layer's points
        lng, lat = world.grid_center(grid)
        type(grid).objects.filter(pk=grid.pk).update(center_lng=lng, center_lat=lat)
    made = [testing.report(world) for _ in range(3)]
    testing.act(world.users[Role.DISTRICT_OPERATOR], made[0], "register")
    lng, lat = world.grid_center(world.grids[4])
    other = testing.services.do_report_case(world.users[Role.DISTRICT_OPERATOR], category=testing.category(),
                                            title="井盖缺失", lng=lng, lat=lat)
    rollups.rebuild()
    return made + [other]


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def test_the_district_sees_each_street_with_its_figures(client, world, cases):
    response = get(client, world.users[Role.DISTRICT_OPERATOR], f"/api/v1/insight/map/{world.district.code}")
    assert response.status_code == 200
    body = response.json()
    assert body["totals"]["case"]["total"] == 4
    assert body["totals"]["case"]["open"] == 4
    states = {row["code"]: row["n"] for row in body["totals"]["case"]["by_state"]}
    assert states == {"reported": 3, "registered": 1}
    streets = {child["code"]: child for child in body["children"]}
    assert streets[world.streets[0].code]["case"]["total"] == 3
    assert streets[world.streets[1].code]["case"]["total"] == 1
    assert [c["code"] for c in body["trail"]] == [world.district.code]
    # the heat layer: one point per grid with cases, weighted by them
    heat = get(client, world.users[Role.DISTRICT_OPERATOR], f"/api/v1/insight/map/{world.district.code}/heat")
    assert sorted(point[2] for point in heat.json()["points"]) == [1, 3]


def test_drilling_down_to_a_grid_lists_its_buildings(client, world, cases):
    from wangge.registry.models import Building

    lng, lat = world.grid_center(world.grids[0])
    Building.objects.create(grid=world.grids[0], name="1栋", address="测试路1号", lng=lng, lat=lat)
    op = world.users[Role.DISTRICT_OPERATOR]
    grid = get(client, op, f"/api/v1/insight/map/{world.grids[0].code}").json()
    assert grid["totals"]["case"]["total"] == 3 and grid["children"] == []
    assert [c["code"] for c in grid["trail"]] == [world.district.code, world.streets[0].code,
                                                  world.communities[0].code, world.grids[0].code]
    buildings = get(client, op, f"/api/v1/insight/map/{world.grids[0].code}/buildings").json()["buildings"]
    assert [b["name"] for b in buildings] == ["1栋"]
    refused = get(client, op, f"/api/v1/insight/map/{world.streets[0].code}/buildings")
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == "code"


def test_a_street_operator_sees_their_street_only(client, world, cases):
    street_op = world.users[Role.STREET_OPERATOR]
    own = get(client, street_op, f"/api/v1/insight/map/{world.streets[0].code}")
    assert own.status_code == 200 and own.json()["totals"]["case"]["total"] == 3
    assert [c["code"] for c in own.json()["trail"]] == [world.streets[0].code]
    assert get(client, street_op, f"/api/v1/insight/map/{world.streets[1].code}").status_code == 404
    assert get(client, street_op, f"/api/v1/insight/map/{world.district.code}").status_code == 404


def test_grid_workers_and_departments_have_no_one_map(client, world, cases):
    for role in (Role.GRID_WORKER, Role.DEPARTMENT_HANDLER, Role.MEDIATOR):
        response = get(client, world.users[role], f"/api/v1/insight/map/{world.grids[0].code}")
        assert response.status_code == 403, role
        assert get(client, world.users[role], "/insight/map/").status_code == 403, role


@pytest.mark.parametrize("params,field", [
    ({"from": "2025-03-01", "to": "2025-02-01"}, "from"),
    ({"from": "2023-01-01", "to": "2025-01-01"}, "to"),
    ({"from": "yesterday"}, "from"),
    ({"to": "0001-01-01"}, "to"),
    ({"from": "9999-12-31", "to": "9999-12-31"}, "from"),
    ({"major": "99"}, "major"),
])
def test_a_bad_range_or_category_is_refused_by_name(client, world, cases, params, field):
    op = world.users[Role.DISTRICT_OPERATOR]
    response = get(client, op, f"/api/v1/insight/map/{world.district.code}", **params)
    assert response.status_code == 422
    assert field in response.content.decode()
    page = get(client, op, f"/insight/map/{world.district.code}/", **params)
    assert page.status_code == 400
    assert f'data-field="{field}"' in page.content.decode()


def test_a_range_before_the_cases_shows_none(client, world, cases):
    today = timezone.localdate()
    body = get(client, world.users[Role.DISTRICT_OPERATOR], f"/api/v1/insight/map/{world.district.code}",
               **{"from": (today - timedelta(days=60)).isoformat(),
                  "to": (today - timedelta(days=31)).isoformat()}).json()
    assert body["totals"]["case"]["total"] == 0


def test_the_rates_are_the_published_definitions(client, world, cases):
    body = get(client, world.users[Role.DISTRICT_OPERATOR],
               f"/api/v1/insight/map/{world.district.code}/rates").json()
    assert set(body) == {"close_rate", "on_time_rate", "on_time_share"}
    assert body["close_rate"]["denominator"] == body["on_time_rate"]["denominator"]


def test_the_page_links_each_figure_to_its_records(client, world, cases):
    op = world.users[Role.DISTRICT_OPERATOR]
    page = get(client, op, f"/insight/map/{world.district.code}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert world.streets[0].name in html and 'id="onemap-children"' in html
    # the records behind the "reported" figure: the queue filtered to the area, the state and the range
    reported_url = next(row["url"] for row in page.context["data"]["totals"]["case"]["by_state"]
                        if row["code"] == "reported")
    assert reported_url.startswith("/cases/") and f"area={world.district.code}" in reported_url
    queue = client.get(reported_url)
    assert queue.status_code == 200
    alerts_url = page.context["data"]["totals"]["alert"]["url"]
    assert alerts_url.startswith("/sensing/alerts/") and "from=" in alerts_url and "to=" in alerts_url
    listed = queue.content.decode()
    for case in cases:
        case.refresh_from_db()
        assert (case.number in listed) == (case.state == "reported"), (reported_url, case.number, case.state)


def test_every_figure_of_a_child_opens_its_records(client, world, cases):
    from wangge.registry.models import Place

    Place.objects.create(name="测试小学", kind="school", address="测试路2号", grid=world.grids[4])
    op = world.users[Role.DISTRICT_OPERATOR]
    page = get(client, op, f"/insight/map/{world.district.code}/")
    data = page.context["data"]
    assert data["totals"]["places"] == 1 and 'id="fig-places"' in page.content.decode()
    places = client.get(data["totals"]["places_url"])
    assert places.status_code == 200 and "测试小学" in places.content.decode()
    streets = {child["code"]: child for child in data["children"]}
    quiet, busy = streets[world.streets[0].code], streets[world.streets[1].code]
    assert quiet["places"] == 0 and busy["places"] == 1
    assert "测试小学" not in client.get(quiet["urls"]["places"]).content.decode()
    assert "测试小学" in client.get(busy["urls"]["places"]).content.decode()
    listed = client.get(quiet["urls"]["open"]).content.decode()  # street 0's open cases, in the range
    for case in cases:
        assert (case.number in listed) == (case.grid_id == world.grids[0].id), case.number
    for name in ("dispute", "alert", "devices", "coverage"):
        response = client.get(busy["urls"][name])
        assert response.status_code == 200 and f"area={world.streets[1].code}" in busy["urls"][name], name


def test_the_wall_view_refreshes_and_hides_the_chrome(client, world, cases):
    page = get(client, world.users[Role.DISTRICT_OPERATOR], "/insight/map/", screen="1")
    assert page.status_code == 200
    assert 'class="wall"' in page.content.decode()
    assert "onemap.js" in page.content.decode()


def test_devices_are_counted_by_connectivity_per_child(client, world, cases):
    from wangge.sensing.testing import make_device

    now = timezone.now()
    make_device(world.grids[0], "D-ONLINE", last_seen_at=now)
    make_device(world.grids[0], "D-OFFLINE", last_seen_at=now - timedelta(days=3))
    make_device(world.grids[4], "D-NEVER")
    make_device(world.grids[4], "D-RETIRED", state="retired", last_seen_at=now)
    body = get(client, world.users[Role.DISTRICT_OPERATOR], f"/api/v1/insight/map/{world.district.code}").json()
    assert body["totals"]["devices"] == {"online": 1, "offline": 1, "unknown": 1}
    streets = {child["code"]: child["devices"] for child in body["children"]}
    assert streets[world.streets[0].code] == {"online": 1, "offline": 1, "unknown": 0}
    assert streets[world.streets[1].code] == {"online": 0, "offline": 0, "unknown": 1}


def test_the_maps_table_exports_as_a_spreadsheet_with_its_audit_row(client, world, cases):
    from io import BytesIO

    from openpyxl import load_workbook

    from wangge.core.models import AuditEntry

    op = world.users[Role.DISTRICT_OPERATOR]
    response = get(client, op, f"/insight/map/{world.district.code}/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="onemap-510107-')
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    by_code = {row[1]: row for row in rows[2:]}
    assert by_code[world.streets[0].code][2] == 3 and by_code[world.streets[1].code][2] == 1
    assert by_code[world.district.code][2] == 4  # the total row
    entry = AuditEntry.objects.get(operation="insight.map_export")
    assert entry.actor == op and entry.details["region"] == world.district.code


def test_a_bad_export_is_refused_and_leaves_no_audit_row(client, world, cases):
    from wangge.core.models import AuditEntry

    op = world.users[Role.DISTRICT_OPERATOR]
    response = get(client, op, f"/insight/map/{world.district.code}/export.xlsx", **{"from": "2025-02-01",
                                                                                       "to": "2025-01-01"})
    assert response.status_code == 400 and b"from" in response.content
    assert not AuditEntry.objects.filter(operation="insight.map_export").exists()
    assert get(client, world.users[Role.STREET_OPERATOR],
               f"/insight/map/{world.streets[1].code}/export.xlsx").status_code == 404
