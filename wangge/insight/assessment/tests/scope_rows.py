"""Jurisdiction matrix rows for assessment (see wangge/core/tests/scope_matrix.py).

`_setup(world)` makes, at the shared world's district, a grid workers' scheme (its June published, an appeal by
each grid worker) and a communities' scheme (its June finalised), and at the second district a grid workers'
scheme with a grid worker of its own, published and appealed. So every user has schemes, periods, scores and
appeals outside their area, and the assessed have their own inside: a street sees its communities' scores, not
another street's; a grid worker only their own.

The .xlsx and .docx files are binary, which the matrix cannot read as text: the API's rows ask only about periods
outside the user's area (404); test_pages.py opens them inside, and the pages' files (?format=xlsx, the CSP walk
cannot read them either) inside and outside.
"""
from wangge.core.roles import OPERATORS, Role
from wangge.core.tests.scope_matrix import Row

VIEWERS = (Role.ADMINISTRATOR, *OPERATORS, Role.GRID_WORKER, Role.DEPARTMENT_HANDLER)  # assessment.view
MANAGERS = (Role.ADMINISTRATOR, *OPERATORS)  # assessment.manage
RULES = [{"code": "on_time_rate", "weight": 60, "bands": [{"from": None, "to": None, "points": 100}]},
         {"code": "spot_check", "weight": 40, "bands": []}]
BY_RATING = {"kind": "by_rating", "amounts": {"A": 800, "B": 600, "C": 400, "D": 300, "E": 200}}


def _setup(world):
    if getattr(world, "assessment_rows", None):
        return world.assessment_rows
    from wangge.areas.models import Region
    from wangge.core.models import User
    from wangge.insight.assessment import services
    from wangge.insight.assessment.models import Score
    from wangge.testing import make_user

    admin = world.users[Role.ADMINISTRATOR]
    far_district = Region.objects.get(code="510108")
    far_grid = Region.objects.get(code="510108002001001")
    far_worker = (User.objects.filter(username="assess_far_worker").first()
                  or make_user("assess_far_worker", Role.GRID_WORKER, region=far_grid))
    workers = services.do_save_scheme(None, name="网格员月度考核", region=world.district, target_type="grid_worker",
                                      indicators=RULES, allowance_rule=BY_RATING)
    communities = services.do_save_scheme(None, name="社区月度考核", region=world.district, target_type="community",
                                          indicators=RULES)
    far = services.do_save_scheme(None, name="外区网格员考核", region=far_district, target_type="grid_worker",
                                  indicators=RULES, allowance_rule=BY_RATING)
    periods = {}
    for key, scheme in (("workers", workers), ("communities", communities), ("far", far)):
        periods[key] = services.do_publish(admin, services.do_open_period(admin, scheme, "2025-06-01"))
    periods["communities"] = services.do_finalise(admin, periods["communities"])
    for user in (world.users[Role.GRID_WORKER], world.outsiders[Role.GRID_WORKER], far_worker):
        period = periods["far" if user == far_worker else "workers"]
        services.do_submit_appeal(user, Score.objects.get(period=period, user=user), reason="请复核")
    world.assessment_rows = periods
    return periods


def _records(model_name, inside_filter=None):
    def objects(world, user):
        from wangge.insight.assessment import models

        _setup(world)
        model = getattr(models, model_name)
        visible = model.objects.visible_to(user)
        inside = visible if inside_filter is None else inside_filter(visible, user)
        outside = model.objects.exclude(pk__in=visible.values("pk"))
        return (list(inside.order_by("pk").values_list("pk", flat=True)[:2]),
                list(outside.order_by("-pk").values_list("pk", flat=True)[:2]))
    return objects


def _outside_only(model_name):
    def objects(world, user):
        return [], _records(model_name)(world, user)[1]
    return objects


def _managed_schemes(visible, user):
    from wangge.insight.assessment.services import may_manage

    return visible.filter(pk__in=[s.pk for s in visible if may_manage(user, s)])


def _managed_periods(visible, user):
    from wangge.insight.assessment.services import may_manage

    return visible.filter(pk__in=[p.pk for p in visible.select_related("scheme__region")
                                  if may_manage(user, p.scheme) and p.state != "finalised"])


def _api_scores_are_visible(response, ctx):
    from wangge.insight.assessment.models import Score

    listed = {s["id"] for s in response.json()["scores"]}
    assert listed == set(Score.objects.visible_to(ctx.user).filter(period_id=ctx.record_id).values_list("pk",
                                                                                                      flat=True))
    if ctx.user.role == Role.GRID_WORKER:
        assert {s["label"].split("（")[0] for s in response.json()["scores"]} <= {ctx.user.full_name
                                                                                or ctx.user.username}


def _api_appeals_are_visible(response, ctx):
    from wangge.insight.assessment.models import Appeal

    ids = {item["id"] for item in response.json()["items"]}
    assert ids == set(Appeal.objects.visible_to(ctx.user).values_list("pk", flat=True))


def _page_ranking_is_visible(response, ctx):
    import re

    from wangge.insight.assessment.models import Score

    listed = {int(pk) for pk in re.findall(r'data-score="(\d+)"', response.content.decode())}
    assert listed == set(Score.objects.visible_to(ctx.user).filter(period_id=ctx.record_id).values_list("pk",
                                                                                                      flat=True))


ROWS = [
    Row("api: assessment indicators", "/api/v1/assessment/indicators", roles=VIEWERS, setup=_setup),
    Row("api: assessment schemes", "/api/v1/assessment/schemes", roles=VIEWERS, setup=_setup),
    Row("api: assessment scheme", "/api/v1/assessment/schemes/{id}", roles=VIEWERS, objects=_records("Scheme")),
    Row("api: assessment periods", "/api/v1/assessment/periods", roles=VIEWERS, setup=_setup),
    Row("api: assessment period ranking", "/api/v1/assessment/periods/{id}", roles=VIEWERS,
        objects=_records("Period"), check=_api_scores_are_visible),
    Row("api: assessment ranking xlsx", "/api/v1/assessment/periods/{id}/ranking.xlsx", roles=VIEWERS,
        objects=_outside_only("Period")),
    Row("api: assessment allowances", "/api/v1/assessment/periods/{id}/allowances", roles=VIEWERS,
        objects=_records("Period")),
    Row("api: assessment payroll xlsx", "/api/v1/assessment/periods/{id}/payroll.xlsx", roles=MANAGERS,
        objects=_outside_only("Period")),
    Row("api: assessment report docx", "/api/v1/assessment/periods/{id}/report.docx", roles=VIEWERS,
        objects=_outside_only("Period")),
    Row("api: assessment score", "/api/v1/assessment/scores/{id}", roles=VIEWERS, objects=_records("Score")),
    Row("api: assessment score records", "/api/v1/assessment/scores/{id}/records?indicator=on_time_rate",
        roles=VIEWERS, objects=_records("Score")),
    Row("api: assessment score appeals", "/api/v1/assessment/scores/{id}/appeals", roles=VIEWERS,
        objects=_records("Score")),
    Row("api: assessment appeals", "/api/v1/assessment/appeals", roles=VIEWERS, setup=_setup,
        check=_api_appeals_are_visible),
    Row("api: assessment appeal", "/api/v1/assessment/appeals/{id}", roles=VIEWERS, objects=_records("Appeal")),
    Row("api: best grid workers", "/api/v1/assessment/top-grid-workers?year=2025", roles=VIEWERS, setup=_setup),
    Row("page: assessment", "/insight/assessment/", roles=VIEWERS, setup=_setup),
    Row("page: assessment scheme", "/insight/assessment/schemes/{id}/", roles=VIEWERS, objects=_records("Scheme")),
    Row("page: assessment scheme editor", "/insight/assessment/schemes/{id}/edit/", roles=MANAGERS,
        objects=_records("Scheme", _managed_schemes)),
    Row("page: new assessment scheme", "/insight/assessment/schemes/new/", roles=MANAGERS, setup=_setup),
    Row("page: assessment period", "/insight/assessment/periods/{id}/", roles=VIEWERS, objects=_records("Period"),
        check=_page_ranking_is_visible),
    Row("page: assessment allowances", "/insight/assessment/periods/{id}/allowances/", roles=VIEWERS,
        objects=_records("Period")),
    Row("page: assessment spot check", "/insight/assessment/periods/{id}/spot-check/", roles=MANAGERS,
        objects=_records("Period", _managed_periods)),
    Row("page: assessment score", "/insight/assessment/scores/{id}/", roles=VIEWERS, objects=_records("Score")),
    Row("page: assessment score drill-down", "/insight/assessment/scores/{id}/?indicator=on_time_rate",
        roles=VIEWERS, objects=_records("Score")),
    Row("page: assessment appeals", "/insight/assessment/appeals/", roles=VIEWERS, setup=_setup),
    Row("page: assessment appeal", "/insight/assessment/appeals/{id}/", roles=VIEWERS, objects=_records("Appeal")),
    Row("page: best grid workers", "/insight/assessment/top-grid-workers/?year=2025", roles=VIEWERS, setup=_setup),
]
FORBIDDEN = []
