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


def _setup(world):
    from wangge.mediation.models import Committee
    from wangge.mediation.testing import build_mediation

    if not Committee.objects.exists():
        build_mediation(world)


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
