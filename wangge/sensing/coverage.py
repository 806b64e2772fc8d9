"""一栋楼"三个一" coverage: for every building a building head (a resident or a member of the grid team),
networked door access (a door controller in service on it) and networked video with at least 30 days of
recordings (a camera in service on it); rental buildings (出租屋) counted apart, as 白云区 counts them.

`coverage(user, area)` answers one row per child of `area` (the user's own area by default) and a total, with
the buildings, the rental ones, and how many have each of the three and all three. Two queries: the buildings
with their three flags (EXISTS subqueries on the device table), grouped by grid; the grids are then rolled up
to the children in Python (a district has a few hundred grids).
"""
from dataclasses import dataclass, field

from django.db.models import BooleanField, Case, Count, Exists, OuterRef, Q, Value, When

from wangge.areas.models import Level, Region
from wangge.sensing.models import DeviceKind, DeviceState

MIN_STORAGE_DAYS = 30
LEVELS = [Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID]


def _devices(kind, **extra):
    from wangge.sensing.models import Device

    return Device.objects.filter(building=OuterRef("pk"), kind=kind, state=DeviceState.IN_SERVICE, **extra)


def with_flags(buildings):
    """Buildings annotated with has_head, has_door, has_video (the three)."""
    return buildings.annotate(
        has_door=Exists(_devices(DeviceKind.DOOR)),
        has_video=Exists(_devices(DeviceKind.CAMERA, storage_days__gte=MIN_STORAGE_DAYS)),
    )


@dataclass
class Row:
    region: Region | None
    buildings: int = 0
    rental: int = 0
    head: int = 0
    door: int = 0
    video: int = 0
    all_three: int = 0
    rental_all_three: int = 0
    grids: list = field(default_factory=list)

    def add(self, other: dict):
        for key in ("buildings", "rental", "head", "door", "video", "all_three", "rental_all_three"):
            setattr(self, key, getattr(self, key) + other[key])

    def share(self, key: str) -> float | None:
        return round(100 * getattr(self, key) / self.buildings, 1) if self.buildings else None

    @property
    def all_three_pct(self) -> float | None:
        return self.share("all_three")

    def as_dict(self) -> dict:
        data = {key: getattr(self, key) for key in ("buildings", "rental", "head", "door", "video", "all_three",
                                                    "rental_all_three")}
        data["shares"] = {key: self.share(key) for key in ("head", "door", "video", "all_three")}
        if self.region is not None:
            data.update(code=self.region.code, name=self.region.name, level=self.region.level)
        return data


def per_grid(buildings) -> dict[int, dict]:
    """grid id -> the counts of its buildings: one GROUP BY over (grid, rental, the three flags), at most 16
    groups per grid, summed here."""
    head = Case(When(Q(head__isnull=False) | Q(head_staff__isnull=False), then=Value(True)), default=Value(False),
                output_field=BooleanField())
    groups = (with_flags(buildings).annotate(has_head=head).order_by()
              .values_list("grid_id", "is_rental", "has_head", "has_door", "has_video").annotate(n=Count("id")))
    counts: dict[int, dict] = {}
    for grid_id, rental, has_head, has_door, has_video, n in groups:
        row = counts.setdefault(grid_id, dict.fromkeys(
            ("buildings", "rental", "head", "door", "video", "all_three", "rental_all_three"), 0))
        three = has_head and has_door and has_video
        for key, holds in (("buildings", True), ("rental", rental), ("head", has_head), ("door", has_door),
                           ("video", has_video), ("all_three", three), ("rental_all_three", three and rental)):
            if holds:
                row[key] += n
    return counts


def coverage(user, area: Region | None) -> tuple[list[Row], Row]:
    """(one row per child of `area`, the total). `area` must be one the user may see (the caller checked);
    None: the user's own node (everything for an administrator without one)."""
    from wangge.registry.models import Building

    area = area or user.scope_node
    buildings = Building.objects.visible_to(user)
    if area is not None:
        buildings = buildings.filter(grid__path__startswith=area.path)
    counts = per_grid(buildings)
    # Paths only: a region row carries its outline, and a district's grids' outlines are megabytes.
    grids = dict(Region.objects.filter(pk__in=list(counts)).values_list("pk", "path"))
    if area is None or area.level == Level.GRID:
        children = [area] if area is not None else list(Region.objects.filter(level=Level.DISTRICT))
    else:
        children = list(area.children.defer("polygon").order_by("code"))
    rows = [Row(child) for child in children]
    total = Row(area)
    for grid_id, row in counts.items():
        total.add(row)
        path = grids[grid_id]
        for child in rows:
            if path.startswith(child.region.path):
                child.add(row)
                break
    return rows, total
