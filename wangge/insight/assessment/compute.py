"""Computing a period: the targets, every indicator grouped by target (one GROUP BY per indicator and family, never a
query per target), the spot checks, the exclusions of accepted appeals, then totals, ratings, ranks and allowances.

Called by the operations in services.py (inside their transaction); reads nothing of the caller's area: the period's
scheme says which region is assessed.
"""
from collections import defaultdict
from datetime import timedelta

from django.utils import timezone

from wangge.core.measures import local_midnight
from wangge.insight.assessment import rules as scoring
from wangge.insight.assessment.indicators import REGISTRY, Target, Window
from wangge.insight.assessment.models import AppealState, Score, SpotCheck


def targets_of(scheme) -> list[Target]:
    """Everyone the scheme assesses, under its region, in a stable order."""
    from wangge.areas.models import Region
    from wangge.core.models import Department, User
    from wangge.core.staff import staff_name

    path, kind = scheme.region.path, scheme.target_type
    if kind == "grid_worker":
        users = (User.objects.filter(role="grid_worker", is_active=True, region__path__startswith=path,
                                     region__level="grid").select_related("region").order_by("region__path", "id")
                 .only("pk", "username", "full_name", "region__name", "region__path"))  # no phone decrypted
        return [Target(kind, f"u{u.pk}", f"{staff_name(u)}（{u.region.name}）", u.region.path, user_id=u.pk,
                       grid_id=u.region_id) for u in users]
    if kind in ("community", "street"):
        regions = Region.objects.filter(level=kind, path__startswith=path).order_by("path")
        return [Target(kind, f"r{r.pk}", r.name, r.path, region_id=r.pk) for r in regions]
    departments = Department.objects.filter(region__path__startswith=path).select_related("region").order_by("code")
    return [Target(kind, f"d{d.pk}", d.name, d.region.path, department_id=d.pk, department_code=d.code)
            for d in departments]


def window_of(period, now=None) -> Window:
    return Window(local_midnight(period.start), local_midnight(period.end), now or timezone.now(),
                  period.scheme.period_unit)


def exclusions_of(period) -> dict:
    """{target key: {record kind: {ids}}} named by the period's accepted appeals and exclusions."""
    out = defaultdict(lambda: defaultdict(set))
    accepted = Score.objects.filter(period=period, appeals__state=AppealState.ACCEPTED)
    for score in accepted.prefetch_related("appeals").distinct():
        for appeal in score.appeals.all():
            if appeal.state != AppealState.ACCEPTED:
                continue
            for record in appeal.records:
                out[score.target_key][record["kind"]].add(record["id"])
    return out


def spot_checks_of(period) -> dict:
    return {c.target_key: c.score for c in SpotCheck.objects.filter(period=period)}


def figures_for(period, targets: list[Target], window: Window, exclusions: dict, spot: dict) -> dict:
    """{target key: {code: (numerator, denominator)}}: grouped for everyone, then again one by one for the few
    targets with exclusions (a record left out of one worker's score stays in a team-mate's)."""
    region_path = period.scheme.region.path
    out = defaultdict(dict)
    for rule in period.rules["indicators"]:
        indicator = REGISTRY[rule["code"]]
        if indicator.code == "spot_check":
            for t in targets:
                out[t.key]["spot_check"] = (spot.get(t.key), None)
            continue
        for key, figures in indicator.grouped(targets, window, region_path).items():
            out[key][indicator.code] = figures
        for t in targets:
            if exclusions.get(t.key):
                out[t.key][indicator.code] = indicator.grouped([t], window, region_path, exclusions[t.key]).get(
                    t.key, (0, 0))
    return out


def compute_period(period, now=None, only: str | None = None) -> list[Score]:
    """(Re)compute the period's scores and ranks. `only`: a target key whose figures alone are recounted (an
    accepted appeal); the others keep theirs, and every rank is set again."""
    now = now or timezone.now()
    scheme = period.scheme
    targets = targets_of(scheme)
    if only is not None:
        targets = [t for t in targets if t.key == only]
    window = window_of(period, now)
    figures = figures_for(period, targets, window, exclusions_of(period), spot_checks_of(period))
    existing = {s.target_key: s for s in Score.objects.filter(period=period)}
    rule = period.rules.get("allowance_rule") or {}
    changed, created = [], []
    for t in targets:
        rows, total = scoring.score_indicators(period.rules["indicators"], figures.get(t.key, {}))
        letter = scoring.rating(total)
        score = existing.get(t.key) or Score(period=period, target_type=t.type, user_id=t.user_id,
                                             region_id=t.region_id, department_id=t.department_id)
        score.label, score.target_path, score.indicators = t.label[:150], t.path, rows
        score.total, score.rating, score.computed_at = total, letter, now
        score.allowance = scoring.allowance(rule, total, letter)
        (changed if score.pk else created).append(score)
    Score.objects.bulk_update(changed, ["label", "target_path", "indicators", "total", "rating", "allowance",
                                        "computed_at"], batch_size=500)
    Score.objects.bulk_create(created, batch_size=500)
    _rank(period)
    return changed + created


def _rank(period) -> None:
    scores = list(Score.objects.filter(period=period).only("pk", "total", "rank"))
    ranks = scoring.ranks({s.pk: s.total for s in scores})
    for s in scores:
        s.rank = ranks.get(s.pk)
    Score.objects.bulk_update(scores, ["rank"], batch_size=500)


def appeal_deadline(published_at, days: int):
    from wangge.core.workdays import add_working_days

    return add_working_days(published_at, days) if days else published_at + timedelta(seconds=0)
