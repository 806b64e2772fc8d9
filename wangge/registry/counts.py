"""Counts of base data under a region (人口、房屋统计) and the values of the map's layers.

Everything is counted over `visible_to(user)` querysets, so a user is only ever
told about what they may see, and a handful of aggregate queries answer for a
whole district (no per-grid or per-person loops).
"""
from django.db.models import Count, Exists, OuterRef, Q

from wangge.areas.models import Region
from wangge.core.roles import can
from wangge.core.services import require
from wangge.registry.models import (
    Building,
    House,
    Household,
    HouseUse,
    Person,
    PersonKind,
    PersonTag,
    Tag,
    TagGroup,
)

LAYERS = ("population", "floating", "care")
# The one map's special-group density: asked for by name, only by readers allowed to see special groups.
SPECIAL_LAYER = "special"


def visible_tag_groups(user) -> list[str]:
    """Special groups (社区矫正、吸毒…) only for roles that need them."""
    return [TagGroup.CARE, TagGroup.SPECIAL] if can(user, "registry.view_special") else [TagGroup.CARE]


def _under(queryset, user, region: Region, path_field: str = "grid__path"):
    return queryset.visible_to(user).filter(**{f"{path_field}__startswith": region.path})


def population_counts(user, region: Region, layers=()) -> dict:
    """People by kind and by tag, houses by use, rented houses and who lives in them; with `layers`, also
    "layers": {layer: {child region code: value}} for the map (the same pass over the area's people)."""
    totals, by_child = _people_pass(user, region, layers)
    houses = _under(House.objects, user, region).aggregate(
        total=Count("id"), **{f"use_{use}": Count("id", filter=Q(use=use)) for use in HouseUse.values})
    # (person, tag) is unique, so counting rows counts people: no DISTINCT (a sort of every tag row).
    tagged = dict(_under(PersonTag.objects, user, region, "person__grid__path")
                  .values_list("tag_id").annotate(n=Count("person_id")).order_by())
    tags = Tag.objects.filter(group__in=visible_tag_groups(user)).order_by("group", "code")
    counts = {
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "people": totals["total"],
        "by_kind": {kind: totals[f"kind_{kind}"] for kind in PersonKind.values},
        "by_tag": [{"code": t.code, "name": t.name, "label": t.label, "group": t.group, "people": tagged.get(t.pk, 0)}
                   for t in tags],
        "households": _under(Household.objects, user, region).count(),
        "buildings": _under(Building.objects, user, region).count(),
        "houses": houses["total"],
        "houses_by_use": {use: houses[f"use_{use}"] for use in HouseUse.values},
        "rented_houses": houses[f"use_{HouseUse.RENTED}"],
        "people_in_rented_houses": totals["in_rented"],
    }
    if layers:
        counts["layers"] = by_child
    return counts


def _layer_filter(user, layer: str):
    """Which people a map layer counts, as a filter on the people of an area (None: all of them)."""
    if layer == "population":
        return None
    if layer == "floating":
        return Q(kind=PersonKind.FLOATING)
    if layer == "care":
        # The people counted are already the user's; care tags are not special, so no scope inside: a scoped
        # subquery joined every person of the area once more.
        return Exists(PersonTag.objects.filter(person=OuterRef("pk"), tag__group=TagGroup.CARE))
    if layer == SPECIAL_LAYER:
        # Special groups (社区矫正、吸毒…) only for readers allowed to see them; a density per area, never a person.
        require(user, "registry.view_special")
        return Exists(PersonTag.objects.filter(person=OuterRef("pk"), tag__group=TagGroup.SPECIAL))
    raise ValueError(f"unknown layer {layer!r}; one of {', '.join((*LAYERS, SPECIAL_LAYER))}")


def population_by_child(user, region: Region, layer: str = "population") -> dict[str, int]:
    """{child region code: value} for the children of `region` the user may see (a grid has none)."""
    return layers_by_child(user, region, (layer,))[layer]


def layers_by_child(user, region: Region, layers=LAYERS) -> dict[str, dict[str, int]]:
    """{layer: {child region code: value}} for the children of `region` the user may see."""
    return _people_pass(user, region, layers)[1]


def _people_pass(user, region: Region, layers) -> tuple[dict, dict[str, dict[str, int]]]:
    """One pass over the people of the area: (totals by kind and in rented houses, {layer: {child: value}}).

    People are counted per grid (a hash aggregate on an integer, ~550 rows for a district) and the grids are
    added up into the child region that holds them and into the totals here: one pass over the area's people,
    not one for the totals and one per layer, and no sort of a hundred thousand path strings.
    """
    counts = {
        "total": Count("id"),
        "in_rented": Count("id", filter=Q(house__use=HouseUse.RENTED)),
        **{f"kind_{kind}": Count("id", filter=Q(kind=kind)) for kind in PersonKind.values},
        **{f"n_{layer}": Count("id", filter=_layer_filter(user, layer)) for layer in layers},
    }
    children = set(Region.objects.visible_to(user).filter(parent=region).values_list("code", flat=True))
    values = {layer: dict.fromkeys(sorted(children), 0) for layer in layers}
    totals = dict.fromkeys(counts, 0)
    start = len(region.path)
    # Grouped by the grid's id alone: with its path too, PostgreSQL expected a group per person and sorted them.
    rows = list(_under(Person.objects, user, region).values("grid_id").annotate(**counts).order_by())
    paths = dict(Region.objects.filter(pk__in=[row["grid_id"] for row in rows]).values_list("pk", "path"))
    for row in rows:
        for name in totals:
            totals[name] += row[name]
        child = paths[row["grid_id"]][start:].split("/", 1)[0]  # the path segment after the region's own
        if child in children:
            for layer in layers:
                values[layer][child] += row[f"n_{layer}"]
    return totals, values
