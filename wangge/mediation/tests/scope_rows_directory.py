"""Jurisdiction-matrix rows: the directory pages (调解组织与调解员名录, views_directory.py).

For those who keep the directory (administrator, district operator, street operator): the list shows exactly
the committees `Committee.objects.visible_to` gives them; a committee or mediator outside their area is 404.
Every other role gets 403.
"""
import re

from wangge.core.roles import Role
from wangge.core.tests.scope_matrix import Row

KEEPERS = (Role.ADMINISTRATOR, Role.DISTRICT_OPERATOR, Role.STREET_OPERATOR)
LISTED = re.compile(r'data-committee="(\d+)"')


FAR_COMMUNITY = "510108002001"  # the matrix world's second district: outside even a district operator's area


def _setup(world):
    """The mediation world, and a committee with a mediator in the second district (idempotent)."""
    from wangge.areas.models import Region
    from wangge.mediation.models import Committee, Level, Mediator, Membership
    from wangge.mediation.testing import build_mediation

    if Committee.objects.exists():
        return
    build_mediation(world)
    far = Region.objects.filter(code=FAR_COMMUNITY).first()
    if far is not None:
        committee = Committee.objects.create(name=f"{far.name}人民调解委员会", level=Level.COMMUNITY, region=far)
        mediator = Mediator.objects.create(name="外区调解员", region=far)
        Membership.objects.create(committee=committee, mediator=mediator)


def _split(model, user):
    visible = set(model.objects.visible_to(user).values_list("pk", flat=True))
    everything = set(model.objects.values_list("pk", flat=True))
    return sorted(visible)[:2], sorted(everything - visible)[:2]


def _committees(world, user):
    from wangge.mediation.models import Committee

    return _split(Committee, user)


def _mediators(world, user):
    from wangge.mediation.models import Mediator

    return _split(Mediator, user)


def _lists_visible(response, ctx):
    from wangge.mediation.models import Committee

    listed = {int(pk) for pk in LISTED.findall(response.content.decode())}
    assert listed == set(Committee.objects.visible_to(ctx.user).values_list("pk", flat=True))


ROWS = [
    Row("page: committees and mediators", "/mediation/directory/", roles=KEEPERS, setup=_setup, check=_lists_visible),
    Row("page: add a committee", "/mediation/directory/committees/new/", roles=KEEPERS, setup=_setup),
    Row("page: add a mediator", "/mediation/directory/mediators/new/", roles=KEEPERS, setup=_setup),
    Row("page: edit a committee", "/mediation/directory/committees/{id}/", roles=KEEPERS, setup=_setup,
        objects=_committees),
    Row("page: edit a mediator", "/mediation/directory/mediators/{id}/", roles=KEEPERS, setup=_setup,
        objects=_mediators),
]
