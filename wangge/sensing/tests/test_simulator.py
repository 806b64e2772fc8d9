"""The synthetic day at the doors: what it plans (publishing is tested with ingestion, against the broker)."""
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from wangge.core.roles import Role
from wangge.registry import services as registry_services
from wangge.registry.models import Tag
from wangge.sensing import services
from wangge.sensing.models import Device, DeviceState
from wangge.sensing.simulator import Day, Heartbeats, heartbeat, payload, topic

pytestmark = pytest.mark.django_db


def test_a_day_has_every_holder_strangers_a_forced_door_and_one_silent_elder(world, registry_home, sensing):
    admin = world.users[Role.ADMINISTRATOR]
    member_card = services.do_issue_card(admin, registry_home["member"])
    registry_services.do_tag_person(admin, registry_home["member"], Tag.objects.get(code="elder_living_alone"))
    day = Day(world.district, seed=3, strangers=4, forced=1)
    plan = day.build()
    assert day.silent_person == registry_home["member"].pk
    by_card = {}
    for planned in plan:
        by_card.setdefault(planned.body.get("card"), []).append(planned)
    head_passes = by_card[sensing["card"].number]
    assert 2 <= len(head_passes) <= 4 and all(day.start <= p.at <= day.start + timedelta(hours=24)
                                              for p in head_passes)
    silent = by_card[member_card.number]
    assert len(silent) == 1 and silent[0].at < day.start  # its last pass is 30 hours back, then nothing
    refused = [p for p in plan if p.body.get("granted") is False]
    assert len(refused) == 4 and all(p.body["card"] not in (sensing["card"].number, member_card.number)
                                     for p in refused)
    assert sum(1 for p in plan if p.body.get("alarm") == "forced_open") == 1
    assert [p.at for p in plan] == sorted(p.at for p in plan)
    seqs = [p.body["seq"] for p in plan if p.device_code == sensing["door"].code]
    assert len(seqs) == len(set(seqs))
    first = plan[0]
    assert topic(first.device_code) == f"wangge/devices/{first.device_code}/events"  # the default root
    assert json.loads(payload(first))["ts"] == first.at.isoformat()


@pytest.mark.parametrize("hour", [0, 5, 11, 17, 19, 23])
def test_a_day_starting_at_any_hour_holds_each_residents_whole_day(world, sensing, hour):
    # The window is the last 24 hours, so it starts at whatever hour the simulator is run.
    start = timezone.localtime(timezone.now()).replace(hour=hour, minute=7) - timedelta(days=1)
    day = Day(world.district, seed=3, start=start, strangers=0, forced=0)
    passes = [p for p in day.build() if p.body.get("card") == sensing["card"].number]
    assert len(passes) in (2, 4)
    assert all(start <= p.at <= start + timedelta(hours=24) for p in passes)
    assert sorted(p.body["direction"] for p in passes).count("out") == len(passes) // 2


def test_an_empty_district_plans_nothing(world):
    assert Day(world.district).build() == []


def test_after_the_first_day_the_silent_elder_stays_silent(world, registry_home, sensing):
    admin = world.users[Role.ADMINISTRATOR]
    member_card = services.do_issue_card(admin, registry_home["member"])
    registry_services.do_tag_person(admin, registry_home["member"], Tag.objects.get(code="elder_living_alone"))
    later = Day(world.district, seed=4, strangers=0, forced=0, silent_pass=False)
    plan = later.build()
    assert later.silent_person == registry_home["member"].pk
    assert not [p for p in plan if p.body.get("card") == member_card.number]
    assert [p for p in plan if p.body.get("card") == sensing["card"].number]  # everyone else passes as before


def test_heartbeats_spread_every_device_in_service_over_the_period(world, sensing):
    sensing["away_door"].state = DeviceState.MAINTENANCE
    sensing["away_door"].save()
    beats = Heartbeats(world.district, period=90.0, now=1000.0)
    in_service = set(Device.objects.filter(state=DeviceState.IN_SERVICE).values_list("code", flat=True))
    assert len(beats) == len(in_service) >= 2 and sensing["away_door"].code not in in_service
    assert beats.due(999.0) == [] and beats.next_at() == 1000.0
    first = beats.due(1000.0)
    assert len(first) == 1  # spread: one device at a time, not all in the first second
    everyone = first + beats.due(1089.9)
    assert sorted(everyone) == sorted(in_service)  # each once in a period
    assert beats.due(1089.9) == []
    assert beats.due(1090.0) == first  # then each again, a period after its last beat
    assert json.loads(heartbeat(timezone.now()))["type"] == "heartbeat"


def test_heartbeats_of_an_empty_district_never_fall_due(world):
    beats = Heartbeats(world.district, period=60.0, now=0.0)
    assert len(beats) == 0 and beats.next_at() is None and beats.due(1e9) == []


@pytest.mark.parametrize("args, message", [(["--beat", "0"], "--beat"), (["--for", "-1"], "--for"),
                                          (["--limit", "0"], "--limit"), (["--limit", "-5"], "--limit"),
                                          (["--district", "999999"], "no district")])
def test_the_simulator_refuses_bad_options_before_publishing(world, sensing, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("simulate_devices", "--live", *args, "--url", "mqtt://127.0.0.1:1")  # no broker there
