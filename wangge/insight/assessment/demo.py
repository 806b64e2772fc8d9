"""The demo district's assessment: the default schemes (one per target type) at the district, and wiping them with
the district (`load_demo --force`)."""
from django.db.models import Q


def load() -> int:
    """Create the default schemes at the demo district (as the system), once; answers how many were made."""
    from wangge.demo.services import demo_district
    from wangge.insight.assessment.defaults import create_default_schemes

    district = demo_district()
    return len(create_default_schemes(None, district)) if district is not None else 0


def wipe(district) -> None:
    """Delete the district's schemes, periods, scores, spot checks and appeals (and any score of a target in it);
    call inside the demo's wipe transaction. The appeals' timeline refuses Django's delete() (append-only in
    operation), so it goes with a plain DELETE, as the cases' timeline does."""
    from wangge.insight.assessment.models import Appeal, AppealEvent, Period, Scheme, Score, SpotCheck

    prefix = district.path
    schemes = Scheme.objects.filter(region__path__startswith=prefix)
    periods = Period.objects.filter(scheme__in=schemes)
    scores = Score.objects.filter(Q(period__in=periods) | Q(target_path__startswith=prefix))
    appeals = Appeal.objects.filter(score__in=scores)
    AppealEvent.objects.filter(appeal_id__in=list(appeals.values_list("pk", flat=True)))._raw_delete(
        AppealEvent.objects.db)
    appeals.delete()
    SpotCheck.objects.filter(Q(period__in=periods)).delete()
    scores.delete()
    periods.delete()
    schemes.delete()
