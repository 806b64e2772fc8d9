"""Jurisdiction matrix rows for the disputes API (see wangge/core/tests/scope_matrix.py).

`_disputes(world)` adds the committees and mediators (testing.build_mediation) and three disputes: one in
grid 0 taken into mediation by mediator_1 (community 0's committee), one in grid 4 accepted by mediator_2
(community 2's), and one in the matrix's second district. Each has a party with a phone, which no answer
may show in the clear. Mediators see their committee's dispute; department CG sees none.
"""
from wangge.areas.models import Region
from wangge.core.models import User
from wangge.core.roles import OPERATORS, Role
from wangge.core.tests.scope_matrix import Row

READERS = (Role.ADMINISTRATOR, *OPERATORS, Role.GRID_WORKER, Role.MEDIATOR, Role.DEPARTMENT_HANDLER)
FAR_GRID = "510108002001001"  # the matrix world's second district
PHONE = "13800003333"


def _disputes(world):
    """Committees, mediators and disputes in both streets and the second district (idempotent)."""
    if getattr(world, "mediation_api_rows", None):
        return world.mediation_api_rows
    from wangge.mediation import services
    from wangge.mediation.testing import act, build_mediation, soon

    build_mediation(world)
    made = {}
    for key, grid, worker, mediator in (
            ("home", world.grids[0], world.users[Role.GRID_WORKER], world.users[Role.MEDIATOR]),
            ("away", world.grids[4], world.outsiders[Role.GRID_WORKER], world.outsiders[Role.MEDIATOR])):
        lng, lat = world.grid_center(grid)
        dispute = services.do_register_dispute(worker, title=f"{key}楼上漏水纠纷", type="neighbour", source="grid",
                                               lng=lng, lat=lat, parties=[{"name": f"{key}甲某", "phone": PHONE},
                                                                          {"name": f"{key}乙某", "role": "respondent"}])
        dispute = act(mediator, dispute, "accept")
        if key == "home":
            dispute = act(mediator, dispute, "schedule_session", starts_at=soon(), place="社区调解室")
        made[key] = dispute
    far_operator = User.objects.get(username="other_district_op")
    made["far"] = services.do_register_dispute(far_operator, title="far噪音纠纷", type="neighbour",
                                               source="hotline_12345", grid=Region.objects.get(code=FAR_GRID),
                                               parties=[{"name": "far丙某", "phone": PHONE}])
    world.mediation_api_rows = made
    return made


def _records(world, user):
    from wangge.mediation.models import Dispute

    _disputes(world)
    visible = Dispute.objects.visible_to(user)
    inside = list(visible.order_by("pk").values_list("pk", flat=True)[:3])
    outside = list(Dispute.objects.exclude(pk__in=visible.values("pk")).order_by("-pk").values_list("pk", flat=True))
    return inside, outside


def _no_plain_phone(response, ctx):
    assert PHONE not in response.content.decode(), "a party's phone in the clear"


def _listed_are_visible(response, ctx):
    from wangge.mediation.models import Dispute

    ids = {item["id"] for item in response.json()["items"]}
    assert ids == set(Dispute.objects.visible_to(ctx.user).values_list("pk", flat=True))
    _no_plain_phone(response, ctx)


def _detail_is_the_record(response, ctx):
    data = response.json()
    assert data["id"] == ctx.record_id
    assert {p["phone"] for p in data["parties"]} <= {"138****3333", ""}
    _no_plain_phone(response, ctx)


def _committees_are_visible(response, ctx):
    from wangge.mediation.models import Committee

    ids = {item["id"] for item in response.json()}
    assert ids == set(Committee.objects.visible_to(ctx.user).filter(active=True).values_list("pk", flat=True))


def _committees_serve_the_dispute(response, ctx):
    from wangge.mediation.models import Dispute

    dispute = Dispute.objects.get(pk=ctx.record_id)
    paths = {r.path for r in dispute.region.ancestors_and_self()}
    for item in response.json():
        assert item["kind"] != "office"
        assert Region.objects.get(code=item["region"]).path in paths


def _mediators_are_visible(response, ctx):
    from wangge.mediation.models import Mediator

    ids = {item["id"] for item in response.json()}
    assert ids == set(Mediator.objects.visible_to(ctx.user).filter(active=True).values_list("pk", flat=True))


def _mediators_are_eligible(response, ctx):
    from wangge.mediation import services
    from wangge.mediation.models import Dispute

    ids = {item["id"] for item in response.json()}
    assert ids == set(services.eligible_mediators(Dispute.objects.get(pk=ctx.record_id)).values_list("pk", flat=True))


def _row(name, url, **kwargs):
    return Row(name, url, setup=_disputes, roles=READERS, **kwargs)


ROWS = [
    _row("api: disputes", "/api/v1/disputes?limit=1000", check=_listed_are_visible),
    _row("api: disputes filtered",
         "/api/v1/disputes?state=registered,accepted,mediating&type=neighbour&level=community&q=纠纷"),
    _row("api: dispute", "/api/v1/disputes/{id}", objects=_records, check=_detail_is_the_record),
    _row("api: committees", "/api/v1/committees", check=_committees_are_visible),
    _row("api: committees for a dispute", "/api/v1/committees?dispute={id}", objects=_records,
         check=_committees_serve_the_dispute),
    _row("api: mediators", "/api/v1/mediators", check=_mediators_are_visible),
    _row("api: mediators for a dispute", "/api/v1/mediators?dispute={id}", objects=_records,
         check=_mediators_are_eligible),
]
