"""A small June 2025 ledger worked out by hand (read on 2025-07-10) for the assessment's indicators.

Grid worker `gridder` works grid 0 (community 0, street 0); `grid_worker_2` grid 4 (community 2, street 1).

  A g0 by gridder, CG: dispatched 06-02 10:00 (accept by 12:00), accepted 11:00, handled 06-04 10:00, closed 20:00
       (verified in 10 h), on time, satisfied
  B g0 by gridder, CG: dispatched 06-03 10:00 (accept by 12:00), accepted 15:00 (late), extended, handled 06-19 10:00,
       closed 06-21 10:00 (verified in 48 h), late, reworked, unsatisfied
  C g0 by gridder: rejected 06-05
  D g0 by gridder: merged into A 06-06
  E g2 (community 1): self-resolved 06-07
  F g4 by grid_worker_2, CG: dispatched 06-15, returned by CG 06-16, dispatched to CG again 06-17 (accept by 06-20),
       never accepted

  alerts in g0: major, acknowledged after 30 min (in time); critical, acknowledged after 60 min (late, limit 15);
                major, closed after 10 min without acknowledgement (in time)
  people in g0 due a visit monthly: P1 visited 06-10, P2 not visited; P3 due quarterly (not due in June)
  disputes: community 0 — one agreed, one failed; community 2 — one agreed
"""
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count

from django.utils import timezone

from wangge.core.roles import Role

NOW = timezone.make_aware(datetime(2025, 7, 10, 12))
_numbers = count(1)


def at(month, day, hour=10, minute=0):
    return timezone.make_aware(datetime(2025, month, day, hour, minute))


def make_case(grid, reported_at, state, **fields):
    from wangge.cases.models import Case, Category

    n = next(_numbers)
    fields.setdefault("handle_by", reported_at + timedelta(days=7))
    category = Category.objects.get(major__code="01", code="001")
    return Case.objects.create(number=f"T{n:06d}", tracking_code=f"TA{n:08d}", channel="grid_worker",
                               category=category, title=f"考核测试事件{n}", grid=grid, owner_region=grid,
                               reported_at=reported_at, state=state, **fields)


def event(case, action, when, **details):
    from wangge.cases.models import CaseEvent

    return CaseEvent.objects.create(case=case, at=when, action=action, details=details)


def build_ledger(world) -> dict:
    from wangge.cases.models import State
    from wangge.registry.models import VisitSchedule
    from wangge.sensing.models import Alert
    from wangge.testing import build_registry

    g0, g2, g4 = world.grids[0], world.grids[2], world.grids[4]
    gw, gw2, cg = world.users[Role.GRID_WORKER], world.outsiders[Role.GRID_WORKER], world.department
    c = {}
    c["A"] = make_case(g0, at(6, 1), State.CLOSED, reporter=gw, registered_at=at(6, 1, 11), dispatched_at=at(6, 2),
                       accept_by=at(6, 2, 12), accepted_at=at(6, 2, 11), handled_at=at(6, 4), closed_at=at(6, 4, 20),
                       handle_by=at(6, 10), on_time=True, rating="satisfied", rated_at=at(6, 6),
                       assignee_department=cg)
    c["B"] = make_case(g0, at(6, 3, 9), State.CLOSED, reporter=gw, registered_at=at(6, 3, 9, 30),
                       dispatched_at=at(6, 3), accept_by=at(6, 3, 12), accepted_at=at(6, 3, 15), handled_at=at(6, 19),
                       closed_at=at(6, 21), handle_by=at(6, 15), on_time=False, rework_count=1, extension_count=1,
                       rating="unsatisfied", rated_at=at(6, 22), assignee_department=cg)
    c["C"] = make_case(g0, at(6, 5), State.REJECTED, reporter=gw, closed_at=at(6, 5, 11))
    c["D"] = make_case(g0, at(6, 6), State.MERGED, reporter=gw, closed_at=at(6, 6, 11), merged_into=c["A"])
    c["E"] = make_case(g2, at(6, 7), State.CLOSED, self_resolved=True, handled_at=at(6, 7), closed_at=at(6, 7),
                       on_time=True)
    c["F"] = make_case(g4, at(6, 15, 9), State.DISPATCHED, reporter=gw2, registered_at=at(6, 15, 9),
                       dispatched_at=at(6, 17), accept_by=at(6, 20), handle_by=at(6, 25), assignee_department=cg)
    event(c["A"], "dispatch", at(6, 2), department="CG")
    event(c["B"], "register_dispatch", at(6, 3), department="CG")
    event(c["F"], "dispatch", at(6, 15), department="CG")
    event(c["F"], "return", at(6, 16), returned_by="CG")
    event(c["F"], "dispatch", at(6, 17), department="CG")

    def seen(moment):  # raised as soon as it happened
        return {"first_seen": moment, "last_seen": moment, "raised_at": moment}

    alerts = [
        Alert.objects.create(type="door_forced", source="device:1", grid=g0, title="门被强行打开", severity="major",
                             **seen(at(6, 10)), acknowledged_at=at(6, 10, 10, 30),
                             state="acknowledged"),
        Alert.objects.create(type="door_forced", source="device:2", grid=g0, title="门被强行打开", severity="critical",
                             **seen(at(6, 11)), acknowledged_at=at(6, 11, 11),
                             state="acknowledged"),
        Alert.objects.create(type="door_forced", source="device:3", grid=g0, title="门被强行打开", severity="major",
                             **seen(at(6, 12)), closed_at=at(6, 12, 10, 10), state="closed",
                             resolution="false_alarm"),
    ]

    registry = build_registry(world)
    p1, p2, p3 = registry["home"]["head"], registry["home"]["member"], registry["away"]["head"]
    from wangge.registry.models import Person, Visit

    p3_home = Person.objects.filter(grid=g0).exclude(pk__in=[p1.pk, p2.pk]).first()
    VisitSchedule.objects.create(person=p1, every_all=30, due_all=at(6, 15).date())
    VisitSchedule.objects.create(person=p2, every_all=30, due_all=at(6, 15).date())
    if p3_home is not None:
        VisitSchedule.objects.create(person=p3_home, every_all=90, due_all=at(8, 1).date())
    Visit.objects.create(person=p1, grid=g0, worker=gw, visited_at=at(6, 10))
    Visit.objects.create(person=p2, grid=g0, worker=gw, visited_at=at(5, 10))
    # Base data: gridder registered the two people of grid 0 in June (the history's user; a page sets it from the
    # request, the services called here leave it empty).
    history = Person.history.model.objects
    history.filter(id__in=[p1.pk, p2.pk]).update(history_user_id=gw.pk, history_date=at(6, 5))
    history.filter(id=p3.pk).update(history_date=at(6, 5))

    disputes = _disputes(world)
    return {"cases": c, "alerts": alerts, "people": (p1, p2), "disputes": disputes}


def _disputes(world):
    from wangge.mediation.models import Dispute, State

    def make(n, region, state, closed):
        return Dispute.objects.create(number=f"TJA{n:08d}", title=f"考核纠纷{n}", type="neighbour", source="grid",
                                      level="community", state=state, region=region, parties_count=2,
                                      reported_at=at(6, 1 + n), accepted_at=at(6, 2 + n), closed_at=closed)

    g0, g4 = world.grids[0], world.grids[4]
    return [make(1, g0, State.AGREED, at(6, 9)), make(2, g0, State.FAILED, at(6, 10)),
            make(3, g4, State.AGREED, at(6, 11))]


def june_window():
    from wangge.insight.assessment.indicators import Window

    return Window(at(6, 1, 0), at(7, 1, 0), NOW, "month")


def scheme(world, target_type, indicators, **extra):
    from wangge.insight.assessment import services

    rule = extra.pop("allowance_rule", {"kind": "by_rating", "amounts": {"A": 800, "B": 600, "C": 400, "D": 300,
                                                                         "E": 200}}
                     if target_type == "grid_worker" else {})
    return services.do_save_scheme(world.users[Role.DISTRICT_OPERATOR], name=f"{target_type} 方案",
                                   region=world.district, target_type=target_type, indicators=indicators,
                                   allowance_rule=rule, **extra)


FLAT = [{"from": None, "to": None, "points": 100}]


def linear_bands():
    """Points equal to the value's band floor, every 10 %: 0–10 → 0 … 90–100 → 90, 100 → 100."""
    return [{"from": None if i == 0 else i * 10, "to": (i + 1) * 10, "points": i * 10} for i in range(10)] + [
        {"from": 100, "to": None, "points": 100}]


D = Decimal
