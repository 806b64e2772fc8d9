"""The demo's synthetic year of cases: deterministic, plausible, every timeline a walk the workflow table allows,
state fields and deadlines agreeing with the timeline, and the same results as the real operations give."""
import io
import random
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import shapely
from django.core.management import call_command
from shapely.geometry import shape

from wangge.areas.models import Level, Region
from wangge.cases import services as case_services
from wangge.cases.models import CLOSED_STATES, Case, CaseCounter, CaseEvent, Channel, Priority, State
from wangge.cases.workflow import TRANSITIONS
from wangge.core import workdays
from wangge.core.models import AuditEntry, Department, User
from wangge.core.roles import OPERATORS, Role
from wangge.demo import cases as demo_cases
from wangge.demo import services
from wangge.demo.generator import generate

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 15, 15, 30, tzinfo=SHANGHAI)  # a Monday afternoon
SEED = 7
COUNT = 800
TINY = ["--grids", "20", "--streets", "2", "--people", "0"]


@pytest.fixture(scope="module")
def plan():
    return generate(SEED, target_grids=20, streets=2)


@pytest.fixture
def district(db, plan):
    services.load(plan, people=0, cases=0)
    return services.demo_district()


@pytest.fixture
def loaded(district):
    counts = demo_cases.load_cases(district, SEED, COUNT, now=NOW)
    return district, counts


def _timelines():
    events = defaultdict(list)
    for event in CaseEvent.objects.order_by("at", "id"):
        events[event.case_id].append(event)
    return events


# ----------------------------------------------------------------- the whole


def test_counts_are_plausible(loaded):
    district, counts = loaded
    cases = Case.objects.all()
    assert counts["cases"] == cases.count() == COUNT
    assert counts["case_events"] == CaseEvent.objects.count()
    states = Counter(cases.values_list("state", flat=True))
    channels = Counter(cases.values_list("channel", flat=True))
    majors = Counter(cases.values_list("category__major__name", flat=True))
    # Most are closed; some of every other outcome; a few percent still open.
    assert states[State.CLOSED] > 0.8 * COUNT
    assert 0 < states[State.REJECTED] < 0.1 * COUNT and 0 < states[State.MERGED] < 0.05 * COUNT
    open_cases = sum(n for state, n in states.items() if state not in CLOSED_STATES)
    assert counts["open_cases"] == open_cases and 0 < open_cases < 0.1 * COUNT
    # Channels in the order the brief gives, and every one present.
    order = [Channel.GRID_WORKER, Channel.CITIZEN, Channel.HOTLINE_12345, Channel.DEVICE, Channel.OTHER_SYSTEM,
             Channel.LEADER]
    assert all(channels[c] > 0 for c in order)
    assert channels[Channel.GRID_WORKER] > channels[Channel.CITIZEN] > channels[Channel.HOTLINE_12345] \
        > channels[Channel.OTHER_SYSTEM] > channels[Channel.LEADER]
    assert {name for name, _ in majors.most_common(2)} == {"市容环境", "街面秩序"}
    assert len(majors) >= 10
    closed = cases.filter(state=State.CLOSED)
    on_time = closed.filter(on_time=True).count()
    assert 0.7 * closed.count() < on_time < closed.count()
    assert closed.exclude(rating="").count() > 0.5 * closed.count()
    for name in ("return_count", "rework_count", "extension_count", "supervise_count"):
        assert cases.filter(**{f"{name}__gt": 0}).exists(), name
    assert cases.filter(self_resolved=True).exists()
    assert cases.filter(anonymous=True, channel=Channel.CITIZEN).exists()
    assert cases.filter(anonymous=False, channel=Channel.CITIZEN).exclude(reporter_name="").exists()
    assert cases.filter(assignee_region__level=Level.GRID).exists()  # some work given to the grid's worker
    assert CaseEvent.objects.filter(action="escalate").exists()
    # The year before now.
    first, last = cases.order_by("reported_at")[0].reported_at, cases.order_by("-reported_at")[0].reported_at
    assert NOW - timedelta(days=366) < first < NOW - timedelta(days=350) and NOW - timedelta(days=3) < last <= NOW
    assert AuditEntry.objects.filter(operation="demo.load_cases").count() == 1


def test_same_seed_same_cases(district):
    first = demo_cases.plan_cases(district, SEED, 300, now=NOW)
    again = demo_cases.plan_cases(district, SEED, 300, now=NOW)
    other = demo_cases.plan_cases(district, SEED + 1, 300, now=NOW)

    def key(p):
        return [(r.row.number, r.row.reported_at, r.row.grid_id, r.row.category_id, r.row.channel, r.row.state,
                 r.row.lng, r.row.lat, r.row.reporter_phone, [(e.at, e.action, e.actor_id, e.note) for e in r.events])
                for r in p.runs]

    assert key(first) == key(again)
    assert key(first) != key(other)
    assert Counter(r.row.state for r in first.runs) == Counter(r.row.state for r in again.runs)


def test_every_grid_has_cases_even_when_few(district):
    grids = set(Region.objects.filter(level=Level.GRID).values_list("pk", flat=True))
    demo_cases.load_cases(district, SEED, len(grids) + 3, now=NOW)
    assert set(Case.objects.values_list("grid_id", flat=True)) == grids


def test_points_lie_in_their_grids(loaded):
    polygons = {pk: shape(p) for pk, p in Region.objects.filter(level=Level.GRID).values_list("pk", "polygon")}
    for grid_id, lng, lat in Case.objects.values_list("grid_id", "lng", "lat"):
        assert shapely.contains_xy(polygons[grid_id], lng, lat) or \
            polygons[grid_id].distance(shapely.Point(lng, lat)) < 1e-6


def test_numbers_and_tracking_codes_are_unique_and_the_counter_moves_past_them(loaded):
    rows = list(Case.objects.values_list("number", "tracking_code", "reported_at"))
    assert len({n for n, _, _ in rows}) == len(rows) and len({c for _, c, _ in rows}) == len(rows)
    last = defaultdict(int)
    for number, code, reported_at in rows:
        day = reported_at.astimezone(SHANGHAI).date()
        assert number.startswith(f"WG{day:%Y%m%d}") and len(number) == 16
        last[day] = max(last[day], int(number[-6:]))
        assert len(code) == 10 and set(code) <= set(case_services.TRACKING_ALPHABET)
    assert dict(CaseCounter.objects.values_list("day", "last")) == dict(last)
    # A case reported for real on a demo day takes the next number, not one the demo used.
    grid = Region.objects.filter(level=Level.GRID).order_by("code").first()
    worker = User.objects.get(role=Role.GRID_WORKER, region=grid)
    busiest = max(last, key=last.get)
    at = datetime.combine(busiest, datetime.min.time(), tzinfo=SHANGHAI) + timedelta(hours=10)
    case = case_services.do_report_case(worker, category=Case.objects.first().category, title="再报一件",
                                        lng=grid.center_lng, lat=grid.center_lat, now=at)
    assert case.number == f"WG{busiest:%Y%m%d}{last[busiest] + 1:06d}"


def test_phones_are_synthetic(loaded):
    phones = [p for p in Case.objects.values_list("reporter_phone", flat=True) if p]
    assert phones and all(p.startswith("19900") and len(p) == 11 for p in phones)
    assert not Case.objects.filter(anonymous=True).exclude(reporter_name="").exists()
    assert all(not p for p in Case.objects.filter(anonymous=True).values_list("reporter_phone", flat=True))


# ------------------------------------------------------------- the timelines


def test_every_timeline_is_a_walk_the_workflow_table_allows(loaded):
    users = User.objects.in_bulk()
    cases = Case.objects.select_related("grid", "category").in_bulk()
    timelines = _timelines()
    assert set(timelines) == set(cases)
    for case_id, events in timelines.items():
        case = cases[case_id]
        report, steps = events[0], events[1:]
        assert (report.action, report.from_state, report.to_state, report.at) == \
               ("report", "", State.REPORTED, case.reported_at)
        state = State.REPORTED
        for previous, event in zip(events, steps):
            transition = TRANSITIONS.get((event.from_state, event.action))
            assert transition is not None, (case.number, event.from_state, event.action)
            assert event.from_state == state
            assert event.to_state == (transition.to_state or event.from_state), (case.number, event.action)
            assert event.at >= previous.at
            if event.actor_id is None:  # only the citizen's own rating has no account behind it
                assert (event.action, event.actor_name, case.channel) == ("rate", "citizen", Channel.CITIZEN)
            else:
                actor = users[event.actor_id]
                assert actor.role in transition.roles and event.actor_name == actor.username
            state = event.to_state
        assert state == case.state, case.number
        assert case.version == len(events)


def test_state_fields_agree_with_the_timeline(loaded):
    cases = Case.objects.select_related("grid__parent", "category").in_bulk()
    users = User.objects.in_bulk()
    departments = Department.objects.in_bulk()
    for case_id, events in _timelines().items():
        case = cases[case_id]
        actions = Counter(e.action for e in events)
        by_action = defaultdict(list)
        for e in events:
            by_action[e.action].append(e)
        assert case.return_count == actions["return"]
        assert case.rework_count == actions["verify_rework"]
        assert case.supervise_count == actions["supervise"]
        assert case.extension_count == actions["approve_extension"]
        assert case.self_resolved == bool(actions["self_resolve"])
        assert bool(case.rating) == bool(actions["rate"]) and (not case.rating or
                                                                case.rated_at == by_action["rate"][0].at)
        assert case.unsigned_flagged_at is None and case.overdue_flagged_at is None
        last = events[-1]
        if case.state in CLOSED_STATES:
            closing = [e for e in events if e.to_state == case.state and e.from_state != case.state][-1]
            assert case.closed_at == closing.at
        else:
            assert case.closed_at is None and case.on_time is None and not case.rating
        if case.state == State.CLOSED:
            assert case.on_time == (case.self_resolved or case.closed_at <= case.handle_by)
            assert case.handled_at is not None and case.resolution
        if case.state == State.MERGED:
            original = cases[case.merged_into_id]
            assert original.reported_at < case.reported_at <= original.reported_at + timedelta(days=7)
            assert original.category_id == case.category_id and original.grid_id == case.grid_id
            assert original.state not in (State.MERGED, State.REJECTED)
            assert last.details == {"into": original.number}
        else:
            assert case.merged_into_id is None
        if case.state in (State.DISPATCHED, State.ACCEPTED, State.HANDLED):
            dispatch = by_action["dispatch"][-1]
            if case.assignee_department_id:
                assert dispatch.details == {"department": departments[case.assignee_department_id].code}
                assert departments[case.assignee_department_id].code in case.category.department_codes
            else:
                assert case.assignee_region_id == case.grid_id
                assert dispatch.details == {"region": case.grid.code}
        if case.state in (State.ACCEPTED, State.HANDLED) or (case.state == State.CLOSED and not case.self_resolved):
            assert case.accepted_at == by_action["accept"][-1].at
        # Who: the grid worker of the grid reports its own and resolves on the spot; handlers act for the assignee.
        if case.channel == Channel.GRID_WORKER:
            reporter = users[events[0].actor_id]
            assert reporter.role == Role.GRID_WORKER and reporter.region_id == case.grid_id
            assert case.reporter_id == reporter.pk and case.reporter_name == reporter.full_name
        for e in events:
            actor = users.get(e.actor_id)
            if e.action in ("accept", "handle", "return", "request_extension"):
                assert actor.department_id or actor.region_id == case.grid_id
            if actor and actor.role in OPERATORS and e.action != "escalate":
                assert case.grid.path.startswith(actor.region.path)


def test_deadlines_are_the_category_limits_in_working_time(loaded):
    for case in Case.objects.select_related("category"):
        events = list(case.events.order_by("at", "id"))
        days = (case.category.urgent_handle_within_days if case.priority == Priority.URGENT
                else case.category.handle_within_days)
        handle_by = workdays.add_working_days(case.reported_at, days)
        for e in events:
            if e.action == "approve_extension":
                handle_by = workdays.add_working_days(handle_by, e.details["days"])
                assert e.details["handle_by"] == handle_by.isoformat()
        assert case.handle_by == handle_by, case.number
        clock_start = [e.at for e in events if e.action in ("dispatch", "verify_rework")][-1:] or [case.reported_at]
        assert case.accept_by == workdays.add_working_hours(clock_start[0], case.category.accept_within_hours)


def test_some_open_cases_are_already_past_their_deadlines(loaded):
    unsigned = Case.objects.filter(state=State.DISPATCHED, accept_by__lt=NOW)
    overdue = Case.objects.filter(state__in=[State.DISPATCHED, State.ACCEPTED], handle_by__lt=NOW)
    assert unsigned.exists() and overdue.exists()
    assert not Case.objects.filter(reported_at__gt=NOW).exists()
    assert not CaseEvent.objects.filter(at__gt=NOW).exists()


@pytest.mark.django_db
def test_the_demo_clock_is_the_working_day_calendar():
    clock = demo_cases.Clock()
    rng = random.Random(1)
    start = datetime(2025, 9, 20, tzinfo=SHANGHAI)  # across National Day and its 调休 weekend
    for _ in range(300):
        a = start + timedelta(minutes=rng.randrange(60 * 24 * 60))
        hours = rng.choice([0.5, 1, 2, 4, 8, rng.uniform(0, 40)])
        assert clock.add_hours(a, hours) == workdays.add_working_hours(a, hours)
        b = a + timedelta(minutes=rng.randrange(60 * 24 * 20))
        assert clock.hours_between(a, b) == pytest.approx(workdays.working_hours_between(a, b))
        assert clock.hours_between(b, a) == pytest.approx(workdays.working_hours_between(b, a))
        days = rng.randint(1, 10)
        assert clock.add_days(a, days) == workdays.add_working_days(a, days)


# ------------------------------------------------- the same as the operations


def _params(event):
    note, details = event.note, event.details
    if event.action == "dispatch":
        return ({"department": Department.objects.get(code=details["department"])} if "department" in details
                else {"region": Region.objects.get(code=details["region"])})
    return {
        "register": {"note": note}, "reject": {"reason": note}, "accept": {}, "return": {"reason": note},
        "request_extension": {"days": details.get("days"), "reason": note}, "approve_extension": {"note": note},
        "deny_extension": {"reason": note}, "handle": {"feedback": note}, "verify_close": {"note": note},
        "verify_rework": {"reason": note}, "escalate": {"reason": note}, "supervise": {"note": note},
        "urge": {"note": note}, "rate": {"rating": details.get("rating"), "note": note},
        "self_resolve": {"resolution": note},
    }[event.action]


FIELDS = ("state", "channel", "category_id", "grid_id", "owner_region_id", "reporter_id", "reporter_name",
          "reporter_phone", "priority", "assignee_department_id", "assignee_region_id", "reported_at", "accept_by",
          "handle_by", "registered_at", "dispatched_at", "accepted_at", "handled_at", "closed_at",
          "extension_requested_days", "extension_count", "resolution", "self_resolved", "rework_count", "on_time",
          "rating", "rating_note", "rated_at", "anonymous", "return_count", "returned_at", "supervise_count",
          "version", "title", "description", "address", "lng", "lat")


def test_replaying_timelines_through_the_operations_gives_the_same_cases(loaded):
    """Cases with every kind of step, taken again through do_report_case/do_report_public/do_act/do_rate_public
    at the same moments by the same users, end with the same fields and the same timeline."""
    users = User.objects.in_bulk()
    timelines = _timelines()
    chosen, seen = [], Counter()
    for case in Case.objects.exclude(state=State.MERGED).order_by("reported_at"):
        kinds = {e.action for e in timelines[case.pk]} | {case.channel, case.state}
        if any(seen[k] < 2 for k in kinds):
            chosen.append(case)
            seen.update(kinds)
    assert {"return", "verify_rework", "approve_extension", "deny_extension", "escalate", "self_resolve", "urge",
            "supervise", "reject", "rate"} <= set(seen)
    for case in chosen:
        events = timelines[case.pk]
        actor = users.get(events[0].actor_id)
        common = dict(category=case.category, title=case.title, description=case.description, lng=case.lng,
                      lat=case.lat, address=case.address, reporter_name=case.reporter_name,
                      reporter_phone=case.reporter_phone, now=case.reported_at)
        if actor is None:
            again = case_services.do_report_public(anonymous=case.anonymous, channel=case.channel, **common)
        else:
            again = case_services.do_report_case(actor, channel=case.channel, priority=case.priority, **common)
        for event in events[1:]:
            again.refresh_from_db()
            if event.actor_id is None:
                again = case_services.do_rate_public(again.tracking_code, rating=event.details["rating"],
                                                     note=event.note, now=event.at)
            else:
                again = case_services.do_act(users[event.actor_id], again, event.action,
                                             expected_version=again.version, now=event.at, **_params(event))
        again.refresh_from_db()
        case.refresh_from_db()
        assert {f: getattr(again, f) for f in FIELDS} == {f: getattr(case, f) for f in FIELDS}, case.number
        replayed = list(again.events.order_by("at", "id"))
        assert [(e.at, e.action, e.from_state, e.to_state, e.actor_id, e.actor_name, e.note, e.details)
                for e in replayed] == \
               [(e.at, e.action, e.from_state, e.to_state, e.actor_id, e.actor_name, e.note, e.details)
                for e in events]


# ---------------------------------------------------------------- the command


@pytest.mark.django_db
def test_command_loads_cases_once_adds_them_later_and_force_reloads():
    call_command("load_demo", *TINY, "--cases", "0", stdout=io.StringIO())
    assert not Case.objects.exists()
    out = io.StringIO()
    call_command("load_demo", *TINY, stdout=out)  # loaded before it had cases: the default, per grid, is added
    per_grid = demo_cases.CASES_PER_GRID * Region.objects.filter(level=Level.GRID).count()
    assert f"{per_grid} cases" in out.getvalue() and Case.objects.count() == per_grid
    out = io.StringIO()
    call_command("load_demo", *TINY, stdout=out)
    assert "already loaded" in out.getvalue() and Case.objects.count() == per_grid
    call_command("load_demo", *TINY, "--cases", "200", "--force", stdout=io.StringIO())
    assert Case.objects.count() == 200
    assert CaseEvent.objects.count() == sum(Case.objects.values_list("version", flat=True))  # none left behind
    assert set(CaseEvent.objects.values_list("case_id", flat=True)) == set(Case.objects.values_list("pk", flat=True))
