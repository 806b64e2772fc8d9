"""The incidents the early warnings read: cases, disputes and alerts as one light row each.

A case merged into another (a duplicate report of the same problem) or rejected (not a problem) is not an
incident. A dispute counts where it has a grid; an alert always has one. The category is the case's major
category code, the dispute's type, the alert's type. Read straight from the tables in the worker (a few thousand
rows over the windows used); pages never call this.
"""
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F
from django.utils.translation import gettext as _

from wangge.core import crypto


@dataclass
class Incident:
    source: str  # "case", "dispute", "alert"
    id: int
    number: str
    grid_id: int
    category: str
    at: datetime
    lng: float | None = None
    lat: float | None = None
    address: str = ""
    caller: str = ""  # a keyed hash of who reported it (cases: the phone, else a citizen's account); "" unknown
    caller_shown: str = ""  # the same, masked, for the explanation


def cases(since, until) -> list[Incident]:
    from wangge.cases.models import Case, Channel, State
    from wangge.core.personal import mask_phone

    rows = (Case.objects.filter(reported_at__gte=since, reported_at__lt=until)
            .exclude(state__in=(State.MERGED, State.REJECTED))
            .values_list("pk", "number", "grid_id", "category__major__code", "reported_at", "lng", "lat", "address",
                         "reporter_phone", "reporter_id", "channel"))
    found = []
    for pk, number, grid_id, major, at, lng, lat, address, phone, reporter_id, channel in rows.iterator(2000):
        caller, shown = "", ""
        if phone:
            caller, shown = "phone:" + crypto.lookup_hash(phone), mask_phone(phone)
        elif reporter_id and channel == Channel.CITIZEN:
            caller, shown = f"user:{reporter_id}", _("citizen account %(id)s") % {"id": reporter_id}
        found.append(Incident("case", pk, number, grid_id, major, at, lng, lat, (address or "").strip(), caller,
                              shown))
    return found


def disputes(since, until) -> list[Incident]:
    from wangge.mediation.models import Dispute

    rows = (Dispute.objects.filter(reported_at__gte=since, reported_at__lt=until, grid__isnull=False)
            .values_list("pk", "number", "grid_id", "type", "reported_at", "lng", "lat", "address"))
    return [Incident("dispute", pk, number, grid_id, kind, at, lng, lat, (address or "").strip())
            for pk, number, grid_id, kind, at, lng, lat, address in rows.iterator(2000)]


def alerts(since, until) -> list[Incident]:
    from wangge.sensing.models import Alert

    rows = (Alert.objects.filter(first_seen__gte=since, first_seen__lt=until)
            .annotate(d_lng=F("device__lng"), d_lat=F("device__lat"), b_lng=F("building__lng"),
                      b_lat=F("building__lat"))
            .values_list("pk", "grid_id", "type", "first_seen", "d_lng", "d_lat", "b_lng", "b_lat"))
    return [Incident("alert", pk, f"AL{pk}", grid_id, kind, at, d_lng if d_lng is not None else b_lng,
                     d_lat if d_lat is not None else b_lat)
            for pk, grid_id, kind, at, d_lng, d_lat, b_lng, b_lat in rows.iterator(2000)]


LOADERS = {"case": cases, "dispute": disputes, "alert": alerts}


def incidents(since, until, sources=("case", "dispute", "alert")) -> list[Incident]:
    found = []
    for source in sources:
        found += LOADERS[source](since, until)
    return found


def category_labels() -> dict:
    """{(source, category code): label} for every category a warning may name."""
    from wangge.cases.models import MajorCategory
    from wangge.mediation.models import DisputeType
    from wangge.sensing.models import AlertType

    labels = {("case", code): name for code, name in MajorCategory.objects.values_list("code", "name")}
    labels.update({("dispute", value): str(label) for value, label in DisputeType.choices})
    labels.update({("alert", value): str(label) for value, label in AlertType.choices})
    return labels


def category_codes() -> dict:
    """{source: set of category codes}: what the board's and the API's `category` may be."""
    from wangge.cases.models import MajorCategory
    from wangge.mediation.models import DisputeType
    from wangge.sensing.models import AlertType

    return {"case": set(MajorCategory.objects.values_list("code", flat=True)), "dispute": set(DisputeType.values),
            "alert": set(AlertType.values)}
