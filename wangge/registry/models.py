"""Base data on people and houses (人、地、物、组织), located to grids.

Everything here is scoped by the grid it sits in (`grid__path`). Buildings are
located from their coordinates; houses, households and people take the grid of
the building they are in, so a grid worker's area is one index lookup away.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from wangge.areas.models import Level, Region
from wangge.core.fields import EncryptedCharField
from wangge.core.scoping import ScopedQuerySet
from wangge.registry.codes import ETHNICITY_CHOICES, tag_label

GRID_ONLY = {"level": Level.GRID}


class RegistryQuerySet(ScopedQuerySet):
    """Base data is read by those who keep it: operators, grid workers, administrators.
    Mediators and department handlers reach a person only through their own work
    (a dispute's parties, a dispatched case), never by browsing the registry."""

    def visible_to(self, user):
        from wangge.core.roles import can

        return super().visible_to(user) if can(user, "registry.view") else self.none()


class GridScoped(models.Model):
    grid = models.ForeignKey(Region, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+",
                             limit_choices_to=GRID_ONLY)
    scope_path_field = "grid__path"
    objects = RegistryQuerySet.as_manager()

    class Meta:
        abstract = True


class Located(GridScoped):
    address = models.CharField(_("address"), max_length=200)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)

    class Meta:
        abstract = True


class Building(Located):
    """楼栋."""

    name = models.CharField(_("name"), max_length=60)
    floors = models.PositiveSmallIntegerField(_("floors"), default=1)
    units = models.PositiveSmallIntegerField(_("units"), default=1)
    head = models.ForeignKey("Person", verbose_name=_("building head"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="headed_buildings")
    has_electronic_door = models.BooleanField(_("electronic door"), default=False)
    # 一栋楼"三个一": the head may be a resident (head) or a member of the grid team (head_staff).
    head_staff = models.ForeignKey("areas.GridTeamMember", verbose_name=_("building head (grid team)"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="headed_buildings")
    is_rental = models.BooleanField(_("rental building"), default=False)
    property_company = models.CharField(_("property company"), max_length=100, blank=True)
    # History is read one record at a time (by id): the other indexes would only slow every write,
    # a bulk import's most of all.
    history = HistoricalRecords(no_db_index=["grid", "head", "head_staff"])

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["grid", "name"]

    def __str__(self):
        return f"{self.address} {self.name}"


class HouseUse(models.TextChoices):
    OWNER_OCCUPIED = "owner", _("Owner-occupied")
    RENTED = "rented", _("Rented")
    VACANT = "vacant", _("Vacant")
    BUSINESS = "business", _("Business")
    OTHER = "other", _("Other")


class House(GridScoped):
    """房屋: one dwelling in a building."""

    building = models.ForeignKey(Building, verbose_name=_("building"), on_delete=models.PROTECT, related_name="houses")
    unit = models.CharField(_("unit"), max_length=8, blank=True)
    number = models.CharField(_("number"), max_length=16)
    area = models.DecimalField(_("area (m²)"), max_digits=8, decimal_places=2, null=True, blank=True)
    use = models.CharField(_("use"), max_length=16, choices=HouseUse.choices, default=HouseUse.OWNER_OCCUPIED)
    owner = models.ForeignKey("Person", verbose_name=_("owner"), null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="owned_houses")
    history = HistoricalRecords(no_db_index=["grid", "building", "owner"])

    class Meta:
        verbose_name = _("house")
        verbose_name_plural = _("houses")
        ordering = ["building", "unit", "number"]
        constraints = [models.UniqueConstraint(fields=["building", "unit", "number"], name="house_unique_in_building")]

    def __str__(self):
        unit = f"{self.unit}单元" if self.unit else ""
        return f"{self.building.name}{unit}{self.number}"


class Household(GridScoped):
    """户: the people living together in a house, with a head."""

    house = models.ForeignKey(House, verbose_name=_("house"), on_delete=models.PROTECT, related_name="households")
    head = models.ForeignKey("Person", verbose_name=_("head of household"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="headed_households")
    history = HistoricalRecords(no_db_index=["grid", "house", "head"])

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self):
        return f"{self.house} 户" + (f"（户主 {self.head.name}）" if self.head_id else "")


class PersonKind(models.TextChoices):
    REGISTERED = "registered", _("Registered resident (户籍)")
    FLOATING = "floating", _("Floating (流动)")
    OVERSEAS = "overseas", _("Overseas (境外)")
    SEPARATED = "separated", _("Registered elsewhere (人户分离)")


class Relation(models.TextChoices):
    HEAD = "head", _("Head")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    GRANDPARENT = "grandparent", _("Grandparent")
    SIBLING = "sibling", _("Sibling")
    TENANT = "tenant", _("Tenant")
    OTHER = "other", _("Other")


class PersonQuerySet(RegistryQuerySet):
    def with_id_number(self, number: str):
        from wangge.core.crypto import lookup_hash

        return self.filter(id_hash=lookup_hash(number))

    def with_phone(self, phone: str):
        from wangge.core.crypto import lookup_hash

        return self.filter(phone_hash=lookup_hash(phone))


class Person(models.Model):
    """实有人口. The ID number and phone are encrypted; found by keyed hash; shown masked."""

    name = models.CharField(_("name"), max_length=50, db_index=True)
    id_number = EncryptedCharField(_("ID number"))
    id_hash = models.CharField(max_length=64, unique=True, editable=False)
    id_tail = models.CharField(_("last 4 of ID"), max_length=4, db_index=True, editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=[("M", _("Male")), ("F", _("Female"))], editable=False)
    birth_date = models.DateField(_("birth date"), editable=False)
    ethnicity = models.CharField(_("ethnicity"), max_length=2, choices=ETHNICITY_CHOICES, default="01")
    phone = EncryptedCharField(_("phone"), blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=PersonKind.choices, default=PersonKind.REGISTERED)
    # Where they live now; null once they have moved out of the district.
    house = models.ForeignKey(House, verbose_name=_("lives in"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="residents")
    household = models.ForeignKey(Household, verbose_name=_("household"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="members")
    relation = models.CharField(_("relation to head"), max_length=16, choices=Relation.choices, blank=True)
    grid = models.ForeignKey(Region, verbose_name=_("grid"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", limit_choices_to=GRID_ONLY)
    moved_in = models.DateField(_("moved in"), null=True, blank=True)
    moved_out = models.DateField(_("moved out"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["id_hash", "phone_hash", "updated_at"],
                                no_db_index=["name", "id_tail", "grid", "house", "household"])

    objects = PersonQuerySet.as_manager()
    scope_path_field = "grid__path"

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class Residence(GridScoped):
    """Where a person lived and when (居住史). The open row (moved_out null) is the current one."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="residences")
    house = models.ForeignKey(House, on_delete=models.PROTECT, related_name="+")
    moved_in = models.DateField(_("moved in"))
    moved_out = models.DateField(_("moved out"), null=True, blank=True)

    class Meta:
        verbose_name = _("residence")
        verbose_name_plural = _("residence history")
        ordering = ["person", "moved_in", "id"]


class TagGroup(models.TextChoices):
    CARE = "care", _("Care group (关爱人群)")
    SPECIAL = "special", _("Special group (特殊人群)")


class Tag(models.Model):
    """A care or special group (GB/T 31000-2015 9+X), with how often its people are visited."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    group = models.CharField(_("group"), max_length=16, choices=TagGroup.choices)
    visit_every_days = models.PositiveSmallIntegerField(_("visit every (days)"), null=True, blank=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["group", "code"]

    def __str__(self):
        return self.name

    @property
    def is_special(self) -> bool:
        return self.group == TagGroup.SPECIAL

    @property
    def label(self) -> str:
        """The name a page shows: a default group's in the reader's language (codes.DEFAULT_TAGS)."""
        return tag_label(self.code, self.name)


class PersonTagQuerySet(RegistryQuerySet):
    def scope_q(self, prefix):
        return models.Q(person__grid__path__startswith=prefix)

    def visible_to(self, user):
        from wangge.core.roles import can

        tags = super().visible_to(user)
        return tags if can(user, "registry.view_special") else tags.exclude(tag__group=TagGroup.SPECIAL)


class PersonTag(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="tags")
    tag = models.ForeignKey(Tag, on_delete=models.PROTECT, related_name="+")
    since = models.DateField(_("since"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = PersonTagQuerySet.as_manager()
    scope_path_field = "person__grid__path"

    class Meta:
        verbose_name = _("person tag")
        verbose_name_plural = _("person tags")
        constraints = [models.UniqueConstraint(fields=["person", "tag"], name="person_tag_once")]


class Visit(GridScoped):
    """入户走访: a grid worker's visit to a person (and their household)."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="visits")
    worker = models.ForeignKey("core.User", verbose_name=_("visited by"), on_delete=models.PROTECT, related_name="+")
    visited_at = models.DateTimeField(_("visited at"), db_index=True)
    lng = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    # False when the recorded position was outside the person's grid (kept, but flagged).
    in_grid = models.BooleanField(_("position in grid"), null=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_at"]
        indexes = [models.Index(fields=["person", "-visited_at"])]


class VisitSchedule(models.Model):
    """When a tagged person is next due a visit, kept by the operations that tag, untag and visit (and by
    `registry.due.refresh_schedules`): the due list reads an index range instead of grouping every tagged person
    of the area with their latest visit on each request.

    Two clocks, because the frequency is the shortest among the tags the reader may see: care groups only, or
    care and special groups. A person has a row while at least one of their tags has a frequency; a clock with no
    start (never visited, a tag without `since`) runs from the day the row was computed."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, primary_key=True, related_name="schedule")
    every_care = models.PositiveSmallIntegerField(null=True)  # null: no care tag with a frequency
    due_care = models.DateField(null=True)
    every_all = models.PositiveSmallIntegerField()
    due_all = models.DateField()
    last_visit = models.DateTimeField(null=True)

    class Meta:
        indexes = [models.Index(fields=["due_care"]), models.Index(fields=["due_all"])]


class VisitPhoto(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="visits/%Y/%m/")


class OrganisationKind(models.TextChoices):
    NON_PUBLIC_ECONOMIC = "non_public_economic", _("Non-public economic organisation (非公有制经济组织)")
    SOCIAL = "social", _("Social organisation (社会组织)")


class Organisation(Located):
    name = models.CharField(_("name"), max_length=100)
    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=OrganisationKind.choices)
    legal_person = models.CharField(_("legal representative"), max_length=50, blank=True)
    staff_count = models.PositiveIntegerField(_("staff"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self):
        return self.name


class PlaceKind(models.TextChoices):
    SCHOOL = "school", _("School")
    HOSPITAL = "hospital", _("Hospital")
    MARKET = "market", _("Market")
    STATION = "station", _("Station")
    HOTEL = "hotel", _("Hotel")
    ENTERTAINMENT = "entertainment", _("Entertainment venue")
    RELIGIOUS = "religious", _("Religious site")
    OTHER = "other", _("Other")


class Place(Located):
    """重点场所."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=32, choices=PlaceKind.choices)
    contact_name = models.CharField(_("contact"), max_length=50, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Vehicle(GridScoped):
    plate = models.CharField(_("number plate"), max_length=10, unique=True)
    owner = models.ForeignKey(Person, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="vehicles")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")

    def __str__(self):
        return self.plate
