"""Who hears about each case event (wangge/cases/notifications.py): who gets it, and who does not."""
import pytest
from django.db import transaction

from wangge.cases import services
from wangge.cases.models import Channel
from wangge.cases.testing import PARAMS, act, case_in, category, report
from wangge.core.models import Notification, SmsMessage
from wangge.core.roles import Role

OP, STREET, COMMUNITY = Role.DISTRICT_OPERATOR, Role.STREET_OPERATOR, Role.COMMUNITY_OPERATOR
GRID, DEPT = Role.GRID_WORKER, Role.DEPARTMENT_HANDLER
CITIZEN_PHONE = "13700007777"


def run_at_once(func, using=None, robust=False):
    func()


@pytest.fixture
def w(world, monkeypatch):
    """The world with phones for staff. The test's transaction never commits, so the after-commit hooks (the
    notifications) run at once, in the order the operations happen."""
    for i, user in enumerate([*world.users.values(), *world.outsiders.values()]):
        user.phone = f"1390000{i:04d}"
        user.save()
    monkeypatch.setattr(transaction, "on_commit", run_at_once)
    return world


def told(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def texted(kind):
    return sorted(SmsMessage.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def fresh():
    Notification.objects.all().delete()
    SmsMessage.objects.all().delete()


def citizen_case(world, **extra):
    lng, lat = world.grid_center(world.grids[0])
    return services.do_report_public(category=category(), title="楼道堆物", lng=lng, lat=lat,
                                     reporter_phone=CITIZEN_PHONE, **extra)


def test_dispatch_to_a_department_tells_its_handlers_with_sms(w):
    case = case_in(w, "dispatched")
    assert told("case.dispatch") == ["dept_handler"]
    assert texted("case.dispatch") == ["dept_handler"]
    note = Notification.objects.get(kind="case.dispatch")
    assert "请签收" in note.title and case.number in note.title and note.url == f"/cases/{case.pk}/"


def test_dispatch_to_a_region_tells_its_operators_and_grid_workers_not_others(w):
    case = case_in(w, "registered")
    act(w.users[OP], case, "dispatch", region=w.communities[0])
    assert told("case.dispatch") == ["community_op"]  # not the mediator bound there, not the department
    fresh()
    case = case_in(w, "registered")
    act(w.users[OP], case, "dispatch", region=w.grids[0])
    assert told("case.dispatch") == ["gridder"]
    assert texted("case.dispatch") == ["gridder"]


def test_return_tells_the_owner_level_and_the_dispatcher_not_the_returner(w):
    case = case_in(w, "dispatched")
    fresh()
    act(w.users[DEPT], case, "return", **PARAMS["return"])
    # The case is owned by its grid, which has no operators: its community's operators, and whoever dispatched.
    assert told("case.return") == ["community_op", "district_op"]
    assert texted("case.return") == []


def test_handle_asks_the_owner_level_to_verify(w):
    case_in(w, "handled")
    assert told("case.handle") == ["community_op", "district_op"]
    assert "street_op" not in told("case.handle") and "street_op_2" not in told("case.handle")


def test_supervise_urge_and_rework_go_to_the_assignee_with_sms(w):
    case = case_in(w, "dispatched")
    fresh()
    act(w.users[STREET], case, "urge", **PARAMS["urge"])
    act(w.users[STREET], case, "supervise", **PARAMS["supervise"])
    assert told("case.urge") == told("case.supervise") == ["dept_handler"]
    assert texted("case.urge") == texted("case.supervise") == ["dept_handler"]
    assert Notification.objects.get(kind="case.supervise").body.startswith(PARAMS["supervise"]["note"])
    case = case_in(w, "handled")
    act(w.users[OP], case, "verify_rework", **PARAMS["verify_rework"])
    assert told("case.verify_rework") == ["dept_handler"] and texted("case.verify_rework") == ["dept_handler"]


def test_extension_request_goes_up_and_the_answer_comes_back(w):
    case = case_in(w, "accepted_pending")
    assert told("case.request_extension") == ["community_op", "district_op"]
    act(w.users[OP], case, "deny_extension", **PARAMS["deny_extension"])
    assert told("case.deny_extension") == ["dept_handler"] and texted("case.deny_extension") == []


def test_escalate_tells_the_level_above(w):
    case = report(w)
    act(w.users[GRID], case, "escalate", reason="需社区协调")
    assert told("case.escalate") == ["community_op"]
    act(w.users[COMMUNITY], case, "escalate", reason="需街道协调")
    assert told("case.escalate") == ["community_op", "street_op"]


def test_the_actor_is_not_told_about_their_own_action(w):
    case = case_in(w, "registered")
    act(w.users[COMMUNITY], case, "dispatch", region=w.grids[0])
    fresh()
    act(w.users[GRID], case, "accept")
    act(w.users[GRID], case, "handle", **PARAMS["handle"])
    assert told("case.handle") == ["community_op"]  # the dispatcher is the owner level's operator: once


def test_a_citizen_gets_a_receipt_and_a_closing_text_with_the_tracking_code(w):
    case = citizen_case(w)
    receipt = SmsMessage.objects.get(kind="citizen.report")
    assert receipt.phone == CITIZEN_PHONE and case.tracking_code in receipt.body and receipt.recipient is None
    for user, action in ((OP, "register"), (OP, "dispatch"), (DEPT, "accept")):
        case = act(w.users[user], case, action)
    case = act(w.users[DEPT], case, "handle", **PARAMS["handle"])
    registered = SmsMessage.objects.get(kind="citizen.register")  # told when it is registered (立案)
    assert registered.phone == CITIZEN_PHONE and case.tracking_code in registered.body
    assert not SmsMessage.objects.filter(kind__startswith="citizen.").exclude(
        kind__in=["citizen.report", "citizen.register"]).exists()
    act(w.users[OP], case, "verify_close")
    closing = SmsMessage.objects.get(kind="citizen.verify_close")
    assert closing.phone == CITIZEN_PHONE and case.tracking_code in closing.body and "评价" in closing.body


def test_a_rejected_citizen_report_is_told_why(w):
    case = citizen_case(w)
    act(w.users[OP], case, "reject", **PARAMS["reject"])
    text = SmsMessage.objects.get(kind="citizen.reject").body
    assert PARAMS["reject"]["reason"] in text and case.tracking_code in text


def test_a_merged_citizen_report_gets_the_original_code(w):
    original = report(w)
    duplicate = citizen_case(w)
    act(w.users[OP], duplicate, "merge", into=original)
    assert original.tracking_code in SmsMessage.objects.get(kind="citizen.merge").body


def test_no_citizen_text_without_a_phone_anonymous_or_from_staff(w):
    lng, lat = w.grid_center(w.grids[0])
    services.do_report_public(category=category(), title="匿名", lng=lng, lat=lat, reporter_phone=CITIZEN_PHONE,
                              anonymous=True)
    services.do_report_public(category=category(), title="无电话", lng=lng, lat=lat)
    case = report(w, reporter_phone="13600006666")  # a grid worker's report: the phone is not a citizen's
    act(w.users[GRID], case, "self_resolve", **PARAMS["self_resolve"])
    assert not SmsMessage.objects.filter(kind__startswith="citizen.").exists()


def test_a_12345_caller_gets_the_receipt(w):
    lng, lat = w.grid_center(w.grids[0])
    case = services.do_report_case(w.users[OP], category=category(), title="噪音扰民", lng=lng, lat=lat,
                                   channel=Channel.HOTLINE_12345, reporter_phone=CITIZEN_PHONE, external_id="GD1")
    assert case.tracking_code in SmsMessage.objects.get(kind="citizen.report").body


def test_the_staff_reporter_hears_of_register_reject_and_close(w):
    case = report(w)  # the grid worker's report
    act(w.users[OP], case, "register")
    note = Notification.objects.get(kind="case.reported_register")
    assert note.recipient == w.users[GRID] and case.number in note.title and note.url == f"/cases/{case.pk}/"
    for user, action in ((OP, "dispatch"), (DEPT, "accept")):
        case = act(w.users[user], case, action)
    act(w.users[DEPT], case, "handle", **PARAMS["handle"])
    act(w.users[OP], case, "verify_close")
    assert told("case.reported_verify_close") == ["gridder"]
    other = report(w)
    act(w.users[OP], other, "reject", **PARAMS["reject"])
    rejected = Notification.objects.get(kind="case.reported_reject")
    assert rejected.recipient == w.users[GRID] and PARAMS["reject"]["reason"].rstrip("。") in rejected.body
    assert not SmsMessage.objects.filter(kind__startswith="case.reported_").exists()  # the inbox only


def test_a_reporter_who_registers_their_own_case_is_not_told(w):
    case = case_in(w, "reported")
    services.do_act(w.users[OP], case, "register", expected_version=case.version)
    assert not Notification.objects.filter(kind="case.reported_register", recipient=w.users[OP]).exists()


def unread(kind):
    return sorted(Notification.objects.filter(kind=kind, read_at__isnull=True)
                  .values_list("recipient__username", flat=True))


def test_a_please_accept_message_is_settled_once_the_case_is_accepted(w):
    case = case_in(w, "dispatched")
    assert unread("case.dispatch") == ["dept_handler"]
    act(w.users[DEPT], case, "accept")
    assert unread("case.dispatch") == []  # done: nothing left waiting in the handler's inbox
    act(w.users[OP], case, "urge", **PARAMS["urge"])
    assert unread("case.urge") == ["dept_handler"]
    act(w.users[DEPT], case, "handle", **PARAMS["handle"])
    assert unread("case.urge") == [] and sorted(unread("case.handle")) == ["community_op", "district_op"]
    act(w.users[OP], case, "verify_close")
    assert unread("case.handle") == []
    waiting = Notification.objects.filter(subject=f"case:{case.pk}", read_at__isnull=True)
    # Closed: nothing asks anyone to act any more; what is left unread tells the reporter how it ended.
    assert sorted(waiting.values_list("kind", flat=True)) == ["case.reported_register", "case.reported_verify_close"]


def test_a_returned_case_settles_the_please_accept_and_waits_for_a_new_dispatch(w):
    case = case_in(w, "dispatched")
    act(w.users[DEPT], case, "return", **PARAMS["return"])
    assert unread("case.dispatch") == [] and unread("case.return") == ["community_op", "district_op"]
    act(w.users[OP], case, "dispatch")
    assert unread("case.return") == [] and unread("case.dispatch") == ["dept_handler"]


def test_messages_of_another_case_are_left_alone(w):
    first, second = case_in(w, "dispatched"), case_in(w, "dispatched")
    act(w.users[DEPT], first, "accept")
    assert unread("case.dispatch") == ["dept_handler"]
    assert Notification.objects.get(kind="case.dispatch", read_at__isnull=True).subject == f"case:{second.pk}"


def test_message_texts_do_not_double_their_punctuation(w):
    from wangge.core.notify import sentences

    assert sentences("路面已清扫整洁。", "请于 12-08 10:00 前签收") == "路面已清扫整洁；请于 12-08 10:00 前签收"
    assert sentences("", None, "只有一句。") == "只有一句"
    case = case_in(w, "handled")
    act(w.users[OP], case, "verify_rework", reason="仍有积水。")
    body = Notification.objects.get(kind="case.verify_rework").body
    assert "仍有积水；" in body and "。；" not in body


def test_unknown_event_is_ignored(db):
    from wangge.cases.notifications import case_event

    case_event(987654)
    assert not Notification.objects.exists()


def test_the_dispatchers_instructions_reach_the_assignee(w):
    case = case_in(w, "registered")
    act(w.users[OP], case, "dispatch", note="请今日内到场处置。")
    body = Notification.objects.get(kind="case.dispatch").body
    assert body.startswith("请今日内到场处置；") and "签收" in body
