"""调解员手机端: the four piles of 我的调解, the dispute card and its quick actions, the mediator's record."""
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.mediation.models import Agreement, Dispute, Session, SessionState, State
from wangge.mediation.poller import poll
from wangge.mediation.testing import PARAMS, act, build_mediation, dispute_in, register

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
LISTED = re.compile(r'data-dispute="(\d+)"')


@pytest.fixture
def m(world):
    return build_mediation(world)


@pytest.fixture
def med(world, client):
    user = world.users[Role.MEDIATOR]
    client.force_login(user)
    return user


def _section(html, section_id):
    """The ids of the disputes listed in one <section id=...> of the page."""
    start = html.index(f'id="{section_id}"')
    end = html.find("</section>", start)
    return {int(pk) for pk in LISTED.findall(html[start:end])}


def _today_start():
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def _agreed_long_ago(world, m, days=10):
    """An agreement signed `days` ago whose two-day performance deadline has passed: due a follow-up."""
    mediator = world.users[Role.MEDIATOR]
    past = timezone.now() - timedelta(days=days)
    dispute = register(world)
    dispute = act(mediator, dispute, "accept", now=past)
    dispute = act(mediator, dispute, "schedule_session", starts_at=past + timedelta(hours=2), place="社区调解室",
                  now=past)
    return act(mediator, dispute, "agree", terms="赔偿 800 元", amount="800",
               perform_by=(timezone.localtime(past) + timedelta(days=2)).date().isoformat(), now=past)


# ------------------------------------------------------------------ who may use the pages


@pytest.mark.parametrize("role", [Role.COMMUNITY_OPERATOR, Role.GRID_WORKER, Role.DISTRICT_OPERATOR])
def test_only_mediators_use_the_phone_pages(client, world, m, role):
    dispute = register(world)
    client.force_login(world.users[role])
    for url in ("/mediation/m/", "/mediation/m/me/", f"/mediation/m/{dispute.pk}/"):
        assert client.get(url).status_code == 403, url
    response = client.post(f"/mediation/m/{dispute.pk}/act/accept/", {"version": dispute.version})
    assert response.status_code == 403
    dispute.refresh_from_db()
    assert dispute.state == State.REGISTERED


def test_anonymous_visitors_are_sent_to_log_in(client, world, m):
    response = client.get("/mediation/m/")
    assert response.status_code == 302 and "/login" in response["Location"]


# ------------------------------------------------------------------ 我的调解


def test_my_mediation_groups_my_disputes(client, world, m, med):
    to_accept = register(world, title="待受理的纠纷")
    accepted = dispute_in(world, m, "accepted")
    mediating = dispute_in(world, m, "mediating")
    due = _agreed_long_ago(world, m)
    not_due = dispute_in(world, m, "agreed")  # no perform-by day: nothing to visit yet
    failed = dispute_in(world, m, "failed")
    today = register(world, title="今天开调解会")
    today = act(med, today, "accept")
    today = act(med, today, "schedule_session", starts_at=_today_start() + timedelta(hours=23, minutes=30),
                place="社区调解室", now=_today_start())
    lng, lat = world.grid_center(world.grids[4])
    elsewhere = register(world, user=world.outsiders[Role.GRID_WORKER], lng=lng, lat=lat, title="别处的纠纷")

    response = client.get("/mediation/m/")
    assert response.status_code == 200
    html = response.content.decode()
    assert _section(html, "to-accept") == {to_accept.pk}
    assert _section(html, "mediating") == {accepted.pk, mediating.pk, today.pk}
    assert _section(html, "sessions-today") == {today.pk}
    assert _section(html, "follow-up") == {due.pk}
    for hidden in (not_due, failed, elsewhere):
        assert hidden.number not in html
    assert 'name="viewport"' in html and "我的调解" in html



def test_a_dispute_past_its_due_day_is_marked_overdue_on_my_mediation(client, world, m, med):
    import re

    late = dispute_in(world, m, "mediating")
    on_time = dispute_in(world, m, "accepted")
    type(late).objects.filter(pk=late.pk).update(due_by=timezone.now() - timedelta(hours=1))
    type(on_time).objects.filter(pk=on_time.pk).update(due_by=timezone.now() + timedelta(days=3))
    poll()  # the worker flags what is past due, as for the dispute page
    html = client.get("/mediation/m/").content.decode()

    def item(dispute):
        return re.search(rf'<li class="med-item" data-dispute="{dispute.pk}">.*?</li>', html, re.S).group(0)

    assert "data-late" in item(late) and "已超期" in item(late)
    assert "data-late" not in item(on_time) and "已超期" not in item(on_time)


def test_a_mediator_sees_only_their_committees_disputes(client, world, m):
    mine = register(world)
    client.force_login(world.outsiders[Role.MEDIATOR])  # mediator_2 serves community 2's committee
    html = client.get("/mediation/m/").content.decode()
    assert mine.number not in html
    assert client.get(f"/mediation/m/{mine.pk}/").status_code == 404
    response = client.post(f"/mediation/m/{mine.pk}/act/accept/", {"version": mine.version})
    assert response.status_code == 404
    mine.refresh_from_db()
    assert mine.state == State.REGISTERED and mine.version == 1


# ------------------------------------------------------------------ the card and its quick actions


def test_the_card_masks_parties_and_offers_only_allowed_actions(client, world, m, med):
    dispute = register(world, parties=[{"name": "甲某", "phone": PHONE}, {"name": "乙某", "role": "respondent"}])
    html = client.get(f"/mediation/m/{dispute.pk}/").content.decode()
    assert dispute.number in html and "甲某" in html and "乙某" in html
    assert PHONE not in html and "139****5678" in html
    assert re.findall(r'data-action="(\w+)"', html) == ["accept"]
    assert f'name="version" value="{dispute.version}"' in html


def test_a_dispute_walked_through_the_card_from_accept_to_follow_up(client, world, m, med):
    dispute = register(world)
    url = f"/mediation/m/{dispute.pk}/act/"

    def post(action, **data):
        dispute.refresh_from_db()
        response = client.post(f"{url}{action}/", {"version": dispute.version, **data})
        assert response.status_code == 302, response.content.decode()[:3000]
        assert response["Location"] == f"/mediation/m/{dispute.pk}/"
        dispute.refresh_from_db()

    post("accept")
    assert dispute.state == State.ACCEPTED and dispute.mediator == m.mediators["mediator_1"]
    starts = timezone.localtime() + timedelta(days=2)
    post("schedule_session", starts_at=starts.strftime("%Y-%m-%dT%H:%M"), place="社区调解室")
    session = Session.objects.get(dispute=dispute)
    assert dispute.state == State.MEDIATING and session.place == "社区调解室"
    html = client.get(f"/mediation/m/{dispute.pk}/").content.decode()
    assert set(re.findall(r'data-action="(\w+)"', html)) == {"schedule_session", "record_session", "agree", "fail"}
    post("record_session", session=session.pk, record="双方陈述意见")
    session.refresh_from_db()
    assert session.state == SessionState.HELD and session.record == "双方陈述意见"
    perform_by = (timezone.localtime() + timedelta(days=30)).date()
    post("agree", terms="甲方赔偿乙方 5000 元", amount="5000", perform_by=perform_by.isoformat())
    assert dispute.state == State.AGREED and dispute.agreement.perform_by == perform_by
    post("follow_up", performance="kept", note="已履行完毕")
    dispute.agreement.refresh_from_db()
    assert dispute.agreement.performance == "kept"
    assert [e.action for e in dispute.events.all()] == [
        "register", "accept", "schedule_session", "record_session", "agree", "follow_up"]


def test_fail_needs_a_reason_then_closes_the_dispute(client, world, m, med):
    dispute = dispute_in(world, m, "mediating")
    response = client.post(f"/mediation/m/{dispute.pk}/act/fail/", {"version": dispute.version, "reason": ""})
    assert response.status_code == 422
    assert 'data-field="reason"' in response.content.decode()
    dispute.refresh_from_db()
    assert dispute.state == State.MEDIATING
    response = client.post(f"/mediation/m/{dispute.pk}/act/fail/", {"version": dispute.version, **PARAMS["fail"]})
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.state == State.FAILED and dispute.outcome_note == PARAMS["fail"]["reason"]


def test_a_stale_card_gets_409_and_changes_nothing(client, world, m, med):
    dispute = register(world)
    stale = dispute.version
    act(world.users[Role.COMMUNITY_OPERATOR], dispute, "accept")  # someone else acted meanwhile
    dispute.refresh_from_db()
    response = client.post(f"/mediation/m/{dispute.pk}/act/schedule_session/",
                           {"version": stale, "starts_at": "2099-01-01T10:00", "place": "社区调解室"})
    assert response.status_code == 409
    assert "已被他人修改" in response.content.decode()
    fresh = Dispute.objects.get(pk=dispute.pk)
    assert (fresh.state, fresh.version) == (State.ACCEPTED, dispute.version)
    assert not Session.objects.exists()


def test_an_action_the_state_does_not_allow_is_refused(client, world, m, med):
    dispute = register(world)
    response = client.post(f"/mediation/m/{dispute.pk}/act/agree/", {"version": dispute.version, **PARAMS["agree"]})
    assert response.status_code == 409  # not in this state: the API's status for it (core/refusals.py)
    assert "当前状态不允许" in response.content.decode()
    dispute.refresh_from_db()
    assert dispute.state == State.REGISTERED and dispute.version == 1
    assert client.post(f"/mediation/m/{dispute.pk}/act/withdraw/", {"version": 1}).status_code == 404  # not offered


@pytest.mark.parametrize("data,field,message", [
    ({"starts_at": "2001-01-01T10:00", "place": "社区调解室"}, "starts_at", "调解时间不能早于现在"),
    ({"starts_at": "下周一", "place": "社区调解室"}, "starts_at", "时间格式"),
    ({"starts_at": "2099-01-01T10:00"}, "place", "请填写地点或视频调解室"),
    ({"starts_at": "2099-01-01T10:00", "online_room": "meet.example"}, "online_room", "须为链接"),
])
def test_a_bad_session_shows_the_field_error_and_saves_nothing(client, world, m, med, data, field, message):
    dispute = dispute_in(world, m, "accepted")
    response = client.post(f"/mediation/m/{dispute.pk}/act/schedule_session/", {"version": dispute.version, **data})
    assert response.status_code == 422
    html = response.content.decode()
    assert f'data-field="{field}"' in html and message in html
    assert not Session.objects.exists()
    fresh = Dispute.objects.get(pk=dispute.pk)
    assert (fresh.state, fresh.version) == (State.ACCEPTED, dispute.version)


@pytest.mark.parametrize("amount,message", [("-5", "不能为负数"), ("五千", "须为数字"), ("1.234", "小数位")])
def test_a_bad_agreement_amount_shows_the_field_error_and_saves_nothing(client, world, m, med, amount, message):
    dispute = dispute_in(world, m, "mediating")
    response = client.post(f"/mediation/m/{dispute.pk}/act/agree/",
                           {"version": dispute.version, "terms": "赔偿", "amount": amount})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-field="amount"' in html and message in html
    assert f'value="{amount}"' in html  # what was typed is kept for correcting
    assert not Agreement.objects.exists()
    assert Dispute.objects.get(pk=dispute.pk).state == State.MEDIATING


def test_a_missing_version_is_refused(client, world, m, med):
    dispute = register(world)
    response = client.post(f"/mediation/m/{dispute.pk}/act/accept/", {})
    assert response.status_code == 422
    dispute.refresh_from_db()
    assert dispute.state == State.REGISTERED


def test_revealing_a_partys_phone_needs_a_reason_and_is_logged(client, world, m, med):
    dispute = register(world, parties=[{"name": "甲某", "phone": PHONE}])
    party = dispute.parties.get()
    url = f"/mediation/m/{dispute.pk}/party/{party.pk}/phone/"
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400 and PHONE not in response.content.decode()
    assert not AuditEntry.objects.filter(operation="core.reveal").exists()
    response = client.post(url, {"reason": "电话约定调解时间"})
    assert response.status_code == 302 and response["Location"] == f"/mediation/m/{dispute.pk}/#party-{party.pk}"
    assert f'href="tel:{PHONE}"' in client.get(response["Location"]).content.decode()
    assert PHONE not in client.get(f"/mediation/m/{dispute.pk}/").content.decode()  # a refresh: masked, not logged
    entry = AuditEntry.objects.get(operation="core.reveal")
    assert entry.actor == med and entry.details == {"field": "phone", "reason": "电话约定调解时间"}


# ------------------------------------------------------------------ my record


def test_my_record_counts_what_i_mediated(client, world, m, med):
    agreed = dispute_in(world, m, "agreed")
    dispute_in(world, m, "failed")
    dispute_in(world, m, "accepted")  # open: handled and mediated, not (yet) a success
    register(world)  # nobody's yet: not mine
    parties = list(agreed.parties.all())
    act(med, agreed, "rate", party=parties[0].pk, rating=5)
    act(med, agreed, "rate", party=parties[1].pk, rating=4)
    lng, lat = world.grid_center(world.grids[4])
    other = register(world, user=world.outsiders[Role.GRID_WORKER], lng=lng, lat=lat)
    act(world.outsiders[Role.MEDIATOR], other, "accept")  # mediator_2's: not in my record

    html = client.get("/mediation/m/me/").content.decode()
    measures = dict(re.findall(r'data-measure="(\w+)">([^<]*)<', html))
    # The year's figures by the shared measures' formulas (agreed ÷ accepted), then the all-time counts.
    assert measures == {"cases": "3", "agreed": "1", "success_rate": "33.33%", "mean_rating": "4.5",
                        "handled": "3", "open": "1"}
    assert other.number not in html


def test_a_mediator_account_without_a_pool_entry_sees_an_explanation(client, world, m):
    from wangge.testing import make_user

    client.force_login(make_user("mediator_new", Role.MEDIATOR, region=world.communities[0]))
    response = client.get("/mediation/m/me/")
    assert response.status_code == 200 and "还没有关联调解员档案" in response.content.decode()
    assert LISTED.findall(client.get("/mediation/m/").content.decode()) == []
