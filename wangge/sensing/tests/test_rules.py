"""Rules → alerts: on events as they are stored, and on time (the worker)."""
from datetime import timedelta

import pytest
from django.utils import timezone

from wangge.core.roles import Role
from wangge.registry import services as registry_services
from wangge.registry.models import Tag
from wangge.sensing import cards, rules, services
from wangge.sensing.models import Alert, AlertRule, AlertState, AlertType, Resolution
from wangge.sensing.testing import door_event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rules():
    rules.RuleBook.forget()
    yield
    rules.RuleBook.forget()


def _tag(world, person, code):
    registry_services.do_tag_person(world.users[Role.ADMINISTRATOR], person, Tag.objects.get(code=code))


def _door_reporting(door, since, at):
    """The door has sent messages since `since`, the last one at `at` (so it is online at `at`)."""
    from wangge.sensing.models import Device

    Device.objects.filter(pk=door.pk).update(first_seen_at=since, last_seen_at=at)


def _pass(device, card, seq, **extra):
    return door_event(device, seq, card=card.number, card_id=card.pk, person_id=card.person_id, **extra)


def test_a_watched_person_passing_a_door_raises_key_person_once_while_open(world, sensing, registry_home):
    _tag(world, registry_home["head"], "community_correction")
    door, card = sensing["door"], sensing["card"]
    events = [_pass(door, card, 1), _pass(door, card, 2, direction="out")]
    rules.on_events(door, events)
    alert = Alert.objects.get(type=AlertType.KEY_PERSON)
    assert alert.person == registry_home["head"] and alert.count == 2 and alert.device == door
    assert "社区矫正人员" in alert.title


def test_a_default_groups_name_in_the_title_follows_the_reader(world, sensing, registry_home):
    from django.utils import translation

    _tag(world, registry_home["head"], "community_correction")
    door, card = sensing["door"], sensing["card"]
    rules.on_events(door, [_pass(door, card, 1)])
    alert = Alert.objects.get(type=AlertType.KEY_PERSON)
    assert alert.title == f"社区矫正人员通过{door.name}"  # stored in the platform's language
    with translation.override("en"):
        assert alert.shown_title == f"Under community correction passed {door.name}"
    with translation.override("zh-hans"):
        assert alert.shown_title == alert.title


def test_a_renamed_group_is_shown_as_entered(world, sensing, registry_home):
    from django.utils import translation

    Tag.objects.filter(code="community_correction").update(name="社区矫正对象")
    _tag(world, registry_home["head"], "community_correction")
    door, card = sensing["door"], sensing["card"]
    rules.on_events(door, [_pass(door, card, 1)])
    alert = Alert.objects.get(type=AlertType.KEY_PERSON)
    with translation.override("en"):
        assert alert.shown_title == f"社区矫正对象 passed {door.name}"


def test_an_unwatched_person_raises_nothing(world, sensing):
    rules.on_events(sensing["door"], [_pass(sensing["door"], sensing["card"], 1)])
    assert not Alert.objects.exists()


def test_a_rule_switched_off_for_the_area_raises_nothing(world, sensing, registry_home):
    _tag(world, registry_home["head"], "community_correction")
    AlertRule.objects.create(type=AlertType.KEY_PERSON, region=world.communities[0], enabled=False)
    rules.on_events(sensing["door"], [_pass(sensing["door"], sensing["card"], 1)])
    assert not Alert.objects.exists()


def test_the_nearest_area_rule_wins(world, sensing, registry_home):
    _tag(world, registry_home["head"], "drug_user")
    AlertRule.objects.create(type=AlertType.KEY_PERSON, region=world.district, severity="minor")
    AlertRule.objects.create(type=AlertType.KEY_PERSON, region=world.grids[0], severity="critical")
    rules.on_events(sensing["door"], [_pass(sensing["door"], sensing["card"], 1)])
    assert Alert.objects.get().severity == "critical"


def test_unknown_lost_and_foreign_cards_raise_unknown_card(world, sensing, registry):
    door = sensing["door"]
    operator = world.users[Role.ADMINISTRATOR]
    lost = services.do_card_action(operator, sensing["card"], "report_lost")
    stranger = cards.make_number("510107", 777)
    events = [door_event(door, 1, card=lost.number, card_check="lost", granted=False),
              door_event(door, 2, card=stranger, card_check="unknown", granted=False)]
    rules.on_events(door, events)
    alert = Alert.objects.get(type=AlertType.UNKNOWN_CARD)
    assert alert.count == 2 and alert.details["why"] == "unknown"
    assert stranger not in str(alert.details) and alert.details["card"].endswith(stranger[-4:])


def test_the_controllers_forced_open_alarm(world, sensing):
    door = sensing["door"]
    rules.on_events(door, [door_event(door, 1, alarm="forced_open"), door_event(door, 2)])
    alert = Alert.objects.get(type=AlertType.DOOR_FORCED)
    assert alert.count == 1 and alert.details["alarm"] == "forced_open"


def test_an_alert_from_buffered_events_keeps_their_times(world, sensing):
    """A controller back on the network uploads the passes it kept: the alert is dated by them, not by their
    arrival, and a batch's repeats span its earliest and latest event."""
    door, now = sensing["door"], timezone.now()
    earlier, later = now - timedelta(hours=2), now - timedelta(hours=1)
    rules.on_events(door, [door_event(door, 2, alarm="forced_open", at=later),
                           door_event(door, 1, alarm="forced_open", at=earlier)], now=now)
    alert = Alert.objects.get(type=AlertType.DOOR_FORCED)
    assert (alert.count, alert.first_seen, alert.last_seen, alert.raised_at) == (2, earlier, later, now)
    assert alert.details["at"] == later.isoformat()


def test_no_activity_for_a_day_raises_and_a_door_pass_clears_it(world, sensing, registry_home):
    _tag(world, registry_home["head"], "elder_living_alone")
    door, card = sensing["door"], sensing["card"]
    start = card.issued_at
    _pass(door, card, 1, at=start + timedelta(hours=1))
    _door_reporting(door, start - timedelta(days=30), start + timedelta(hours=20))
    assert rules.check_no_activity(start + timedelta(hours=20)) == 0  # 19 hours: not yet
    _door_reporting(door, start - timedelta(days=30), start + timedelta(hours=26))
    assert rules.check_no_activity(start + timedelta(hours=26)) == 1
    _door_reporting(door, start - timedelta(days=30), start + timedelta(hours=27))
    assert rules.check_no_activity(start + timedelta(hours=27)) == 1  # again: the same alert counted
    alert = Alert.objects.get(type=AlertType.NO_ACTIVITY)
    assert alert.count == 2 and alert.person == registry_home["head"] and alert.severity == "critical"
    rules.on_events(door, [_pass(door, card, 2, at=start + timedelta(hours=28))])
    alert.refresh_from_db()
    assert alert.state == AlertState.CLOSED and alert.resolution == Resolution.CLEARED


def test_no_activity_uses_the_areas_hours(world, sensing, registry_home):
    _tag(world, registry_home["head"], "elder_living_alone")
    AlertRule.objects.create(type=AlertType.NO_ACTIVITY, region=world.grids[0], params={"hours": 48})
    start = sensing["card"].issued_at
    _pass(sensing["door"], sensing["card"], 1, at=start + timedelta(hours=1))
    _door_reporting(sensing["door"], start - timedelta(days=30), start + timedelta(hours=31))
    assert rules.check_no_activity(start + timedelta(hours=31)) == 0  # 30 hours: under the area's 48


def test_over_occupancy_counts_distinct_cards_on_a_house(world, sensing, registry_home):
    door = sensing["door"]
    operator = world.users[Role.ADMINISTRATOR]
    member_card = services.do_issue_card(operator, registry_home["member"])
    # two residents and two cards; margin 0
    AlertRule.objects.create(type=AlertType.OVER_OCCUPANCY, params={"margin": 0})
    now = timezone.now()
    _pass(door, sensing["card"], 1, at=now - timedelta(days=1))
    assert rules.check_over_occupancy(now) == 0  # one card, two residents
    _pass(door, member_card, 2, at=now - timedelta(days=1))
    assert rules.check_over_occupancy(now) == 0  # two cards, two residents, margin 0
    from wangge.registry.models import Person

    Person.objects.filter(pk=registry_home["member"].pk).update(moved_out=now.date())  # moved out, card kept
    assert rules.check_over_occupancy(now) == 1
    alert = Alert.objects.get(type=AlertType.OVER_OCCUPANCY)
    assert alert.house == registry_home["house"] and alert.details == {"cards": 2, "residents": 1, "margin": 0,
                                                                       "days": 7}


def test_a_card_just_issued_is_given_the_rules_hours_before_anyone_worries(world, sensing, registry_home):
    _tag(world, registry_home["head"], "elder_living_alone")
    issued = sensing["card"].issued_at
    _door_reporting(sensing["door"], issued - timedelta(days=30), issued + timedelta(hours=23))
    assert rules.check_no_activity(issued + timedelta(hours=23)) == 0
    _door_reporting(sensing["door"], issued - timedelta(days=30), issued + timedelta(hours=25))
    assert rules.check_no_activity(issued + timedelta(hours=25)) == 1
    assert Alert.objects.get().details["last_event"] is None


def test_no_activity_needs_a_door_that_is_online_and_has_reported_long_enough(world, sensing, registry_home):
    _tag(world, registry_home["head"], "elder_living_alone")
    door, issued = sensing["door"], sensing["card"].issued_at
    later = issued + timedelta(days=10)
    assert rules.check_no_activity(later) == 0  # the door never sent anything: silence says nothing
    _door_reporting(door, issued, later - timedelta(hours=2))
    assert rules.check_no_activity(later) == 0  # the door is offline now (10 minutes' timeout)
    _door_reporting(door, later - timedelta(hours=3), later)
    assert rules.check_no_activity(later) == 0  # connected three hours ago: nothing to say about a day
    _door_reporting(door, later - timedelta(hours=30), later)
    assert rules.check_no_activity(later) == 1
