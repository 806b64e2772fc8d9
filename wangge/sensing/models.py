"""Sensing (感知): devices, access cards, door and gate events, rules, and the one alert model.

Every source of alerts (door controllers today; trackers, detectors and video analytics next) writes
`Alert` rows through `wangge.sensing.alerts.raise_alert`, which keeps one active alert per (type, source):
a repeat updates it (last seen, count) instead of raising another (ThingsBoard's alarm rule). An alert's
lifecycle is a table on the workflow engine (`workflow.py`); its timeline is `AlertEvent`.

Events are personal data (who passed which door when): scoped by the device's grid, card numbers masked,
kept for `WANGGE_EVENT_RETENTION_DAYS` (180) and then deleted by the worker. On PostgreSQL
`sensing_accessevent` is partitioned by month (migration 0002); on SQLite it is a plain table.
"""
from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from wangge.areas.models import Level, Region
from wangge.core.models import TimelineEvent
from wangge.core.scoping import ScopedQuerySet

GRID_ONLY = {"level": Level.GRID}


class SensingQuerySet(ScopedQuerySet):
    """Read by those who watch an area: operators, grid workers, administrators (`sensing.view`)."""

    permission = "sensing.view"

    def visible_to(self, user):
        from wangge.core.roles import can

        return super().visible_to(user) if can(user, self.permission) else self.none()


# --- devices ---------------------------------------------------------------------------------------


class DeviceKind(models.TextChoices):
    DOOR = "door", pgettext_lazy("device kind", "Door controller")
    GATE = "gate", pgettext_lazy("device kind", "Barrier gate")
    CAMERA = "camera", pgettext_lazy("device kind", "Camera")
    DETECTOR = "detector", pgettext_lazy("device kind", "Detector")
    TRACKER = "tracker", pgettext_lazy("device kind", "Tracker")
    SENSOR = "sensor", pgettext_lazy("device kind", "Other sensor")


class DeviceState(models.TextChoices):
    """The device's life (the connectivity is worked out from its last message: `connectivity`)."""

    IN_SERVICE = "in_service", pgettext_lazy("device state", "In service")
    MAINTENANCE = "maintenance", pgettext_lazy("device state", "Under maintenance")
    RETIRED = "retired", pgettext_lazy("device state", "Retired")


class CameraClass(models.TextChoices):
    # 武汉's three classes; 武侯 joins all three to its centres.
    PUBLIC_SECURITY = "public_security", pgettext_lazy("camera class", "Public security (天网)")
    COURTYARD = "courtyard", pgettext_lazy("camera class", "Courtyard / estate")
    SOCIAL = "social", pgettext_lazy("camera class", "Social (schools, hospitals, malls, hotels)")


class Connectivity(models.TextChoices):
    ONLINE = "online", pgettext_lazy("connectivity", "Online")
    UNKNOWN = "unknown", pgettext_lazy("connectivity", "Unknown")
    OFFLINE = "offline", pgettext_lazy("connectivity", "Offline")


class Device(models.Model):
    """A registered device, located in a grid (from its building, its place or its point)."""

    code = models.CharField(_("device code"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=DeviceKind.choices, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    building = models.ForeignKey("registry.Building", verbose_name=_("building"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="devices")
    place = models.ForeignKey("registry.Place", verbose_name=_("place"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="devices")
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    grid = models.ForeignKey(Region, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+",
                             limit_choices_to=GRID_ONLY)
    maintainer = models.CharField(_("owner / maintainer"), max_length=100, blank=True)
    installed_on = models.DateField(_("installed on"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=DeviceState.choices, default=DeviceState.IN_SERVICE)
    # Cameras (GB/T 28181): the class, days of recordings kept, the existing video platform's play URL.
    camera_class = models.CharField(_("camera class"), max_length=16, choices=CameraClass.choices, blank=True)
    storage_days = models.PositiveSmallIntegerField(_("storage (days)"), null=True, blank=True)
    play_url = models.URLField(_("play URL"), max_length=500, blank=True)
    # Connectivity: the last message, and a timeout overriding the kind's (WANGGE_DEVICE_TIMEOUTS).
    last_seen_at = models.DateTimeField(_("last message"), null=True, blank=True, db_index=True)
    # The first message ever: a door that started reporting an hour ago cannot say who has been silent for a day.
    first_seen_at = models.DateTimeField(_("first message"), null=True, blank=True)
    timeout_seconds = models.PositiveIntegerField(_("offline after (seconds)"), null=True, blank=True)
    offline_alerted = models.BooleanField(default=False)  # the device_offline alert is raised (poller's claim)
    # The device's credential: the HMAC of its token (`python -m wangge device_token CODE`).
    token_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    token_issued_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The same token as the MQTT broker checks it (Mosquitto's PBKDF2-SHA512 "$7$" line, made when the token is
    # issued: the token itself is kept nowhere): `python -m wangge mqtt_acl` writes the broker's password file.
    broker_hash = models.CharField(max_length=200, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    scope_path_field = "grid__path"
    objects = SensingQuerySet.as_manager()

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["kind", "code"]
        indexes = [models.Index(fields=["grid", "kind"])]

    def __str__(self):
        return f"{self.name} ({self.code})"


# --- access cards (e居通卡) --------------------------------------------------------------------------


class CardState(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("card state", "Active")
    SUSPENDED = "suspended", pgettext_lazy("card state", "Suspended")
    LOST = "lost", pgettext_lazy("card state", "Reported lost")
    REPLACED = "replaced", pgettext_lazy("card state", "Replaced")
    REVOKED = "revoked", pgettext_lazy("card state", "Revoked")


class Card(models.Model):
    """A real-name access card, issued to a registered person for the house they live in: valid on that
    building's doors while active. The number is the district's one scheme (`cards.make_number`)."""

    number = models.CharField(_("card number"), max_length=16, unique=True)
    person = models.ForeignKey("registry.Person", verbose_name=_("holder"), on_delete=models.PROTECT,
                               related_name="cards")
    house = models.ForeignKey("registry.House", verbose_name=_("house"), on_delete=models.PROTECT,
                              related_name="cards")
    building = models.ForeignKey("registry.Building", on_delete=models.PROTECT, related_name="cards")
    grid = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", limit_choices_to=GRID_ONLY)
    state = models.CharField(_("state"), max_length=16, choices=CardState.choices, default=CardState.ACTIVE,
                             db_index=True)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    issued_by = models.ForeignKey("core.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="replaced_by")
    state_changed_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    scope_path_field = "grid__path"
    objects = SensingQuerySet.as_manager()

    class Meta:
        verbose_name = _("access card")
        verbose_name_plural = _("access cards")
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["person", "state"]), models.Index(fields=["house", "state"])]

    def __str__(self):
        return self.number


# --- events ------------------------------------------------------------------------------------------


class Direction(models.TextChoices):
    IN = "in", pgettext_lazy("direction", "In")
    OUT = "out", pgettext_lazy("direction", "Out")


class AccessEventQuerySet(SensingQuerySet):
    permission = "sensing.view_events"


class AccessEvent(models.Model):
    """A door or gate event as the device sent it (`seq`, `ts`, card or plate, door, direction, granted,
    reason, alarm), with what it was resolved to (the card, its holder). One row per (device, seq, at):
    a retried or re-delivered event is stored once. The grid is the device's (events are scoped by it)."""

    id = models.BigAutoField(primary_key=True)
    device = models.ForeignKey(Device, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    seq = models.BigIntegerField()
    at = models.DateTimeField(db_index=True)
    received_at = models.DateTimeField(default=timezone.now)
    grid = models.ForeignKey(Region, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    card_number = models.CharField(max_length=32, blank=True)
    plate = models.CharField(max_length=16, blank=True)
    card = models.ForeignKey(Card, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    person = models.ForeignKey("registry.Person", null=True, on_delete=models.DO_NOTHING, db_constraint=False,
                               related_name="+")
    # Our own verdict on the card, whatever the controller decided (its list may be stale): "" valid here, or
    # unknown, malformed, lost, revoked, suspended, replaced, elsewhere (not valid on this building's doors).
    card_check = models.CharField(max_length=12, blank=True)
    door = models.CharField(max_length=32, blank=True)
    direction = models.CharField(max_length=3, choices=Direction.choices, blank=True)
    granted = models.BooleanField(null=True)
    reason = models.CharField(max_length=64, blank=True)
    alarm = models.CharField(max_length=16, blank=True)  # the controller's own: forced_open, held_open

    scope_path_field = "grid__path"
    objects = AccessEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [models.UniqueConstraint(fields=["device", "seq", "at"], name="accessevent_once")]
        indexes = [models.Index(fields=["device", "-at"]), models.Index(fields=["person", "-at"])]


class DeadLetter(models.Model):
    """A message that could not be taken (MQTT; HTTP answers 4xx instead), with the reason: nothing else
    changed, and the subscriber went on."""

    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    channel = models.CharField(max_length=8)  # mqtt, http
    topic = models.CharField(max_length=200, blank=True)
    device_code = models.CharField(max_length=64, blank=True)
    payload = models.TextField(blank=True)
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["-received_at", "-id"]


# --- rules and alerts --------------------------------------------------------------------------------


class AlertType(models.TextChoices):
    KEY_PERSON = "key_person", pgettext_lazy("alert type", "Key person passed a door")
    NO_ACTIVITY = "no_activity", pgettext_lazy("alert type", "No activity (elderly living alone)")
    UNKNOWN_CARD = "unknown_card", pgettext_lazy("alert type", "Unknown or invalid card")
    OVER_OCCUPANCY = "over_occupancy", pgettext_lazy("alert type", "Possible over-occupancy (群租)")
    DOOR_FORCED = "door_forced", pgettext_lazy("alert type", "Door forced or held open")
    DEVICE_OFFLINE = "device_offline", pgettext_lazy("alert type", "Device offline")


class Severity(models.TextChoices):
    CRITICAL = "critical", pgettext_lazy("severity", "Critical")
    MAJOR = "major", pgettext_lazy("severity", "Major")
    MINOR = "minor", pgettext_lazy("severity", "Minor")
    WARNING = "warning", pgettext_lazy("severity", "Warning")


SEVERITY_RANK = {Severity.CRITICAL: 0, Severity.MAJOR: 1, Severity.MINOR: 2, Severity.WARNING: 3}


class AlertRule(models.Model):
    """A rule as data: on or off, its thresholds and its alerts' severity, for an area (None: everywhere).
    The rule of the nearest area above an event's grid applies (`rules.rule_for`)."""

    type = models.CharField(_("alert type"), max_length=16, choices=AlertType.choices)
    region = models.ForeignKey(Region, verbose_name=_("area"), null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+")
    enabled = models.BooleanField(_("on"), default=True)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.MAJOR)
    params = models.JSONField(_("thresholds"), default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        constraints = [models.UniqueConstraint(fields=["type", "region"], name="alertrule_once_per_area"),
                       models.UniqueConstraint(fields=["type"], condition=models.Q(region__isnull=True),
                                               name="alertrule_once_everywhere")]


class AlertState(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("alert state", "Active")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("alert state", "Acknowledged")
    CLOSED = "closed", pgettext_lazy("alert state", "Closed")


OPEN_ALERT_STATES = (AlertState.ACTIVE, AlertState.ACKNOWLEDGED)
LATE_AFTER = timedelta(minutes=1)  # an alert received this much after it happened shows when it was received
CONTEXTS_KEY = "_contexts"  # among a title's params: those of its values that are message ids, with their msgctxt


class Resolution(models.TextChoices):
    TRUE = "true", pgettext_lazy("alert resolution", "True alarm")
    FALSE_ALARM = "false_alarm", pgettext_lazy("alert resolution", "False alarm")
    DUPLICATE = "duplicate", pgettext_lazy("alert resolution", "Duplicate")
    CASE = "case", pgettext_lazy("alert resolution", "Turned into a case")
    CLEARED = "cleared", pgettext_lazy("alert resolution", "Cleared by the source")


def title_text(message: str, params: dict) -> str:
    """An alert title in the active language: its message, and those of its values that are message ids."""
    contexts = params.get(CONTEXTS_KEY) or {}
    values = {k: pgettext(contexts[k], v) if k in contexts and isinstance(v, str) else v
              for k, v in params.items() if k != CONTEXTS_KEY}
    return gettext(message) % values


class AlertQuerySet(SensingQuerySet):
    def open(self):
        return self.filter(state__in=OPEN_ALERT_STATES)


class Alert(models.Model):
    """One alert, whatever raised it. `source` names what it is about ("device:12", "person:345",
    "house:67"): while an alert of a type is open for a source, a repeat updates it (`last_seen`, `count`)
    rather than raising another — a partial unique index holds that on both databases."""

    type = models.CharField(_("type"), max_length=16, choices=AlertType.choices, db_index=True)
    source = models.CharField(_("source"), max_length=64)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.MAJOR)
    grid = models.ForeignKey(Region, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+")
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="alerts")
    house = models.ForeignKey("registry.House", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    building = models.ForeignKey("registry.Building", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="alerts")
    title = models.CharField(_("title"), max_length=200)  # in the platform's language: exports, SMS, the timeline
    # The title's English message id and its values, so that a page shows it in its reader's language.
    title_message = models.CharField(max_length=200, blank=True)
    title_params = models.JSONField(default=dict, blank=True)
    details = models.JSONField(default=dict, blank=True)  # the numbers behind it
    # When the condition was first and last seen: the device's own time of the events (a door that uploads an
    # hour of buffered passes shows them at their hour), never later than when they reached the platform.
    first_seen = models.DateTimeField(_("first seen"), default=timezone.now)
    last_seen = models.DateTimeField(_("last seen"), default=timezone.now, db_index=True)
    # When the platform raised it: nobody could act before, so escalation and response times count from here.
    raised_at = models.DateTimeField(_("raised"), default=timezone.now)
    count = models.PositiveIntegerField(_("count"), default=1)
    state = models.CharField(_("state"), max_length=16, choices=AlertState.choices, default=AlertState.ACTIVE)
    version = models.PositiveIntegerField(default=1)
    assignee = models.ForeignKey("core.User", verbose_name=_("assigned to"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey("core.User", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey("core.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolution = models.CharField(_("resolution"), max_length=16, choices=Resolution.choices, blank=True)
    case = models.ForeignKey("cases.Case", verbose_name=_("case"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="alerts")
    # Escalation: not acknowledged within the rule's minutes, the level above is told (the poller's claim).
    escalated_at = models.DateTimeField(null=True, blank=True)
    welfare_step = models.PositiveSmallIntegerField(default=0)  # no_activity: 1 called, 2 visited, 3 contact

    scope_path_field = "grid__path"
    objects = AlertQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-last_seen", "-id"]
        constraints = [models.UniqueConstraint(fields=["type", "source"], condition=~models.Q(state="closed"),
                                               name="alert_one_open_per_source")]
        indexes = [models.Index(fields=["state", "-last_seen"]), models.Index(fields=["grid", "state"])]

    @property
    def received_late(self) -> bool:
        """Whether it reached the platform noticeably after it happened (a device's buffered upload): the page
        then shows when it was received as well."""
        return self.raised_at - self.first_seen > LATE_AFTER

    @property
    def shown_title(self) -> str:
        """The title in the active language (the reader's), made from its message and values; the stored title
        for alerts raised before titles kept their message, or when the message no longer fits its values."""
        if not self.title_message:
            return self.title
        try:
            return title_text(self.title_message, self.title_params)[:200]
        except (KeyError, TypeError, ValueError, AttributeError):
            return self.title

    def __str__(self):
        return self.title

    @property
    def number(self) -> str:
        return f"AL{self.pk}"


class AlertEvent(TimelineEvent):
    """One step of an alert's timeline (the workflow engine's event rows)."""

    append_only_message = "The alert timeline is append-only."

    alert = models.ForeignKey(Alert, on_delete=models.DO_NOTHING, db_constraint=False, related_name="events")
