"""Setting a warning aside (研判预警): dismissed for good, or snoozed for some days, always with a reason; and
restoring it. Each is an operation: the acting user, one transaction, one audit row.

Only a warning the actor sees now can be set aside (its disputes all in their area, the rule still raising it),
so nobody hides a warning of another area or one that does not exist. The board of everyone who sees that
warning leaves it out while it is set aside (it is the matter that was judged, not one person's view of it).
"""
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core import audit
from wangge.core.services import FieldErrors, NotInArea, OperationError, require
from wangge.mediation.models import Dispute, WarningSetAside
from wangge.mediation.warnings import KINDS, warning_key, warnings_for

PERMISSION = "mediation.stats"  # who reads the board judges it
MAX_SNOOZE_DAYS = 180
NOTE_LIMIT = 300


def do_set_aside_warning(actor, kind: str, dispute_ids, *, note: str, days: int | None = None,
                         now=None) -> WarningSetAside:
    """Dismiss (`days` None) or snooze for `days` the warning of `kind` about `dispute_ids`."""
    require(actor, PERMISSION)
    now = now or timezone.now()
    errors = {}
    note = str(note or "").strip()
    if not note:
        errors["note"] = _("Say why it is set aside.")
    elif "\x00" in note or len(note) > NOTE_LIMIT:
        errors["note"] = _("At most %(limit)s characters.") % {"limit": NOTE_LIMIT}
    if days is not None and not (isinstance(days, int) and 1 <= days <= MAX_SNOOZE_DAYS):
        errors["days"] = _("Snooze for 1 to %(max)s days.") % {"max": MAX_SNOOZE_DAYS}
    if kind not in KINDS:
        errors["kind"] = _("Choose one of the listed values.")
    if errors:
        raise FieldErrors(errors)
    key = warning_key(kind, dispute_ids)
    warning = next((w for w in warnings_for(actor, kinds={kind}, now=now, with_disputes=False) if w.key == key),
                   None)
    if warning is None:
        raise OperationError(_("This warning is not on your board (already set aside, or no longer raised)."),
                             field="warning")
    with transaction.atomic():
        kept = WarningSetAside.objects.create(
            key=key, kind=kind, dispute_ids=sorted(warning.dispute_ids), summary=warning.reason[:300],
            until=now + timedelta(days=days) if days else None, note=note, by=actor, at=now)
        audit.record(actor, "mediation.set_aside_warning", kept, kind=kind, disputes=kept.dispute_ids,
                     days=days, note=note)
    return kept


def do_restore_warning(actor, set_aside: WarningSetAside, *, now=None) -> WarningSetAside:
    """Put a dismissed or snoozed warning back on the board (it shows again if its rule still raises it)."""
    require(actor, PERMISSION)
    ids = set(set_aside.dispute_ids or [])
    if not ids or Dispute.objects.visible_to(actor).filter(pk__in=ids).count() != len(ids):
        raise NotInArea(_("Not found in your area."))
    with transaction.atomic():
        claimed = WarningSetAside.objects.filter(pk=set_aside.pk, restored_at__isnull=True).update(
            restored_at=now or timezone.now(), restored_by=actor)
        if not claimed:
            raise OperationError(_("Already restored."), field="warning")
        set_aside.refresh_from_db()
        audit.record(actor, "mediation.restore_warning", set_aside, kind=set_aside.kind,
                     disputes=set_aside.dispute_ids)
    return set_aside


def set_aside_visible_to(actor, now=None):
    """Warnings set aside now (dismissed, or snoozed until later) whose disputes all lie in the actor's area: the
    board's "set aside" list."""
    now = now or timezone.now()
    rows = list(WarningSetAside.objects.filter(Q(until__isnull=True) | Q(until__gt=now), restored_at__isnull=True))
    wanted = {pk for row in rows for pk in row.dispute_ids}
    visible = set(Dispute.objects.visible_to(actor).filter(pk__in=wanted).values_list("pk", flat=True))
    keep = [row.pk for row in rows if row.dispute_ids and set(row.dispute_ids) <= visible]
    return WarningSetAside.objects.filter(pk__in=keep).select_related("by")
