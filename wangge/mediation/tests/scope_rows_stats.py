"""Jurisdiction matrix rows for the dispute measures: the stats API, the mediators' ranking and both pages.

`setup` puts a dispute accepted in June 2025 in every grid of the shared world and in the second district's
grid, each with its community's committee and a mediator of that community (mediator_1's and mediator_2's
own communities use them), some agreed with an amount, some referred by the court. `check` proves the totals
count exactly the disputes the user may see under the region asked about, every region row is inside the area,
and the ranking names only mediators on those disputes.
(The .xlsx export is binary, which the matrix cannot read as text: test_stats_pages covers its scoping.)
"""
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from wangge.core.roles import OPERATORS, Role
from wangge.core.tests.scope_matrix import Row

READERS = (Role.ADMINISTRATOR, *OPERATORS)  # mediation.stats
WINDOW = "from=2025-06-01&to=2025-06-30"
PREFIX = "TJSTATS"


def _setup(world):
    from wangge.areas.models import Level, Region
    from wangge.core.models import Department, User
    from wangge.mediation.models import Agreement, Committee, Dispute, Mediator, Membership, Referral, State

    if Dispute.objects.filter(number__startswith=PREFIX).exists():
        return
    court = Department.objects.filter(code="FY").first() or Department.objects.create(
        code="FY", name="区人民法院", region=world.district)
    accounts = {u.region_id: u for u in User.objects.filter(username__in=("mediator_1", "mediator_2"))}
    grids = list(Region.objects.filter(level=Level.GRID).select_related("parent").order_by("code"))
    committees, mediators = {}, {}
    for i, grid in enumerate(grids):
        community = grid.parent
        if community.pk not in committees:
            committees[community.pk] = Committee.objects.create(name=f"{community.name}人民调解委员会",
                                                                level="community", region=community)
            account = accounts.get(community.pk)
            mediators[community.pk] = Mediator.objects.create(
                user=account, name=f"统计调解员{len(mediators) + 1}号", region=community)
            Membership.objects.create(committee=committees[community.pk], mediator=mediators[community.pk])
        reported = timezone.make_aware(datetime(2025, 6, 1 + i, 10))
        state = (State.AGREED, State.FAILED, State.MEDIATING)[i % 3]
        dispute = Dispute.objects.create(
            number=f"{PREFIX}{i:03d}", title=f"统计纠纷{i}", type="neighbour", source=("grid", "court")[i % 2],
            level="community", state=state, region=grid, grid=grid, committee=committees[community.pk],
            mediator=mediators[community.pk], parties_count=2 + i % 2, reported_at=reported, accepted_at=reported,
            closed_at=reported.replace(hour=16) if state != State.MEDIATING else None)
        if state == State.AGREED:
            Agreement.objects.create(dispute=dispute, terms="协议", amount=Decimal("1000.00") * (i + 1),
                                     signed_at=dispute.closed_at)
        if dispute.source == "court":
            Referral.objects.create(dispute=dispute, court=court, letter_number=f"诉前调{i}号", letter="x.pdf",
                                    referred_at=reported, outcome="settled" if state == State.AGREED else "",
                                    outcome_at=dispute.closed_at if state == State.AGREED else None)


def _visible_june(ctx):
    from wangge.mediation.models import Dispute

    start = timezone.make_aware(datetime(2025, 6, 1))
    end = timezone.make_aware(datetime(2025, 7, 1))
    disputes = Dispute.objects.visible_to(ctx.user).filter(number__startswith=PREFIX, accepted_at__gte=start,
                                                           accepted_at__lt=end)
    if ctx.region is not None:
        disputes = disputes.filter(region__path__startswith=ctx.region.path)
    return disputes


def _totals_are_what_the_user_sees(response, ctx):
    data = response.json()
    disputes = _visible_june(ctx)
    assert disputes.exists(), "setup puts a dispute in every grid: the check must have something to count"
    counts = data["total"]["counts"]
    assert counts["mediated"] == counts["registered"] == disputes.count()
    assert counts["successful"] == disputes.filter(state="agreed").count()
    assert counts["referrals"] == disputes.filter(referral__isnull=False).count()
    assert sum(r["counts"]["mediated"] for r in data["rows"]) == disputes.count()
    if data["group_by"] == "region":
        visible = {r.code for r in ctx.visible_regions}
        assert all(r["code"] in visible for r in data["rows"])
    if data["group_by"] == "mediator":
        assert {r["key"] for r in data["rows"]} == set(disputes.values_list("mediator_id", flat=True))


def _ranking_is_what_the_user_sees(response, ctx):
    data = response.json()
    disputes = _visible_june(ctx)
    ranked = data["ranking"] + data["below_threshold"]
    assert {r["mediator"] for r in ranked} == set(disputes.values_list("mediator_id", flat=True))
    assert sum(r["cases"] for r in ranked) == disputes.count()


def _page_counts_what_the_user_sees(response, ctx):
    assert response.context["stats"]["total"]["counts"]["mediated"] == _visible_june(ctx).count()


def _ranking_page_is_what_the_user_sees(response, ctx):
    data = response.context["data"]
    assert sum(r["cases"] for r in data["ranking"] + data["below_threshold"]) == _visible_june(ctx).count()


ROWS = [
    Row("api: dispute measures by region", f"/api/v1/stats/disputes?region={{code}}&{WINDOW}", roles=READERS,
        setup=_setup, check=_totals_are_what_the_user_sees),
    Row("api: dispute measures by committee", f"/api/v1/stats/disputes?group_by=committee&region={{code}}&{WINDOW}",
        roles=READERS, setup=_setup, check=_totals_are_what_the_user_sees),
    Row("api: dispute measures by mediator", f"/api/v1/stats/disputes?group_by=mediator&region={{code}}&{WINDOW}",
        roles=READERS, setup=_setup, check=_totals_are_what_the_user_sees),
    Row("api: dispute measures by month",
        f"/api/v1/stats/disputes?group_by=period&period=month&region={{code}}&{WINDOW}", roles=READERS,
        setup=_setup, check=_totals_are_what_the_user_sees),
    Row("api: mediator ranking", "/api/v1/stats/mediators?region={code}&year=2025&min_cases=1", roles=READERS,
        setup=_setup, check=_ranking_is_what_the_user_sees),
    Row("page: dispute measures", f"/mediation/stats/?region={{code}}&{WINDOW}", roles=READERS, setup=_setup,
        check=_page_counts_what_the_user_sees),
    Row("page: dispute measures by type", f"/mediation/stats/?group_by=type&region={{code}}&{WINDOW}",
        roles=READERS, setup=_setup, check=_page_counts_what_the_user_sees),
    Row("page: dispute measures by mediator", f"/mediation/stats/?group_by=mediator&region={{code}}&{WINDOW}",
        roles=READERS, setup=_setup, check=_page_counts_what_the_user_sees),
    Row("page: mediator ranking", "/mediation/stats/mediators/?region={code}&year=2025&min_cases=1",
        roles=READERS, setup=_setup, check=_ranking_page_is_what_the_user_sees),
]
