"""Access-card holders counted by category per area (e居通卡 持卡人分类统计): registered (户籍), floating (流动),
registered elsewhere, overseas (境外), care groups (关爱) and special groups (特殊) — the last only for readers
allowed to see special groups (`registry.view_special`). One row per child of the area and the total; two
grouped queries (holders by grid and kind, tagged holders by grid and group), rolled up in Python."""
from django.db.models import Count

from wangge.areas.models import Level, Region
from wangge.core.roles import can
from wangge.sensing.models import Card, CardState

KEYS = ("holders", "registered", "floating", "separated", "overseas", "care", "special")


def _blank() -> dict:
    return dict.fromkeys(KEYS, 0)


def holders(user, area: Region | None) -> tuple[list[tuple[Region, dict]], dict, bool]:
    """([(child, counts)], total, whether special groups are counted) for the user's view of `area`."""
    from wangge.registry.models import PersonTag, TagGroup

    area = area or user.scope_node
    cards = Card.objects.visible_to(user).filter(state=CardState.ACTIVE)
    if area is not None:
        cards = cards.filter(grid__path__startswith=area.path)
    per_grid: dict[int, dict] = {}
    for grid_id, kind, n in (cards.order_by().values_list("grid_id", "person__kind")
                             .annotate(n=Count("person_id", distinct=True))):
        row = per_grid.setdefault(grid_id, _blank())
        row["holders"] += n
        if kind in row:
            row[kind] += n
    special_shown = can(user, "registry.view_special")
    groups = [TagGroup.CARE] + ([TagGroup.SPECIAL] if special_shown else [])
    tagged = (PersonTag.objects.filter(person__in=cards.values("person_id"), tag__group__in=groups)
              .order_by().values_list("person__cards__grid_id", "tag__group")
              .annotate(n=Count("person_id", distinct=True)))
    for grid_id, group, n in tagged:
        if grid_id in per_grid:
            per_grid[grid_id][group] += n
    paths = dict(Region.objects.filter(pk__in=list(per_grid)).values_list("pk", "path"))
    if area is None or area.level == Level.GRID:
        children = [area] if area is not None else list(Region.objects.filter(level=Level.DISTRICT))
    else:
        children = list(area.children.order_by("code"))
    rows = [(child, _blank()) for child in children]
    total = _blank()
    for grid_id, counts in per_grid.items():
        for key in KEYS:
            total[key] += counts[key]
        for child, row in rows:
            if paths[grid_id].startswith(child.path):
                for key in KEYS:
                    row[key] += counts[key]
                break
    if not special_shown:
        total.pop("special")
        for _child, row in rows:
            row.pop("special")
    return rows, total, special_shown
