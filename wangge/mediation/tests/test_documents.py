"""人民调解协议书: the .docx of an agreed dispute carries its terms, amount, deadline and parties with masked ID
numbers; the download is scoped (404 outside), 404 without an agreement, 403 for a role without mediation.view."""
from datetime import timedelta
from io import BytesIO

import pytest
from django.utils import timezone
from docx import Document

from wangge.core.personal import mask_id_number
from wangge.core.roles import Role
from wangge.mediation import documents
from wangge.mediation.testing import act, build_mediation, dispute_in, register, soon
from wangge.testing import make_id_number

pytestmark = pytest.mark.django_db
ID_JIA = make_id_number("19900101", 11)
ID_YI = make_id_number("19950505", 12)
TERMS = "一、乙方于本协议签订之日起十日内修复漏水管道。\n二、乙方赔偿甲方装修损失人民币捌仟伍佰元。"


@pytest.fixture
def w(world):
    world.m = build_mediation(world)
    return world


def agreed(world, **agree):
    med = world.users[Role.MEDIATOR]
    dispute = register(world, summary="乙方卫生间漏水致甲方天花板受损。",
                       parties=[{"name": "甲某", "id_number": ID_JIA, "phone": "13800000001"},
                                {"name": "乙某", "id_number": ID_YI, "role": "respondent"},
                                {"name": "某物业公司", "kind": "organisation", "role": "third"}])
    dispute = act(med, dispute, "accept")
    dispute = act(med, dispute, "schedule_session", starts_at=soon(), place="社区调解室")
    return act(med, dispute, "agree", **{"terms": TERMS, "amount": "8500", **agree})


def text_of(content: bytes) -> str:
    document = Document(BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_the_agreement_document_has_the_terms_amount_and_masked_ids(w, client):
    perform_by = (timezone.localtime() + timedelta(days=10)).date()
    dispute = agreed(w, perform_by=perform_by.isoformat())
    client.force_login(w.users[Role.COMMUNITY_OPERATOR])
    response = client.get(f"/mediation/{dispute.pk}/agreement.docx")
    assert response.status_code == 200
    assert response["Content-Type"] == documents.CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"] and dispute.number in response["Content-Disposition"]
    text = text_of(response.content)
    assert "人民调解协议书" in text and f"编号：{dispute.number}" in text
    assert w.m.committee_of(w.communities[0]).name in text
    for line in TERMS.splitlines():
        assert line in text
    assert "人民币 8,500.00 元" in text
    assert f"{perform_by.year}年{perform_by.month}月{perform_by.day}日前履行完毕" in text
    assert "乙方卫生间漏水致甲方天花板受损。" in text
    assert "申请人：甲某" in text and "被申请人：乙某" in text and "第三人：某物业公司（单位）" in text
    assert mask_id_number(ID_JIA) in text and mask_id_number(ID_YI) in text
    assert ID_JIA not in text and ID_YI not in text and ID_JIA[6:14] not in text  # not even the birth date
    assert "13800000001" not in text
    assert "人民调解员：" + w.m.mediators["mediator_1"].name in text
    assert "本协议一式 4 份" in text  # three parties and the committee


def test_without_a_deadline_the_document_says_from_when_it_is_performed(w, client):
    dispute = agreed(w)
    client.force_login(w.users[Role.MEDIATOR])
    text = text_of(client.get(f"/mediation/{dispute.pk}/agreement.docx").content)
    assert "本协议自生效之日起履行。" in text and "前履行完毕" not in text


def test_no_agreement_outside_the_area_and_other_roles_are_refused(w, client):
    dispute = agreed(w)
    mediating = dispute_in(w, w.m, "mediating")
    url = f"/mediation/{dispute.pk}/agreement.docx"
    client.force_login(w.outsiders[Role.COMMUNITY_OPERATOR])
    assert client.get(url).status_code == 404
    client.force_login(w.outsiders[Role.MEDIATOR])
    assert client.get(url).status_code == 404
    client.force_login(w.users[Role.COMMUNITY_OPERATOR])
    assert client.get(f"/mediation/{mediating.pk}/agreement.docx").status_code == 404
    assert client.get("/mediation/999999/agreement.docx").status_code == 404
    client.force_login(w.users[Role.SYSTEM])
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302  # to the login page
