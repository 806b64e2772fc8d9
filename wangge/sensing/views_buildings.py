"""一栋楼"三个一" coverage by area, and the building card (院落视图): a building's residents by category,
households, cards, doors, cameras, property company, head and open alerts on one page."""
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from wangge.areas.models import Region
from wangge.areas.picker import area_picker
from wangge.core.roles import can
from wangge.core.scoping import get_visible_or_404
from wangge.core.services import require
from wangge.core.staff import staff_labels
from wangge.sensing.connectivity import connectivity
from wangge.sensing.coverage import coverage
from wangge.sensing.models import Alert, Card, CardState, Device, DeviceKind


@login_required
@require_GET
def coverage_page(request):
    user = request.user
    require(user, "sensing.view")
    code = (request.GET.get("area") or "").strip()[:20]
    area = get_visible_or_404(Region.objects.all(), user, code=code) if code else None
    rows, total = coverage(user, area)
    return render(request, "sensing/coverage.html", {"rows": rows, "total": total, "picker": area_picker(user, area),
                                                     "area_query": "", "chosen_area": area})


def residents_by_category(user, building) -> dict:
    """Counts of the people living in the building by kind, and by care group (special groups only for readers
    allowed to see them)."""
    from wangge.registry.models import Person, PersonTag, TagGroup

    living = Person.objects.visible_to(user).filter(house__building=building, moved_out__isnull=True)
    kinds = {row["kind"]: row["n"] for row in living.order_by().values("kind").annotate(n=Count("id"))}
    tags = PersonTag.objects.visible_to(user).filter(person__in=living.values("pk"))
    if not can(user, "registry.view_special"):
        tags = tags.exclude(tag__group=TagGroup.SPECIAL)
    groups = list(tags.order_by().values("tag__name", "tag__group").annotate(n=Count("person_id", distinct=True))
                  .order_by("tag__group", "-n"))
    return {"total": sum(kinds.values()), "kinds": kinds, "groups": groups}


@login_required
@require_GET
def building_card(request, pk):
    from wangge.registry.models import Building, Household, PersonKind

    user = request.user
    require(user, "sensing.view")
    building = get_visible_or_404(Building.objects.select_related("grid__parent", "head", "head_staff"), user, pk=pk)
    now = timezone.now()
    devices = list(Device.objects.visible_to(user).filter(building=building).order_by("kind", "code"))
    for device in devices:
        device.connectivity = connectivity(device, now)
    cards = Card.objects.visible_to(user).filter(building=building)
    residents = residents_by_category(user, building)
    context = {
        "building": building,
        "head_staff": staff_labels(user, [building.head_staff]).get(building.head_staff_id) if building.head_staff_id
        else None,
        "residents": residents,
        "kinds": [(value, label, residents["kinds"].get(value, 0)) for value, label in PersonKind.choices],
        "households": Household.objects.visible_to(user).filter(house__building=building).count(),
        "cards_active": cards.filter(state=CardState.ACTIVE).count(),
        "cards_total": cards.count(),
        "doors": [d for d in devices if d.kind in (DeviceKind.DOOR, DeviceKind.GATE)],
        "cameras": [d for d in devices if d.kind == DeviceKind.CAMERA],
        "others": [d for d in devices if d.kind not in (DeviceKind.DOOR, DeviceKind.GATE, DeviceKind.CAMERA)],
        "alerts": list(Alert.objects.visible_to(user).open().filter(building=building).order_by("-last_seen")[:20]),
    }
    return render(request, "sensing/building.html", context)


@login_required
@require_GET
def holders_page(request):
    from wangge.sensing.holders import holders

    user = request.user
    require(user, "sensing.view")
    code = (request.GET.get("area") or "").strip()[:20]
    area = get_visible_or_404(Region.objects.all(), user, code=code) if code else None
    rows, total, special = holders(user, area)
    return render(request, "sensing/holders.html", {"rows": rows, "total": total, "special": special,
                                                    "picker": area_picker(user, area), "area_query": ""})
