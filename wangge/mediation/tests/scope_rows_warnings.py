"""Jurisdiction-matrix rows for early warnings (研判预警) and the 人民调解协议书 download.

`setup` puts, in every grid of the shared world and in the second district's grid, three disputes reported in
the last days with the same two parties: one open and overdue, one open and flagged 民转刑, one agreed with an
agreement. So every operator has warnings of every kind inside their area and, outside it, disputes whose
numbers must never show (the app's FORBIDDEN hook) even though the same parties appear there: a repeat is
counted only among the disputes the user may see. `check` proves each warning lists only visible disputes and
the overdue count is exactly the visible overdue disputes under the region asked about.

The agreement document is a binary .docx the matrix cannot read as text, so its row asks only about agreed
disputes outside the user's area (404 for every role); test_documents.py opens the document inside.
"""
import re
from datetime import timedelta

from django.utils import timezone

from wangge.core.roles import OPERATORS, Role
from wangge.core.tests.scope_matrix import Row

READERS = (Role.ADMINISTRATOR, *OPERATORS)  # mediation.stats
VIEWERS = (Role.ADMINISTRATOR, *OPERATORS, Role.GRID_WORKER, Role.MEDIATOR, Role.DEPARTMENT_HANDLER)  # mediation.view
PREFIX = "TJ20000101"  # the length of a real number (TJ + date + 5 digits), a day no counter hands out
LISTED = re.compile(r'data-dispute="(\d+)"')


def _setup(world):
    from wangge.areas.models import Level, Region
    from wangge.mediation.models import Agreement, Dispute, Party, State

    if Dispute.objects.filter(number__startswith=PREFIX).exists():
        return
    now = timezone.now()
    for i, grid in enumerate(Region.objects.filter(level=Level.GRID).order_by("code")):
        for j, (state, extra) in enumerate([(State.MEDIATING, {"due_by": now - timedelta(days=2)}),
                                            (State.ACCEPTED, {"criminal_risk": True, "risk": "high"}),
                                            (State.AGREED, {"closed_at": now})]):
            dispute = Dispute.objects.create(
                number=f"{PREFIX}{i * 3 + j:05d}", title=f"预警测试{i}-{j}", type="neighbour", source="grid",
                level="community", state=state, region=grid, grid=grid, address="幸福路1号",
                reported_at=now - timedelta(days=j + 1), due_by=extra.pop("due_by", now + timedelta(days=10)),
                parties_count=2, **extra)
            Party.objects.bulk_create([Party(dispute=dispute, name="预警甲", phone="13900000001"),
                                       Party(dispute=dispute, name="预警乙", phone="13900000002", role="respondent")])
            if state == State.AGREED:
                Agreement.objects.create(dispute=dispute, terms="赔偿1000元", amount=1000)


def _visible(ctx):
    from wangge.mediation.models import Dispute

    disputes = Dispute.objects.visible_to(ctx.user)
    if ctx.region is not None:
        disputes = disputes.filter(region__path__startswith=ctx.region.path)
    return disputes


def _visible_overdue(ctx):
    from wangge.mediation.models import OPEN_STATES

    return _visible(ctx).filter(state__in=OPEN_STATES, due_by__lt=timezone.now())


def _api_lists_only_visible(response, ctx):
    data = response.json()
    visible = set(_visible(ctx).values_list("pk", flat=True))
    listed = {d["id"] for item in data["items"] for d in item["disputes"]}
    assert listed <= visible, f"warnings name disputes outside the area: {listed - visible}"
    overdue = _visible_overdue(ctx).count()
    assert overdue, "setup puts an overdue dispute in every grid: the check must have something to count"
    assert data["counts"]["overdue"] == overdue
    assert data["counts"]["flagged_risk"] == _visible(ctx).filter(criminal_risk=True).count()


def _page_lists_only_visible(response, ctx):
    body = response.content.decode()
    visible = set(_visible(ctx).values_list("pk", flat=True))
    listed = {int(pk) for pk in LISTED.findall(body)}
    assert listed and listed <= visible, f"the board names disputes outside the area: {listed - visible}"
    overdue = [w for s in response.context["sections"] if s["key"] == "overdue" for w in s["warnings"]]
    assert len(overdue) == _visible_overdue(ctx).count()


def _agreed_outside(world, user):
    from wangge.mediation.models import Dispute

    _setup(world)
    visible = Dispute.objects.visible_to(user).values("pk")
    outside = Dispute.objects.filter(number__startswith=PREFIX, agreement__isnull=False).exclude(pk__in=visible)
    return [], list(outside.order_by("pk").values_list("pk", flat=True)[:3])


ROWS = [
    Row("api: dispute warnings", "/api/v1/disputes/warnings", roles=READERS, setup=_setup,
        check=_api_lists_only_visible),
    Row("api: dispute warnings in a region", "/api/v1/disputes/warnings?region={code}", roles=READERS,
        setup=_setup, check=_api_lists_only_visible),
    Row("page: dispute warnings", "/mediation/warnings/", roles=READERS, setup=_setup,
        check=_page_lists_only_visible),
    Row("page: dispute warnings in a region", "/mediation/warnings/?region={code}", roles=READERS, setup=_setup,
        check=_page_lists_only_visible),
    Row("page: agreement document", "/mediation/{id}/agreement.docx", roles=VIEWERS, objects=_agreed_outside),
]
