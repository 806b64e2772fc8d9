"""Reading assessments as the user may: the records behind a score (drill-down rows with their pages), the year's
best grid workers (十佳网格员). Everything through `visible_to`."""
from collections import defaultdict
from decimal import Decimal

from django.urls import reverse

from wangge.insight.assessment.models import PeriodState, Score, TargetType
from wangge.insight.assessment.rules import quantize

# 十佳网格员: the ten best mean scores over the year's finalised months; fewer months assessed are listed, not ranked.
TOP = 10
MIN_MONTHS = 6


def record_rows(user, drill: list[tuple]) -> list[dict]:
    """[(kind, id, counted)] → rows with a number, a title and a link to the record's own page when the user may open
    it (a record outside their area is named by its kind and id only)."""
    from wangge.cases.models import Case
    from wangge.insight.assessment.models import SpotCheck
    from wangge.mediation.models import Dispute
    from wangge.registry.models import Person
    from wangge.sensing.models import Alert

    by_kind = defaultdict(list)
    for kind, pk, _counted in drill:
        by_kind[kind].append(pk)
    found = {}
    sources = {
        "case": (Case, lambda c: (c.number, c.title), "cases:detail"),
        "dispute": (Dispute, lambda d: (d.number, d.title), "mediation:detail"),
        "person": (Person, lambda p: (str(p.pk), p.name), "person"),
        "alert": (Alert, lambda a: (a.number, a.title), "sensing:alert"),
    }
    for kind, ids in by_kind.items():
        if kind == "spot_check":
            for check in SpotCheck.objects.filter(pk__in=ids).prefetch_related("evidence"):
                photos = list(check.evidence.all())
                url = reverse("assessment:evidence", args=[photos[0].pk]) if photos else ""
                found[(kind, check.pk)] = (f"{check.score}", check.note[:80], url)
            continue
        model, describe, url_name = sources[kind]
        visible = model.objects.visible_to(user) if user is not None else model.objects.all()
        for record in visible.filter(pk__in=ids):
            number, title = describe(record)
            found[(kind, record.pk)] = (number, title, reverse(url_name, args=[record.pk]))
    rows = []
    for kind, pk, counted in drill:
        number, title, url = found.get((kind, pk), (f"#{pk}", "", ""))
        rows.append({"kind": kind, "id": pk, "number": number, "title": title, "url": url, "counted": counted})
    return rows


def top_grid_workers(user, year: int) -> list[dict]:
    """The year's grid workers by mean score over the finalised months the user sees; the first TOP with at least
    MIN_MONTHS months are 十佳."""
    scores = (Score.objects.visible_to(user).filter(target_type=TargetType.GRID_WORKER,
                                                    period__state=PeriodState.FINALISED, period__start__year=year,
                                                    total__isnull=False)
              .values("user_id", "label", "target_path", "total"))
    by_user = {}
    for row in scores:
        entry = by_user.setdefault(row["user_id"], {"user_id": row["user_id"], "label": row["label"], "totals": []})
        entry["totals"].append(row["total"])
    rows = []
    for entry in by_user.values():
        mean = quantize(sum(entry["totals"], Decimal(0)) / len(entry["totals"]))
        rows.append({"user_id": entry["user_id"], "label": entry["label"], "months": len(entry["totals"]),
                     "mean": mean, "rank": None, "top": False})
    rows.sort(key=lambda r: (-r["mean"], -r["months"], r["label"]))
    rank = 0
    for row in rows:
        if row["months"] >= MIN_MONTHS:
            rank += 1
            row["rank"], row["top"] = rank, rank <= TOP
    return rows
