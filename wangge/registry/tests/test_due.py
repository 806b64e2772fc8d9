"""The due-visit list: frequency from the visible tags, clock from the latest visit or the tag's `since`."""
from datetime import timedelta

import pytest
from django.utils import timezone

from wangge.core.roles import Role
from wangge.registry import services
from wangge.registry.due import due_visits, refresh_schedules
from wangge.registry.models import PersonTag, Tag, VisitSchedule
from wangge.testing import build_registry, make_id_number

pytestmark = pytest.mark.django_db


def days_ago(n):
    return timezone.localdate() - timedelta(days=n)


@pytest.fixture
def grid(world):
    """People of grids[0] with tags and visits chosen so each lands at a known place in the list.

    name       tags (every)                 clock from                     due in (days)
    特殊甲     社区矫正 7 (special)          since 20 days ago              -13 (overdue 13)
    home家人   退役军人 90                   since 100 days ago             -10
    home户主   独居老人 7                    visits 40 and 10 days ago       -3
    无起点     独居老人 7                    no visit, no since: from today   0
    双标签     独居老人 7 + 退役军人 90      visit 3 days ago                +4
    空巢乙     空巢老人 30                   visit 25 days ago               +5
    残疾丙     残疾人 30                     visit 2 days ago               +28 (not listed)
    away户主   独居老人 7 (another street)   since 30 days ago              -23 (not the worker's)
    """
    reg = build_registry(world)
    admin = world.users[Role.ADMINISTRATOR]
    worker = world.users[Role.GRID_WORKER]
    house = reg["home"]["house"]
    tag = {code: Tag.objects.get(code=code) for code in
           ("elder_living_alone", "veteran", "empty_nest_elder", "disabled", "community_correction")}
    people = {"home户主": reg["home"]["head"], "home家人": reg["home"]["member"]}
    for seq, name in enumerate(("特殊甲", "无起点", "双标签", "空巢乙", "残疾丙"), start=30):
        people[name] = services.do_register_person(
            admin, {"name": name, "id_number": make_id_number("19950101", seq)}, house=house)

    def visit(name, days):
        services.do_record_visit(worker, people[name], visited_at=timezone.now() - timedelta(days=days))

    services.do_tag_person(admin, people["特殊甲"], tag["community_correction"], since=days_ago(20))
    services.do_tag_person(admin, people["home家人"], tag["veteran"], since=days_ago(100))
    services.do_tag_person(admin, people["home户主"], tag["elder_living_alone"], since=days_ago(400))
    visit("home户主", 40)
    visit("home户主", 10)
    PersonTag.objects.create(person=people["无起点"], tag=tag["elder_living_alone"], since=None)  # as an old import
    refresh_schedules([people["无起点"].pk])  # what a bulk load (and the migration) does after writing tags
    services.do_tag_person(admin, people["双标签"], tag["elder_living_alone"], since=days_ago(300))
    services.do_tag_person(admin, people["双标签"], tag["veteran"], since=days_ago(300))
    visit("双标签", 3)
    services.do_tag_person(admin, people["空巢乙"], tag["empty_nest_elder"], since=days_ago(300))
    visit("空巢乙", 25)
    services.do_tag_person(admin, people["残疾丙"], tag["disabled"], since=days_ago(300))
    visit("残疾丙", 2)
    services.do_tag_person(admin, reg["away"]["head"], tag["elder_living_alone"], since=days_ago(30))
    return people


def listed(queryset):
    today = timezone.localdate()
    return [(p.name, (today - p.due_on).days, p.every) for p in queryset]


def test_the_grid_workers_list_most_overdue_first(world, grid):
    assert listed(due_visits(world.users[Role.GRID_WORKER])) == [
        ("特殊甲", 13, 7), ("home家人", 10, 90), ("home户主", 3, 7), ("无起点", 0, 7), ("双标签", -4, 7),
        ("空巢乙", -5, 30),
    ]


def test_the_latest_visit_is_the_clock(world, grid):
    row = next(p for p in due_visits(world.users[Role.GRID_WORKER]) if p.name == "home户主")
    assert timezone.localtime(row.last_visit).date() == days_ago(10)


@pytest.mark.usefixtures("registry_readers_without_special")
def test_special_groups_only_count_for_who_may_see_them(world, grid):
    # The community operator may see special groups, the mediator (same community) may not.
    community = [name for name, *_ in listed(due_visits(world.users[Role.COMMUNITY_OPERATOR]))]
    assert "特殊甲" in community
    mediator = [name for name, *_ in listed(due_visits(world.users[Role.MEDIATOR]))]
    assert "特殊甲" not in mediator and "home家人" in mediator


def test_an_operator_sees_their_whole_area(world, grid):
    names = [name for name, *_ in listed(due_visits(world.users[Role.DISTRICT_OPERATOR]))]
    assert names[0] == "away户主" and "特殊甲" in names
    names = [name for name, *_ in listed(due_visits(world.users[Role.DISTRICT_OPERATOR], world.grids[4]))]
    assert names == ["away户主"]


def test_a_visit_restarts_the_clock(world, grid):
    worker = world.users[Role.GRID_WORKER]
    services.do_record_visit(worker, grid["特殊甲"])
    assert listed(due_visits(worker))[-1] == ("特殊甲", -7, 7)  # due again in a week: still within the window
    services.do_record_visit(worker, grid["空巢乙"])
    assert "空巢乙" not in [name for name, *_ in listed(due_visits(worker))]


def test_one_query_for_the_list(world, grid, django_assert_max_num_queries):
    worker = world.users[Role.GRID_WORKER]
    with django_assert_max_num_queries(4):  # frequencies, the list, its visible tags (prefetch), scope node
        rows = list(due_visits(worker))
    assert len(rows) == 6


def test_due_endpoint(world, grid, client):
    client.force_login(world.users[Role.GRID_WORKER])
    data = client.get("/api/v1/visits/due").json()
    assert data["count"] == 6
    first = data["items"][0]
    assert first["name"] == "特殊甲" and first["days_overdue"] == 13 and first["overdue"] is True
    assert first["tags"] == ["community_correction"] and first["every_days"] == 7 and first["last_visit"] is None
    assert first["due_on"] == days_ago(13).isoformat() and first["grid_code"] == world.grids[0].code
    last = data["items"][-1]
    assert last["name"] == "空巢乙" and last["days_overdue"] == -5 and last["overdue"] is False
    assert client.get("/api/v1/visits/due", {"grid": world.grids[4].code}).status_code == 404
    client.force_login(world.users[Role.MEDIATOR])
    assert client.get("/api/v1/visits/due").status_code == 403


def test_untagging_takes_a_person_off_the_list(world, grid):
    worker, admin = world.users[Role.GRID_WORKER], world.users[Role.ADMINISTRATOR]
    services.do_untag_person(admin, PersonTag.objects.get(person=grid["home家人"]))
    assert "home家人" not in [name for name, *_ in listed(due_visits(worker))]
    assert not VisitSchedule.objects.filter(person=grid["home家人"]).exists()


def test_a_new_frequency_in_the_admin_moves_its_holders_due_dates(world, grid, client):
    from wangge.core.models import User

    worker = world.users[Role.GRID_WORKER]
    veteran = Tag.objects.get(code="veteran")  # home家人: since 100 days ago, every 90: 10 days overdue
    client.force_login(User.objects.create_superuser("maintainer", "maintainer@example.org", "x-unused-x"))
    response = client.post(f"/admin/registry/tag/{veteran.pk}/change/", {
        "code": veteran.code, "name": veteran.name, "group": veteran.group, "visit_every_days": 120})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "home家人" not in [name for name, *_ in listed(due_visits(worker))]  # now due in 20 days
    assert VisitSchedule.objects.get(person=grid["home家人"]).due_all == days_ago(100) + timedelta(days=120)


def test_the_schedules_can_be_rebuilt_from_the_tags_and_visits(world, grid):
    worker = world.users[Role.GRID_WORKER]
    before = listed(due_visits(worker))
    VisitSchedule.objects.all().delete()
    assert listed(due_visits(worker)) == []
    assert refresh_schedules() == VisitSchedule.objects.count() > 0
    assert listed(due_visits(worker)) == before
