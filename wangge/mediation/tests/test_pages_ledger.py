"""The ledger: only the user's disputes, each filter narrowing, sorting and paging; the court's referral pages."""
import re

import pytest
from django.utils import timezone

from wangge.core.roles import Role
from wangge.mediation import services
from wangge.mediation.models import Dispute, Referral, ReferralOutcome
from wangge.mediation.testing import PARAMS, act, build_mediation, dispute_in, letter, register
from wangge.testing import pager_link

pytestmark = pytest.mark.django_db
LISTED = re.compile(r'<li class="case-item" data-dispute="(\d+)"')


def listed(response) -> set[int]:
    assert response.status_code == 200
    return {int(pk) for pk in LISTED.findall(response.content.decode())}


@pytest.fixture
def m(world):
    return build_mediation(world)


@pytest.fixture
def ledger(world, m):
    """A registered, an agreed and a petition dispute in grid 0; one in another street (grid 4)."""
    home = {"registered": register(world, title="楼道堆物纠纷"), "agreed": dispute_in(world, m, "agreed"),
            "petition": dispute_in(world, m, "petition")}
    lng, lat = world.grid_center(world.grids[4])
    away = services.do_register_dispute(world.outsiders[Role.GRID_WORKER], title="欠薪纠纷", type="labour",
                                        source="hotline_12345", lng=lng, lat=lat, amount="80000", risk="high",
                                        parties=[{"name": "丁某"}])
    return home, away


def test_each_user_sees_their_area_only(client, world, m, ledger):
    home, away = ledger
    everyone = {d.pk for d in home.values()} | {away.pk}
    for user, expected in [(world.users[Role.DISTRICT_OPERATOR], everyone),
                           (world.users[Role.COMMUNITY_OPERATOR], {d.pk for d in home.values()}),
                           (world.users[Role.MEDIATOR], {d.pk for d in home.values()}),
                           (world.outsiders[Role.GRID_WORKER], {away.pk}),
                           (world.users[Role.DEPARTMENT_HANDLER], set()),
                           (m.court_handler, set())]:
        client.force_login(user)
        response = client.get("/mediation/")
        assert listed(response) == expected, user.username
        if away.pk not in expected:
            assert away.number not in response.content.decode()
    client.force_login(world.users[Role.SYSTEM])
    assert client.get("/mediation/").status_code == 403


def test_filters_sort_and_search(client, world, m, ledger):
    home, away = ledger
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    assert listed(client.get("/mediation/?state=agreed")) == {home["agreed"].pk}
    assert listed(client.get("/mediation/?state=open")) == {home["registered"].pk, home["petition"].pk, away.pk}
    assert listed(client.get("/mediation/?type=labour")) == {away.pk}
    assert listed(client.get("/mediation/?source=hotline_12345")) == {away.pk}
    assert listed(client.get("/mediation/?risk=high")) == {away.pk}
    assert listed(client.get("/mediation/?level=community")) == {d.pk for d in home.values()} | {away.pk}
    committee = m.committee_of(world.communities[0])
    assert listed(client.get(f"/mediation/?committee={committee.pk}")) == {d.pk for d in home.values()}
    assert listed(client.get("/mediation/?q=堆物")) == {home["registered"].pk}
    assert listed(client.get("/mediation/?q=丁某")) == {away.pk}  # by a party's name
    assert listed(client.get(f"/mediation/?q={away.number}")) == {away.pk}
    today = timezone.localtime(away.reported_at).date().isoformat()  # the ledger filters by local date
    assert len(listed(client.get(f"/mediation/?from={today}&to={today}"))) == 4
    assert listed(client.get("/mediation/?from=2001-01-01&to=2001-01-02")) == set()
    # nonsense filters are ignored, never an error
    assert len(listed(client.get("/mediation/?state=x&type=y&from=notadate&sort=z&committee=abc"))) == 4
    body = client.get("/mediation/?sort=amount").content.decode()
    assert LISTED.findall(body)[0] == str(away.pk)
    assert "新登记" in body


def test_the_ledger_pages(client, world, m, monkeypatch):
    from wangge.mediation import views_ledger

    for i in range(3):
        register(world, title=f"纠纷{i}")
    client.force_login(world.users[Role.COMMUNITY_OPERATOR])
    monkeypatch.setattr(views_ledger, "PAGE_SIZE", 2)
    first_page = client.get("/mediation/")
    first, second = listed(first_page), listed(client.get("/mediation/" + pager_link(first_page, "next")))
    assert len(first) == 2 and len(second) == 1 and not first & second


def test_the_ledger_pages_by_amount_with_disputes_without_one_last(client, world, m, monkeypatch):
    from wangge.mediation import views_ledger

    made = [register(world, title=f"纠纷{i}") for i in range(4)]
    for dispute, amount in zip(made, (500, None, 9000, None)):
        Dispute.objects.filter(pk=dispute.pk).update(amount=amount)
    client.force_login(world.users[Role.COMMUNITY_OPERATOR])
    monkeypatch.setattr(views_ledger, "PAGE_SIZE", 1)
    order, page = [], client.get("/mediation/", {"sort": "amount"})
    while True:
        order += [d.pk for d in page.context["page"].object_list]
        link = pager_link(page, "next")
        if link is None:
            break
        page = client.get("/mediation/" + link)
    assert order == [made[2].pk, made[0].pk, made[3].pk, made[1].pk]  # 9000, 500, then none (newest id first)


# --- the court's pages -------------------------------------------------------------------------------------

def _referral_form(world, **extra):
    data = {"letter_number": "（2026）川0107诉前调9号", "court_case_number": "（2026）川0107民初1号",
            "title": "房屋租赁合同纠纷", "type": "housing_land", "summary": "", "lng": "", "lat": "", "grid": "",
            "address": "", "amount": "12000", "party-0-role": "applicant", "party-0-kind": "organisation",
            "party-0-name": "某物业公司", "party-1-role": "respondent", "party-1-kind": "person",
            "party-1-name": "戊某"}
    data.update(extra)
    return data


def test_a_court_refers_with_its_letter(client, world, m, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(m.court_handler)
    assert client.get("/mediation/referrals/new/").status_code == 200
    response = client.post("/mediation/referrals/new/", {**_referral_form(world, grid=world.grids[0].code),
                                                         "letter": letter()})
    dispute = Dispute.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/mediation/{dispute.pk}/"
    assert dispute.source == "court" and dispute.committee == m.committees["office"]
    assert dispute.referral.letter_number == "（2026）川0107诉前调9号"
    assert dispute.referral.letter.read().startswith(b"%PDF")
    assert dispute.grid == world.grids[0]
    body = client.get(f"/mediation/{dispute.pk}/").content.decode()
    assert "待多调办分流" in body and 'id="letter-link"' in body


@pytest.mark.parametrize("change, files, field", [
    ({}, {}, "id_letter_error"),
    ({"letter_number": ""}, {"letter": True}, "id_letter_number_error"),
    ({"title": ""}, {"letter": True}, "id_title_error"),
    ({"amount": "abc"}, {"letter": True}, "id_amount_error"),
    ({"party-0-name": "", "party-1-name": ""}, {"letter": True}, "parties_error"),
])
def test_a_bad_referral_is_refused_and_nothing_saved(client, world, m, settings, tmp_path, change, files, field):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(m.court_handler)
    data = _referral_form(world, **change)
    if files:
        data["letter"] = letter()
    response = client.post("/mediation/referrals/new/", data)
    assert response.status_code == 400
    assert f'id="{field}"' in response.content.decode()
    assert not Dispute.objects.exists() and not Referral.objects.exists()


def test_a_letter_that_is_not_a_document_is_refused(client, world, m, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    client.force_login(m.court_handler)
    response = client.post("/mediation/referrals/new/",
                           {**_referral_form(world), "letter": SimpleUploadedFile("run.exe", b"MZ")})
    assert response.status_code == 400 and "移送函须为" in response.content.decode()
    assert not Dispute.objects.exists()


def test_only_a_courts_handler_refers(client, world, m):
    for user in (world.users[Role.DEPARTMENT_HANDLER], world.users[Role.DISTRICT_OPERATOR],
                 world.users[Role.MEDIATOR], world.users[Role.GRID_WORKER]):
        client.force_login(user)
        assert client.get("/mediation/referrals/new/").status_code == 403, user.username
        assert client.post("/mediation/referrals/new/",
                           {**_referral_form(world), "letter": letter()}).status_code == 403
        assert client.get("/mediation/referrals/").status_code == 403
    assert not Dispute.objects.exists()


def test_the_courts_referrals_with_their_outcome(client, world, m, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    lng, lat = world.grid_center(world.grids[0])
    made = []
    for n in range(2):
        made.append(services.do_refer(m.court_handler, letter=letter(), letter_number=f"诉前调{n}号",
                                      title=f"合同纠纷{n}", type="consumer", lng=lng, lat=lat,
                                      parties=[{"name": "丙某"}]))
    op, med = world.users[Role.DISTRICT_OPERATOR], world.users[Role.MEDIATOR]
    settled = act(op, made[0], "route", committee=m.committee_of(world.communities[0]).pk)
    settled = act(med, settled, "accept")
    from wangge.mediation.testing import soon
    settled = act(med, settled, "schedule_session", starts_at=soon(), place="调解室")
    act(med, settled, "agree", **PARAMS["agree"])
    own = register(world)  # not a referral: never on the court's list
    client.force_login(m.court_handler)
    body = client.get("/mediation/referrals/").content.decode()
    assert "诉前调0号" in body and "诉前调1号" in body and own.number not in body
    assert 'data-outcome="settled"' in body and "待分流" in body
    settled_only = client.get("/mediation/referrals/?outcome=settled").content.decode()
    assert "诉前调0号" in settled_only and "诉前调1号" not in settled_only
    assert Referral.objects.get(dispute=made[0]).outcome == ReferralOutcome.SETTLED


def test_committees_named_alike_are_told_apart_by_their_area(client, world, m):
    from wangge.mediation.models import Committee, CommitteeKind

    alike = [Committee.objects.create(name="人民调解委员会", kind=CommitteeKind.PEOPLES, level="community",
                                      region=community) for community in world.communities[:2]]
    labels = [c.label for c in Committee.objects.filter(pk__in=[c.pk for c in alike]).select_related("region")]
    assert labels == [f"人民调解委员会（{c.name}）" for c in world.communities[:2]]
    named = Committee(name=f"{world.communities[0].name}人民调解委员会", level="community",
                      region=world.communities[0])
    assert named.label == named.name  # a name that says its area is left as it is
    dispute = register(world)
    Dispute.objects.filter(pk=dispute.pk).update(committee=alike[1])
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    html = client.get("/mediation/").content.decode()
    assert f">人民调解委员会（{world.communities[1].name}）</option>" in html


def test_the_ledger_filters_by_area_with_the_picker(client, world, m):
    inside = register(world, title="本社区纠纷")
    client.force_login(world.users[Role.DISTRICT_OPERATOR])
    street = world.communities[0].parent
    page = client.get("/mediation/", {"area": street.code})
    assert inside.pk in listed(page) and 'class="area-trail"' in page.content.decode()
    assert inside.pk not in listed(client.get("/mediation/", {"area": world.streets[1].code}))
    client.force_login(world.users[Role.COMMUNITY_OPERATOR])
    assert client.get("/mediation/", {"area": world.streets[1].code}).status_code == 404
