"""Mediation API: early warnings (研判预警), GET /api/v1/disputes/warnings.

Scoped like every read: the rules in warnings.py run over `Dispute.objects.visible_to(user)`; `region` names a
region in the caller's area (outside or unknown: 404). Readers: those with mediation.stats (operators and
administrators); others 403. An unknown `kind` is 422 naming the field.
"""
from datetime import datetime

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Schema

from wangge.areas.models import Region
from wangge.core.api_errors import field_error
from wangge.core.refusals import require
from wangge.mediation.warnings import KINDS, warnings_for

router = Router(tags=["mediation"])


class WarningDispute(Schema):
    id: int
    number: str
    title: str
    state: str
    level: str
    reported_at: datetime
    due_by: datetime | None


class WarningOut(Schema):
    kind: str
    label: str
    severity: str
    reason: str
    disputes: list[WarningDispute]


class WarningsOut(Schema):
    count: int
    counts: dict[str, int]
    items: list[WarningOut]


def region_in_area(user, code: str | None):
    """The region a filter names, if the user may see it (unknown and outside answer alike: 404)."""
    if not code:
        return None
    region = Region.objects.visible_to(user).filter(code=code.strip()[:32]).first()
    if region is None:
        raise Http404
    return region


def chosen_kinds(value: str | None, source: str = "query") -> set:
    kinds = {k.strip() for k in (value or "").split(",") if k.strip()}
    unknown = sorted(kinds - set(KINDS))
    if unknown:
        raise field_error(source, "kind", _("Unknown kind %(value)s; one of %(kinds)s") % {
            "value": repr(unknown[0]), "kinds": ", ".join(KINDS)})
    return kinds


@router.get("/disputes/warnings", response=WarningsOut, summary="Early warnings on disputes (研判预警)")
def dispute_warnings(request, kind: str | None = None, region: str | None = None):
    require(request.user, "mediation.stats")
    kinds = chosen_kinds(kind)
    found = warnings_for(request.user, region=region_in_area(request.user, region), kinds=kinds)
    counts = {k: sum(1 for w in found if w.kind == k) for k in KINDS}
    items = [{"kind": w.kind, "label": w.label, "severity": w.severity, "reason": w.reason, "disputes": w.disputes}
             for w in found]
    return {"count": len(found), "counts": counts, "items": items}
