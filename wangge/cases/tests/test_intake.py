"""Intake operations: resolved on the spot (自行处置), connected systems, validation without writes."""
import pytest

from wangge.cases import services
from wangge.cases.models import Case, CaseEvent, Channel, State
from wangge.cases.testing import category
from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.core.services import OperationError

pytestmark = pytest.mark.django_db


def where(world, n=0):
    return dict(zip(("lng", "lat"), world.grid_center(world.grids[n])))


def test_grid_worker_resolves_on_the_spot_in_one_step(world):
    worker = world.users[Role.GRID_WORKER]
    case = services.do_report_case(worker, category=category(), title="占道堆放杂物", description="店主已搬走",
                                   resolved_on_spot=True, resolution="当场劝导店主搬离", **where(world))
    case.refresh_from_db()
    assert case.state == State.CLOSED and case.self_resolved and case.on_time
    assert case.resolution == "当场劝导店主搬离" and case.closed_at == case.handled_at
    actions = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("action", "to_state"))
    assert actions == [("report", State.REPORTED), ("self_resolve", State.CLOSED)]
    assert AuditEntry.objects.filter(operation="cases.self_resolve", object_id=str(case.pk)).exists()
    # Without a resolution text the description stands for it.
    other = services.do_report_case(worker, category=category(), title="占道", description="已劝离",
                                    resolved_on_spot=True, **where(world))
    assert Case.objects.get(pk=other.pk).resolution == "已劝离"


def test_only_grid_workers_resolve_on_the_spot_and_nothing_is_kept(world):
    op = world.users[Role.DISTRICT_OPERATOR]
    with pytest.raises(OperationError) as exc:
        services.do_report_case(op, category=category(), title="占道", resolved_on_spot=True, **where(world))
    assert exc.value.field == "resolved_on_spot"
    assert not Case.objects.exists() and not CaseEvent.objects.exists()


def test_system_reports_device_and_other_system_cases(world):
    system = world.users[Role.SYSTEM]
    case = services.do_report_case(system, category="01001", title="烟感报警", channel=Channel.DEVICE,
                                   external_id="ALARM-77", **where(world, 5))
    assert (case.channel, case.grid, case.reporter, case.external_id) == ("device", world.grids[5], system,
                                                                          "ALARM-77")
    assert services.default_channel(system) == Channel.OTHER_SYSTEM
    with pytest.raises(OperationError) as exc:  # the same alarm twice is refused
        services.do_report_case(system, category="01001", title="烟感报警", channel=Channel.DEVICE,
                                external_id="ALARM-77", **where(world, 5))
    assert exc.value.field == "external_id"
    with pytest.raises(OperationError) as exc:  # a system is not a grid worker
        services.do_report_case(system, category="01001", title="x", channel=Channel.GRID_WORKER, **where(world))
    assert exc.value.field == "channel"
    assert Case.objects.count() == 1


@pytest.mark.parametrize("given", ["01001", "id", "row"])
def test_category_by_full_code_id_or_row(world, given):
    value = {"01001": "01001", "id": category().pk, "row": category()}[given]
    case = services.do_report_case(world.users[Role.GRID_WORKER], category=value, title="垃圾", **where(world))
    assert case.category == category()


@pytest.mark.parametrize("body,field", [
    ({"category": "99999"}, "category"),
    ({"category": "0100"}, "category"),
    ({"title": "  "}, "title"),
    ({"lng": 120.0, "lat": 30.0}, "location"),  # outside every grid
    ({"reporter_phone": "12345"}, "reporter_phone"),
    ({"channel": "carrier_pigeon"}, "channel"),
    ({"priority": "whenever"}, "priority"),
])
def test_validate_report_refuses_like_the_report_and_writes_nothing(world, body, field):
    worker = world.users[Role.GRID_WORKER]
    fields = {"category": "01001", "title": "垃圾", **where(world), **body}
    with pytest.raises(OperationError) as exc:
        services.validate_report(worker, **fields)
    assert exc.value.field == field
    with pytest.raises(OperationError) as exc:
        services.do_report_case(worker, **fields)
    assert exc.value.field == field
    assert not Case.objects.exists() and not AuditEntry.objects.filter(operation__startswith="cases.").exists()


def test_validate_report_checks_the_actors_area(world):
    worker = world.users[Role.GRID_WORKER]
    cleaned = services.validate_report(worker, category="01001", title="垃圾", reporter_phone="13800001111",
                                       **where(world))
    assert cleaned["grid"] == world.grids[0] and cleaned["reporter_phone"] == "13800001111"
    with pytest.raises(OperationError) as exc:  # grid 4 is in the other street
        services.validate_report(worker, category="01001", title="垃圾", **where(world, 4))
    assert exc.value.field == "location"
    assert not Case.objects.exists()


def test_record_event_keeps_the_state(world):
    case = services.do_report_case(world.users[Role.GRID_WORKER], category="01001", title="垃圾", **where(world))
    services.record_event(world.users[Role.GRID_WORKER], case, "add_photos", details={"count": 1})
    event = CaseEvent.objects.filter(case=case).order_by("-id").first()
    assert (event.action, event.from_state, event.to_state) == ("add_photos", State.REPORTED, State.REPORTED)
