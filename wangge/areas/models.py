"""The region tree: province → city → district → street → community → grid."""
from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.core.fields import EncryptedCharField
from wangge.core.scoping import ScopedQuerySet


class Level(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    COMMUNITY = "community", _("Community")
    GRID = "grid", _("Grid")


# 统计用区划代码 lengths; a grid is its community's 12 digits + a 3-digit sequence.
CODE_LENGTH = {
    Level.PROVINCE: 2,
    Level.CITY: 4,
    Level.DISTRICT: 6,
    Level.STREET: 9,
    Level.COMMUNITY: 12,
    Level.GRID: 15,
}
LEVEL_ORDER = list(CODE_LENGTH)
PARENT_LEVEL = {child: parent for parent, child in zip(LEVEL_ORDER, LEVEL_ORDER[1:])}


def child_level(level: str) -> str | None:
    i = LEVEL_ORDER.index(level)
    return LEVEL_ORDER[i + 1] if i + 1 < len(LEVEL_ORDER) else None


def make_path(parent_path: str | None, code: str) -> str:
    return f"{parent_path or '/'}{code}/"


class RegionQuerySet(ScopedQuerySet):
    def grids(self):
        return self.filter(level=Level.GRID)


class Region(models.Model):
    """A node of the tree. Grids are regions at level `grid`."""

    code = models.CharField(_("code"), max_length=15, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, db_index=True)
    parent = models.ForeignKey("self", verbose_name=_("parent"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    # "/51/5101/510107/": one index-friendly prefix answers "is this inside that?".
    path = models.CharField(_("path"), max_length=120, unique=True, editable=False)
    polygon = models.JSONField(_("boundary (GeoJSON, WGS-84)"), null=True, blank=True)
    households = models.PositiveIntegerField(_("households"), null=True, blank=True)
    center_lng = models.FloatField(null=True, blank=True, editable=False)
    center_lat = models.FloatField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RegionQuerySet.as_manager()
    scope_path_field = "path"

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["level", "path"]),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def is_grid(self) -> bool:
        return self.level == Level.GRID

    def ancestors_and_self(self):
        """The whole path as Region rows, top first (one query)."""
        codes = [c for c in self.path.split("/") if c]
        by_code = {r.code: r for r in Region.objects.filter(code__in=codes)}
        return [by_code[c] for c in codes if c in by_code]


class Grid(Region):
    """Proxy for regions at grid level, for admin and type hints."""

    class Meta:
        proxy = True
        verbose_name = _("grid")
        verbose_name_plural = _("grids")


class TeamRole(models.TextChoices):
    # 一长一员五长N志愿者
    GRID_LEADER = "grid_leader", _("Grid leader (网格长)")
    GRID_WORKER = "grid_worker", _("Grid worker (网格员)")
    PARTY_LEADER = "party_leader", _("Party group leader (党小组长)")
    COUNCIL_HEAD = "council_head", _("Council head (议事长)")
    SUPERVISOR_HEAD = "supervisor_head", _("Supervision head (监事长)")
    POLICE_HEAD = "police_head", _("Police head (警长)")
    VOLUNTEER = "volunteer", _("Volunteer (志愿者)")


class TeamMemberQuerySet(ScopedQuerySet):
    pass


class GridTeamMember(models.Model):
    """A member of a grid's team; a staff user when they log in, or just a name and phone."""

    grid = models.ForeignKey(Region, verbose_name=_("grid"), on_delete=models.CASCADE, related_name="team",
                             limit_choices_to={"level": Level.GRID})
    role = models.CharField(_("team role"), max_length=32, choices=TeamRole.choices)
    name = models.CharField(_("name"), max_length=50)
    phone = EncryptedCharField(_("phone"), blank=True)
    user = models.ForeignKey("core.User", verbose_name=_("staff user"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="team_memberships")

    objects = TeamMemberQuerySet.as_manager()
    scope_path_field = "grid__path"

    class Meta:
        verbose_name = _("grid team member")
        verbose_name_plural = _("grid team members")
        ordering = ["grid", "role", "id"]

    def __str__(self):
        return f"{self.get_role_display()} {self.name}"
