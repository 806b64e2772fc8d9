"""Access cards (e居通卡): the number scheme, issuing for the house one lives in, and each move of a card's state."""
import pytest

from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.core.services import NotAllowed, NotInArea, OperationError
from wangge.sensing import cards, services
from wangge.sensing.models import Card, CardState

pytestmark = pytest.mark.django_db


def test_numbers_are_the_district_a_serial_and_a_luhn_digit():
    number = cards.make_number("510107", 42)
    assert number.startswith("510107000000042") and len(number) == 16
    assert cards.is_valid_number(number)
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert not cards.is_valid_number(wrong)
    assert not cards.is_valid_number("51010700000004")  # too short
    assert cards.mask_card(number) == "510107******" + number[-4:]


def test_issue_for_the_house_one_lives_in(world, registry_home):
    operator = world.users[Role.COMMUNITY_OPERATOR]
    card = services.do_issue_card(operator, registry_home["head"])
    assert card.house == registry_home["house"] and card.building == registry_home["building"]
    assert card.number.startswith("510107") and cards.is_valid_number(card.number)
    second = services.do_issue_card(operator, registry_home["member"])
    assert int(second.number[6:15]) == int(card.number[6:15]) + 1
    entry = AuditEntry.objects.get(operation="sensing.issue_card", object_id=str(card.pk))
    assert card.number not in str(entry.details)  # the audit row keeps the masked number


def test_one_active_card_per_person_and_house(world, registry_home):
    operator = world.users[Role.COMMUNITY_OPERATOR]
    services.do_issue_card(operator, registry_home["head"])
    with pytest.raises(OperationError) as refused:
        services.do_issue_card(operator, registry_home["head"])
    assert refused.value.field == "person"
    assert Card.objects.count() == 1


def test_not_for_a_house_one_does_not_live_in(world, registry):
    operator = world.users[Role.ADMINISTRATOR]
    with pytest.raises(OperationError) as refused:
        services.do_issue_card(operator, registry["home"]["head"], registry["away"]["house"])
    assert refused.value.field == "house"
    assert not Card.objects.exists()


def test_outside_the_area_or_without_the_permission_nothing_is_issued(world, registry):
    with pytest.raises(NotInArea):
        services.do_issue_card(world.users[Role.COMMUNITY_OPERATOR], registry["away"]["head"])
    with pytest.raises(NotAllowed):
        services.do_issue_card(world.users[Role.MEDIATOR], registry["home"]["head"])
    assert not Card.objects.exists()


def test_suspend_resume_lose_revoke(world, sensing):
    operator = world.users[Role.COMMUNITY_OPERATOR]
    card = sensing["card"]
    card = services.do_card_action(operator, card, "suspend", note="租期到期")
    assert card.state == CardState.SUSPENDED
    card = services.do_card_action(operator, card, "resume")
    card = services.do_card_action(operator, card, "report_lost")
    assert card.state == CardState.LOST
    with pytest.raises(OperationError):
        services.do_card_action(operator, card, "resume")
    card = services.do_card_action(operator, card, "revoke")
    assert card.state == CardState.REVOKED
    operations = list(AuditEntry.objects.filter(object_id=str(card.pk), operation__startswith="sensing.card_")
                      .order_by("id").values_list("operation", flat=True))
    assert operations == ["sensing.card_suspend", "sensing.card_resume", "sensing.card_report_lost",
                          "sensing.card_revoke"]


def test_replace_gives_a_new_number_and_the_old_one_stops(world, sensing):
    operator = world.users[Role.COMMUNITY_OPERATOR]
    old = services.do_card_action(operator, sensing["card"], "report_lost")
    new = services.do_replace_card(operator, old, note="补卡")
    old.refresh_from_db()
    assert old.state == CardState.REPLACED and new.replaces == old and new.state == CardState.ACTIVE
    assert new.number != old.number and new.person == old.person and new.house == old.house
    resolved = cards.resolve([old.number, new.number], old.building_id)
    assert resolved[old.number].check == "replaced" and resolved[new.number].check == ""


def test_resolve_says_why_a_card_is_not_valid_here(world, sensing, registry):
    card = sensing["card"]
    unknown = cards.make_number("510107", 999_999)
    resolved = cards.resolve([card.number, unknown, "12345", ""], card.building_id)
    assert resolved[card.number] == cards.Resolved(card.pk, card.person_id, "", card.building_id)
    assert resolved[unknown].check == "unknown" and resolved["12345"].check == "malformed"
    assert "" not in resolved
    elsewhere = cards.resolve([card.number], registry["away"]["building"].pk)
    assert elsewhere[card.number].check == "elsewhere"


def test_card_actions_outside_the_area_change_nothing(world, sensing):
    with pytest.raises(NotInArea):
        services.do_card_action(world.outsiders[Role.COMMUNITY_OPERATOR], sensing["card"], "revoke")
    sensing["card"].refresh_from_db()
    assert sensing["card"].state == CardState.ACTIVE


def test_cards_on_the_person_page_issue_and_report_lost(client, world, registry_home):
    client.force_login(world.users[Role.COMMUNITY_OPERATOR])
    person = registry_home["member"]
    page = client.get(f"/people/{person.pk}/").content.decode()
    assert 'id="cards"' in page and 'id="card-issue-form"' in page
    assert client.post(f"/sensing/people/{person.pk}/cards/issue/", {"note": ""}).status_code == 302
    card = Card.objects.get(person=person)
    page = client.get(f"/people/{person.pk}/").content.decode()
    assert cards.mask_card(card.number) in page and card.number not in page and 'id="card-issue-form"' not in page
    assert client.post(f"/sensing/cards/{card.pk}/act/report_lost/").status_code == 302
    card.refresh_from_db()
    assert card.state == CardState.LOST
    again = client.post(f"/sensing/cards/{card.pk}/act/resume/")  # a lost card is not resumed: refused, unchanged
    assert again.status_code == 422 and "id=\"card-refused\"" in again.content.decode()
    card.refresh_from_db()
    assert card.state == CardState.LOST


def test_card_pages_outside_the_area_are_404(client, world, registry):
    card = services.do_issue_card(world.users[Role.ADMINISTRATOR], registry["away"]["head"])
    client.force_login(world.users[Role.COMMUNITY_OPERATOR])
    assert client.post(f"/sensing/cards/{card.pk}/act/revoke/").status_code == 404
    assert client.post(f"/sensing/people/{registry['away']['member'].pk}/cards/issue/").status_code == 404
    card.refresh_from_db()
    assert card.state == CardState.ACTIVE


def test_a_card_manager_sees_a_number_in_full_once_for_a_reason(client, world, sensing):
    card = sensing["card"]
    client.force_login(world.users[Role.COMMUNITY_OPERATOR])
    page = f"/people/{card.person_id}/"
    assert card.number not in client.get(page).content.decode()
    refused = client.post(f"/sensing/cards/{card.pk}/reveal/", {"reason": ""})
    assert refused.status_code == 422 and 'id="card-refused"' in refused.content.decode()
    assert not AuditEntry.objects.filter(operation="core.reveal").exists()
    done = client.post(f"/sensing/cards/{card.pk}/reveal/", {"reason": "核对居民所持卡片"})
    assert done.status_code == 302 and done["Location"] == f"{page}#cards"
    shown = client.get(page).content.decode()
    assert card.number in shown and 'data-revealed="card"' in shown
    entry = AuditEntry.objects.get(operation="core.reveal")
    assert (entry.object_type, entry.object_id, entry.details) == (
        "sensing.card", str(card.pk), {"field": "number", "reason": "核对居民所持卡片"})
    assert card.number not in client.get(page).content.decode()  # once: a refresh shows it masked again


def test_a_card_number_is_not_revealed_outside_the_area_or_without_the_permission(client, world, sensing):
    card = sensing["card"]
    client.force_login(world.outsiders[Role.COMMUNITY_OPERATOR])
    assert client.post(f"/sensing/cards/{card.pk}/reveal/", {"reason": "核对"}).status_code == 404
    client.force_login(world.users[Role.DISTRICT_OPERATOR])  # sees sensing, does not manage cards
    assert client.post(f"/sensing/cards/{card.pk}/reveal/", {"reason": "核对"}).status_code == 403
    assert 'data-reveal="card"' not in client.get(f"/people/{card.person_id}/").content.decode()
    assert not AuditEntry.objects.filter(operation="core.reveal").exists()


def test_the_api_reveals_a_card_number_for_a_reason(client, world, sensing):
    card = sensing["card"]
    client.force_login(world.users[Role.GRID_WORKER])
    answer = client.post("/api/v1/reveal", {"object": "sensing.card", "id": card.pk, "field": "number",
                                            "reason": "核对卡片"}, content_type="application/json")
    assert answer.status_code == 200 and answer.json() == {"value": card.number}
    assert AuditEntry.objects.filter(operation="core.reveal", object_type="sensing.card").count() == 1
    client.force_login(world.users[Role.DISTRICT_OPERATOR])  # the page refuses them, so does the API
    refused = client.post("/api/v1/reveal", {"object": "sensing.card", "id": card.pk, "field": "number",
                                             "reason": "核对卡片"}, content_type="application/json")
    assert refused.status_code == 403 and card.number not in refused.content.decode()
    assert AuditEntry.objects.filter(operation="core.reveal", object_type="sensing.card").count() == 1
