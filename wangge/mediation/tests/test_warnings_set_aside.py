"""Setting warnings aside (dismiss, snooze) and restoring them: operations with audit rows, scoped, refused
with field-level errors that change nothing."""
from datetime import timedelta

import pytest
from django.utils import timezone

from wangge.core.models import AuditEntry
from wangge.core.roles import Role
from wangge.core.services import FieldErrors, OperationError
from wangge.mediation.models import Dispute, WarningSetAside
from wangge.mediation.services_warnings import do_restore_warning, do_set_aside_warning
from wangge.mediation.testing import build_mediation, register
from wangge.mediation.warnings import warnings_for
from wangge.testing import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def m(world):
    return build_mediation(world)


def _overdue(world):
    dispute = register(world, title="逾期纠纷")
    Dispute.objects.filter(pk=dispute.pk).update(due_by=timezone.now() - timedelta(days=3))
    return dispute


def _warning(user, dispute):
    return next(w for w in warnings_for(user) if w.kind == "overdue" and w.dispute_ids == [dispute.pk])


def test_snooze_hides_until_then_and_restore_brings_it_back(world, m):
    operator = world.users[Role.COMMUNITY_OPERATOR]
    dispute = _overdue(world)
    assert _warning(operator, dispute)
    kept = do_set_aside_warning(operator, "overdue", [dispute.pk], note="已约双方下周调解", days=7)
    assert kept.until is not None and kept.by == operator
    assert not [w for w in warnings_for(operator) if w.kind == "overdue" and dispute.pk in w.dispute_ids]
    # Everyone who sees it: the district's board leaves it out too (the matter was judged).
    district = world.users[Role.DISTRICT_OPERATOR]
    assert not [w for w in warnings_for(district) if w.kind == "overdue" and dispute.pk in w.dispute_ids]
    # After the snooze, it shows again by itself.
    later = timezone.now() + timedelta(days=8)
    assert [w for w in warnings_for(operator, now=later) if w.kind == "overdue" and w.dispute_ids == [dispute.pk]]
    assert AuditEntry.objects.filter(operation="mediation.set_aside_warning", actor=operator).count() == 1
    do_restore_warning(operator, kept)
    assert _warning(operator, dispute)
    assert AuditEntry.objects.filter(operation="mediation.restore_warning").count() == 1
    with pytest.raises(OperationError):
        do_restore_warning(operator, kept)


def test_bad_input_is_refused_field_by_field_and_nothing_is_written(world, m):
    operator = world.users[Role.COMMUNITY_OPERATOR]
    dispute = _overdue(world)
    with pytest.raises(FieldErrors) as refused:
        do_set_aside_warning(operator, "nonsense", [dispute.pk], note="", days=999)
    assert set(refused.value.errors) == {"note", "days", "kind"}
    with pytest.raises(OperationError) as missing:  # a warning that is not raised
        do_set_aside_warning(operator, "many_parties", [dispute.pk], note="没有这条")
    assert missing.value.field == "warning"
    assert not WarningSetAside.objects.exists() and not AuditEntry.objects.filter(
        operation="mediation.set_aside_warning").exists()


def test_another_areas_warning_cannot_be_set_aside(world, m):
    dispute = _overdue(world)  # in the first community
    outsider = make_user("street_op_other", Role.STREET_OPERATOR, region=world.streets[1])
    with pytest.raises(OperationError):
        do_set_aside_warning(outsider, "overdue", [dispute.pk], note="不是我的")
    assert not WarningSetAside.objects.exists()


def test_the_board_sets_aside_and_lists_what_is_set_aside(world, m, client):
    operator = world.users[Role.COMMUNITY_OPERATOR]
    dispute = _overdue(world)
    client.force_login(operator)
    refused = client.post("/mediation/warnings/set-aside/", {"kind": "overdue", "disputes": str(dispute.pk),
                                                            "note": "", "days": "7", "next": "/mediation/warnings/"})
    assert refused.status_code == 422 and "请说明搁置理由" in refused.content.decode()
    assert not WarningSetAside.objects.exists()
    done = client.post("/mediation/warnings/set-aside/", {"kind": "overdue", "disputes": str(dispute.pk),
                                                         "note": "已约双方下周调解", "days": "dismiss",
                                                         "next": "/mediation/warnings/?kind=overdue"})
    assert done.status_code == 302 and done["Location"] == "/mediation/warnings/?kind=overdue"
    kept = WarningSetAside.objects.get()
    assert kept.until is None and kept.note == "已约双方下周调解"
    board = client.get("/mediation/warnings/").content.decode()
    assert f'data-dispute="{dispute.pk}"' not in board and 'id="warnings-aside"' in board
    listed = client.get("/mediation/warnings/", {"set_aside": "1"}).content.decode()
    assert "已约双方下周调解" in listed and f'data-aside="{kept.pk}"' in listed
    back = client.post(f"/mediation/warnings/set-aside/{kept.pk}/restore/")
    assert back.status_code == 302
    assert f'data-dispute="{dispute.pk}"' in client.get("/mediation/warnings/").content.decode()


def test_the_board_keeps_one_analysis_a_minute_and_set_aside_shows_at_once(world, m, client):
    from django.core.cache import cache

    operator = world.users[Role.COMMUNITY_OPERATOR]
    first = _overdue(world)
    client.force_login(operator)
    assert f'data-dispute="{first.pk}"' in client.get("/mediation/warnings/").content.decode()
    second = _overdue(world)  # within the minute: the board shows the analysis it made
    board = client.get("/mediation/warnings/").content.decode()
    assert f'data-dispute="{second.pk}"' not in board and 'id="warnings-made"' in board
    do_set_aside_warning(operator, "overdue", [first.pk], note="已处理")  # set aside: gone at once
    assert f'data-dispute="{first.pk}"' not in client.get("/mediation/warnings/").content.decode()
    cache.clear()  # the minute is over
    assert f'data-dispute="{second.pk}"' in client.get("/mediation/warnings/").content.decode()
