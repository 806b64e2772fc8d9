"""Jurisdiction-matrix rows: the mediation staff pages (see wangge/core/tests/scope_matrix.py).

The data: the mediation world (committees, mediators, the court FY) and disputes in grid 0 (registered with a
party's phone, agreed with judicial confirmation applied for, a court referral), one in the other street
(grid 4) and one in the matrix's second district. The ledger lists exactly what `Dispute.objects.visible_to`
gives each user; the dispute page answers 404 outside it. No page shows a party's phone in the clear; the
app's FORBIDDEN hook checks that no dispute outside the user's sight is named by its number.

The court's pages (refer, referrals) are for a court's handler only, and no matrix user is one (the home
department is CG): every role gets 403 here; test_pages_ledger.py walks them as the court.
"""
import re
import tempfile

from django.test import override_settings

from wangge.core.roles import OPERATORS, Role
from wangge.core.tests.scope_matrix import Row

VIEWERS = (Role.ADMINISTRATOR, *OPERATORS, Role.GRID_WORKER, Role.MEDIATOR, Role.DEPARTMENT_HANDLER)
REGISTRARS = (*OPERATORS, Role.GRID_WORKER, Role.MEDIATOR)
LISTED = re.compile(r'<li class="case-item" data-dispute="(\d+)"')
MARK = "矩阵台账"
PHONE = "13912348888"


def _setup(world):
    from wangge.core.models import User
    from wangge.mediation import services
    from wangge.mediation.models import Dispute
    from wangge.mediation.testing import build_mediation, dispute_in, letter, register
    from wangge.testing import CELL, ORIGIN_LAT, ORIGIN_LNG

    if Dispute.objects.filter(title__startswith=MARK).exists():
        return
    m = build_mediation(world)
    party = [{"name": "矩阵当事人", "phone": PHONE}]
    register(world, title=f"{MARK}登记", parties=party)
    dispute_in(world, m, "agreed_applied")
    lng, lat = world.grid_center(world.grids[0])
    with override_settings(MEDIA_ROOT=tempfile.mkdtemp(prefix="wangge-matrix-")):  # the letter, not in var/media
        services.do_refer(m.court_handler, letter=letter(), letter_number="矩阵诉前调1号", title=f"{MARK}移送",
                          type="consumer", lng=lng, lat=lat, parties=party)
    lng, lat = world.grid_center(world.grids[4])
    register(world, user=world.users[Role.DISTRICT_OPERATOR], lng=lng, lat=lat, title=f"{MARK}别处",
             level="community", parties=party)
    other = User.objects.filter(username="other_district_op").first()
    if other is not None:
        register(world, user=other, lng=ORIGIN_LNG + CELL / 2, lat=ORIGIN_LAT + 0.5 + CELL / 2, title=f"{MARK}外区",
                 parties=party)


def _records(world, user):
    from wangge.mediation.models import Dispute

    visible = set(Dispute.objects.visible_to(user).values_list("pk", flat=True))
    everything = set(Dispute.objects.values_list("pk", flat=True))
    return sorted(visible)[:3], sorted(everything - visible)[:3]


def _no_phone(response, ctx):
    assert PHONE not in response.content.decode(), "a party's phone in the clear"


def _lists_visible(response, ctx):
    from wangge.mediation.models import Dispute

    _no_phone(response, ctx)
    listed = {int(pk) for pk in LISTED.findall(response.content.decode())}
    assert listed == set(Dispute.objects.visible_to(ctx.user).values_list("pk", flat=True))


def _row(name, url, **kwargs):
    return Row(name, url, setup=_setup, check=kwargs.pop("check", _no_phone), **kwargs)


ROWS = [
    _row("page: dispute ledger", "/mediation/", roles=VIEWERS, check=_lists_visible),
    _row("page: dispute ledger filtered", "/mediation/?state=open&q=矩阵&sort=due&type=neighbour", roles=VIEWERS),
    _row("page: register a dispute", "/mediation/new/", roles=REGISTRARS),
    _row("page: dispute party search", "/mediation/new/parties/?q=矩阵&row=0", roles=REGISTRARS),
    _row("page: court referrals", "/mediation/referrals/", roles=()),
    _row("page: refer to mediation", "/mediation/referrals/new/", roles=()),
    _row("page: dispute", "/mediation/{id}/", roles=VIEWERS, objects=_records),
]
