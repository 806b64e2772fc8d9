"""Jurisdiction-matrix rows: the mediator's phone pages (see wangge/core/tests/scope_matrix.py).

The data: the mediation world (committees, mediator_1 in community 0's, mediator_2 in community 2's) and disputes
in community 0 in every pile of 我的调解 (to accept, accepted, mediating with a session, agreed), plus one in
community 2, one in street 2's other community and one in the matrix's second district. Only mediators use the
pages (others: 403); a mediator's inside is what `Dispute.objects.visible_to` gives them, and the list shows
exactly their open disputes. The app's FORBIDDEN hook already checks that no dispute outside the user's sight is
named by its number.
"""
import re

from wangge.core.roles import Role
from wangge.core.tests.scope_matrix import Row

MEDIATOR_ONLY = (Role.MEDIATOR,)
LISTED = re.compile(r'data-dispute="(\d+)"')
MARK = "矩阵手机端"
PHONE = "13912340000"


def _setup(world):
    from wangge.mediation.models import Dispute
    from wangge.mediation.testing import act, build_mediation, dispute_in, register

    if Dispute.objects.filter(title__startswith=MARK).exists():
        return
    m = build_mediation(world)
    party = [{"name": "矩阵当事人", "phone": PHONE}]
    register(world, title=f"{MARK}待受理", parties=party)
    for state in ("accepted", "mediating", "agreed"):
        dispute_in(world, m, state)
    for grid in (world.grids[4], world.grids[6]):
        lng, lat = world.grid_center(grid)
        register(world, user=world.users[Role.DISTRICT_OPERATOR], lng=lng, lat=lat, title=f"{MARK}别处",
                 level="community", parties=party)
    # The matrix's second district: outside even for the district's own operators.
    from wangge.core.models import User
    from wangge.testing import CELL, ORIGIN_LAT, ORIGIN_LNG

    other = User.objects.filter(username="other_district_op").first()
    if other is not None:
        register(world, user=other, lng=ORIGIN_LNG + CELL / 2, lat=ORIGIN_LAT + 0.5 + CELL / 2, title=f"{MARK}外区",
                 parties=party)
    # A mediator of the other community accepts one of theirs, so they have a card to open too.
    theirs = Dispute.objects.filter(title=f"{MARK}别处", grid=world.grids[4]).first()
    act(world.outsiders[Role.MEDIATOR], theirs, "accept")


def _records(world, user):
    from wangge.mediation.models import Dispute

    visible = set(Dispute.objects.visible_to(user).values_list("pk", flat=True))
    everything = set(Dispute.objects.values_list("pk", flat=True))
    return sorted(visible)[:3], sorted(everything - visible)[:3]


def _no_phone(response, ctx):
    assert PHONE not in response.content.decode(), "a party's phone in the clear"


def _lists_my_open_disputes(response, ctx):
    from wangge.mediation.models import OPEN_STATES, Dispute

    _no_phone(response, ctx)
    listed = {int(pk) for pk in LISTED.findall(response.content.decode())}
    open_visible = set(Dispute.objects.visible_to(ctx.user).filter(state__in=OPEN_STATES)
                       .values_list("pk", flat=True))
    assert listed == open_visible and listed, "the list shows exactly the mediator's open disputes"


def _record_is_mine(response, ctx):
    from wangge.mediation.models import Dispute

    _no_phone(response, ctx)
    listed = {int(pk) for pk in LISTED.findall(response.content.decode())}
    assert listed == set(Dispute.objects.visible_to(ctx.user).filter(mediator__user=ctx.user)
                         .values_list("pk", flat=True))


ROWS = [
    Row("page: mediator phone list", "/mediation/m/", roles=MEDIATOR_ONLY, setup=_setup,
        check=_lists_my_open_disputes),
    Row("page: mediator phone record", "/mediation/m/me/", roles=MEDIATOR_ONLY, setup=_setup, check=_record_is_mine),
    Row("page: mediator phone card", "/mediation/m/{id}/", roles=MEDIATOR_ONLY, setup=_setup, objects=_records,
        check=_no_phone),
]
