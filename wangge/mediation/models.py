"""Disputes (矛盾纠纷): one ledger (一本账), the committees and mediators who settle them, sessions,
agreements, judicial confirmation, court referrals (诉源治理) and petition matters (信访包案).

State changes go through `wangge.mediation.services` (the table in `workflow.py`), never through save().
"""
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from wangge.core.crypto import lookup_hash
from wangge.core.fields import EncryptedCharField
from wangge.core.models import TimelineEvent
from wangge.core.scoping import ScopedQuerySet


class DisputeType(models.TextChoices):
    MARRIAGE_FAMILY = "marriage_family", _("Marriage and family")
    NEIGHBOUR = "neighbour", _("Neighbours")
    PROPERTY_MANAGEMENT = "property_management", _("Property management")
    LABOUR = "labour", _("Labour and wages")
    HOUSING_LAND = "housing_land", _("Housing and land")
    MEDICAL = "medical", _("Medical")
    TRAFFIC = "traffic", _("Traffic accident")
    CONSUMER = "consumer", _("Consumer")
    DEMOLITION = "demolition", _("Land requisition and demolition")
    MILITARY = "military", _("Military-related")
    ETHNIC = "ethnic", _("Ethnic")
    OTHER = "other", _("Other")


class Source(models.TextChoices):
    # 三捕三捉: the channels disputes are found through (排查发现) ...
    MEDIATION_PLATFORM = "mediation_platform", pgettext_lazy("dispute source", "Mediation platform")
    POLICE = "police", pgettext_lazy("dispute source", "Police call-out")
    HOTLINE_12345 = "hotline_12345", pgettext_lazy("dispute source", "12345 work order")
    PUBLIC_OPINION = "public_opinion", pgettext_lazy("dispute source", "Public opinion")
    GRID = "grid", pgettext_lazy("dispute source", "Grid patrol")
    FIXED_POINT = "fixed_point", pgettext_lazy("dispute source", "Fixed point")
    DEPARTMENT = "department", pgettext_lazy("dispute source", "Department line")
    # ... and the ones that bring a dispute to mediation without anyone looking for it.
    COURT = "court", pgettext_lazy("dispute source", "Court referral")
    CITIZEN = "citizen", pgettext_lazy("dispute source", "Citizen self-report")
    PETITION = "petition", pgettext_lazy("dispute source", "Petition")


# 排查发现: the sources whose disputes count as "found" in the ledger's measures (docs/mediation-measures.md).
FOUND_SOURCES = frozenset({Source.MEDIATION_PLATFORM, Source.POLICE, Source.HOTLINE_12345, Source.PUBLIC_OPINION,
                           Source.GRID, Source.FIXED_POINT, Source.DEPARTMENT})


class Level(models.TextChoices):
    """Where a dispute is settled: 小事不出社区、中事不出街道、大事不出区; industry committees beside them."""

    COMMUNITY = "community", pgettext_lazy("dispute level", "Community")
    STREET = "street", pgettext_lazy("dispute level", "Street")
    DISTRICT = "district", pgettext_lazy("dispute level", "District")
    INDUSTRY = "industry", pgettext_lazy("dispute level", "Industry committee")


# 逐级: where a level that cannot settle a dispute sends it. District and industry committees have no level above.
NEXT_LEVEL = {Level.COMMUNITY: Level.STREET, Level.STREET: Level.DISTRICT}


class Risk(models.TextChoices):
    LOW = "low", pgettext_lazy("dispute risk", "Low")
    MEDIUM = "medium", pgettext_lazy("dispute risk", "Medium")
    HIGH = "high", pgettext_lazy("dispute risk", "High")


class CommitteeKind(models.TextChoices):
    PEOPLES = "peoples", _("People's mediation committee")
    INDUSTRY = "industry", _("Industry mediation committee")
    ADMINISTRATIVE = "administrative", _("Administrative mediation")
    JUDICIAL = "judicial", _("Judicial mediation (court)")
    # 多元化解办公室 (多调办): receives court referrals and routes them to the right committee.
    OFFICE = "office", _("Multi-party mediation office")


class Committee(models.Model):
    """调解组织: a people's mediation committee at a community, street or the district, an industry committee
    (医调委, 交调委, 婚调委, 商调委, 物业, 寄递物流, 少数民族), or the district's 多调办."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=CommitteeKind.choices, default=CommitteeKind.PEOPLES)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    region = models.ForeignKey("areas.Region", verbose_name=_("region"), on_delete=models.PROTECT,
                               related_name="committees")
    # Dispute types an industry committee takes (empty: any).
    dispute_types = models.JSONField(_("dispute types"), default=list, blank=True)
    phone = models.CharField(_("public phone"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "region__path"

    class Meta:
        verbose_name = _("mediation committee")
        verbose_name_plural = _("mediation committees")
        ordering = ["level", "name"]

    def __str__(self):
        return self.name

    @property
    def label(self) -> str:
        """The name, with the area it serves when the name does not say it: many committees are called just
        人民调解委员会, and two alike in one list could not be told apart. Read with select_related("region")."""
        area = self.region.name if self.region_id else ""
        if not area or area in self.name:
            return self.name
        return gettext("%(name)s (%(area)s)") % {"name": self.name, "area": area}

    def takes(self, dispute_type: str) -> bool:
        return not self.dispute_types or dispute_type in self.dispute_types


class Mediator(models.Model):
    """调解员: a member of the pool, with expertise, languages and the committees served.

    `user` is the account a mediator logs in with (Role.MEDIATOR); a pool member without an account can still
    be chosen and recorded. Their record (cases, success rate, ratings) is computed from the ledger.
    """

    user = models.OneToOneField("core.User", verbose_name=_("account"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="mediator")
    name = models.CharField(_("name"), max_length=50)
    phone = EncryptedCharField(_("phone"), blank=True)
    region = models.ForeignKey("areas.Region", verbose_name=_("region"), on_delete=models.PROTECT,
                               related_name="mediators")
    expertise = models.JSONField(_("expertise (dispute types)"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    committees = models.ManyToManyField(Committee, through="Membership", related_name="mediators",
                                        verbose_name=_("committees"))
    title = models.CharField(_("title"), max_length=50, blank=True)  # 专职/兼职, 律师, 退休法官 …
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "region__path"

    class Meta:
        verbose_name = _("mediator")
        verbose_name_plural = _("mediators")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class MemberRole(models.TextChoices):
    CHAIR = "chair", pgettext_lazy("committee membership", "Chair")
    MEMBER = "member", pgettext_lazy("committee membership", "Member")


class Membership(models.Model):
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="memberships")
    mediator = models.ForeignKey(Mediator, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=MemberRole.choices, default=MemberRole.MEMBER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["committee", "mediator"], name="mediation_membership_once")]


class State(models.TextChoices):
    REGISTERED = "registered", pgettext_lazy("dispute state", "Registered")
    ACCEPTED = "accepted", pgettext_lazy("dispute state", "Accepted")
    MEDIATING = "mediating", pgettext_lazy("dispute state", "Mediating")
    AGREED = "agreed", pgettext_lazy("dispute state", "Agreement reached")
    FAILED = "failed", pgettext_lazy("dispute state", "Failed")
    WITHDRAWN = "withdrawn", pgettext_lazy("dispute state", "Withdrawn")


CLOSED_STATES = frozenset({State.AGREED, State.FAILED, State.WITHDRAWN})
OPEN_STATES = frozenset(set(State.values) - CLOSED_STATES)


class DisputeQuerySet(ScopedQuerySet):
    def visible_to(self, user):
        """Region staff see their area's disputes by path. A mediator sees only what is assigned to them or to a
        committee they serve; a court's handler sees the disputes their court referred."""
        from wangge.core.scoping import scope_prefix

        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.role == "mediator" and not user.is_superuser:
            mediator = Mediator.objects.filter(user=user).first()
            if mediator is None:
                return self.none()
            return self.filter(models.Q(mediator=mediator) | models.Q(committee__memberships__mediator=mediator)
                               ).distinct()
        if user.role == "department_handler" and not user.is_superuser:
            if not user.department_id:
                return self.none()
            return self.filter(models.Q(referral__court_id=user.department_id)
                               | models.Q(agreement__confirmation_court_id=user.department_id))
        if scope_prefix(user) is None:
            return self.none()
        return super().visible_to(user)


class Dispute(models.Model):
    """矛盾纠纷: one entry of the ledger, from the first signal to a kept agreement."""

    number = models.CharField(_("number"), max_length=24, unique=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    type = models.CharField(_("type"), max_length=24, choices=DisputeType.choices)
    source = models.CharField(_("source"), max_length=24, choices=Source.choices)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.REGISTERED)
    # The region the dispute belongs to for scoping: its grid when located, else the level's region (a court
    # referral may name only a street). `grid` is set only when a point or a grid was given.
    region = models.ForeignKey("areas.Region", verbose_name=_("region"), on_delete=models.PROTECT,
                               related_name="disputes")
    grid = models.ForeignKey("areas.Region", verbose_name=_("grid"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="grid_disputes")
    lng = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    amount = models.DecimalField(_("amount in dispute (yuan)"), max_digits=14, decimal_places=2, null=True,
                                 blank=True)
    risk = models.CharField(_("risk"), max_length=16, choices=Risk.choices, default=Risk.LOW)
    risk_reasons = models.JSONField(_("risk reasons"), default=list, blank=True)
    group_risk = models.BooleanField(_("may become a group incident"), default=False)  # 群体性
    criminal_risk = models.BooleanField(_("may turn criminal"), default=False)  # 民转刑
    committee = models.ForeignKey(Committee, verbose_name=_("committee"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="disputes")
    mediator = models.ForeignKey(Mediator, verbose_name=_("mediator"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="disputes")
    # The case it came from (a 矛盾纠纷 case turned into a dispute): the link both ways is case.dispute.
    case = models.OneToOneField("cases.Case", verbose_name=_("case"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="dispute")
    created_by = models.ForeignKey("core.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # 信访 and 领导包案: a key petition matter has a leader and a monthly progress entry until closed.
    is_petition = models.BooleanField(_("petition matter"), default=False)
    leader = models.ForeignKey("core.User", verbose_name=_("leader in charge"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="led_disputes")
    leader_name = models.CharField(_("leader in charge"), max_length=50, blank=True)
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now, db_index=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    mediation_started_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # When the current level should have settled it (人民调解 normally within 30 days); moved by escalation.
    due_by = models.DateTimeField(_("due by"), null=True, blank=True, db_index=True)
    outcome_note = models.TextField(_("outcome"), blank=True)
    escalation_count = models.PositiveIntegerField(default=0)
    transfer_count = models.PositiveIntegerField(default=0)
    parties_count = models.PositiveIntegerField(_("parties"), default=0)
    # Set by the poller when it claims the dispute as overdue at its level (claimed once, like cases).
    overdue_flagged_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = DisputeQuerySet.as_manager()
    scope_path_field = "region__path"

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["-reported_at", "-id"]
        indexes = [models.Index(fields=["state", "due_by"]), models.Index(fields=["type", "reported_at"])]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state not in CLOSED_STATES


class PartyRole(models.TextChoices):
    APPLICANT = "applicant", pgettext_lazy("party role", "Applicant")
    RESPONDENT = "respondent", pgettext_lazy("party role", "Respondent")
    THIRD = "third", pgettext_lazy("party role", "Third party")


class PartyKind(models.TextChoices):
    PERSON = "person", pgettext_lazy("party kind", "Person")
    ORGANISATION = "organisation", pgettext_lazy("party kind", "Organisation")


def party_hashes(name: str, id_number: str, phone: str) -> tuple[str, str]:
    """(ID number hash, name-with-phone hash) of a party, "" where there is nothing to hash: a phone alone is
    often a family's or a shop's, so it counts only with the name."""
    name = (name or "").strip()
    return (lookup_hash(id_number) if id_number else "",
            lookup_hash(f"{name}|{phone}") if phone and name else "")


class PartyQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A party is seen by whoever sees its dispute (the one scoping path: Dispute.objects.visible_to)."""
        return self.filter(dispute__in=Dispute.objects.visible_to(user).values("pk"))


class Party(models.Model):
    """当事人: a person (from the registry, or new with a name and phone) or an organisation."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="parties")
    kind = models.CharField(_("kind"), max_length=16, choices=PartyKind.choices, default=PartyKind.PERSON)
    role = models.CharField(_("role"), max_length=16, choices=PartyRole.choices, default=PartyRole.APPLICANT)
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="dispute_parties")
    organisation = models.ForeignKey("registry.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="dispute_parties")
    name = models.CharField(_("name"), max_length=100)
    id_number = EncryptedCharField(_("ID number"), blank=True)
    phone = EncryptedCharField(_("phone"), blank=True)
    # How a party is recognised again without decrypting (研判预警's repeat parties): lookup hashes of the ID
    # number, and of the name with the phone. Set by `fill_keys` wherever parties are written.
    id_hash = models.CharField(max_length=64, blank=True, editable=False)
    name_phone_hash = models.CharField(max_length=64, blank=True, editable=False)
    # 当事人评价: the party's rating of the mediation (1–5), part of the mediator's record.
    rating = models.PositiveSmallIntegerField(_("rating of the mediation"), null=True, blank=True)

    objects = PartyQuerySet.as_manager()

    def fill_keys(self) -> "Party":
        """The lookup hashes from the ID number, name and phone as they are now."""
        self.id_hash, self.name_phone_hash = party_hashes(self.name, self.id_number, self.phone)
        return self

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["dispute", "id"]

    def __str__(self):
        return self.name


class SessionState(models.TextChoices):
    SCHEDULED = "scheduled", pgettext_lazy("session state", "Scheduled")
    HELD = "held", pgettext_lazy("session state", "Held")
    CANCELLED = "cancelled", pgettext_lazy("session state", "Cancelled")


class Session(models.Model):
    """调解会: scheduled with a time and a place or an online room (远程视频调解), then recorded."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="sessions")
    starts_at = models.DateTimeField(_("starts at"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    online_room = models.URLField(_("online room"), blank=True)
    participants = models.TextField(_("participants"), blank=True)
    mediator = models.ForeignKey(Mediator, null=True, blank=True, on_delete=models.PROTECT, related_name="sessions")
    state = models.CharField(_("state"), max_length=16, choices=SessionState.choices,
                             default=SessionState.SCHEDULED)
    record = models.TextField(_("record"), blank=True)  # 调解笔录
    held_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("mediation session")
        verbose_name_plural = _("mediation sessions")
        ordering = ["starts_at", "id"]


class Confirmation(models.TextChoices):
    NONE = "", pgettext_lazy("judicial confirmation", "Not applied")
    APPLIED = "applied", pgettext_lazy("judicial confirmation", "Applied")
    CONFIRMED = "confirmed", pgettext_lazy("judicial confirmation", "Confirmed")
    REFUSED = "refused", pgettext_lazy("judicial confirmation", "Refused")


class Performance(models.TextChoices):
    PENDING = "pending", pgettext_lazy("agreement performance", "Not yet due")
    KEPT = "kept", pgettext_lazy("agreement performance", "Kept")
    PARTLY = "partly", pgettext_lazy("agreement performance", "Partly kept")
    BROKEN = "broken", pgettext_lazy("agreement performance", "Not kept")


class Agreement(models.Model):
    """调解协议: its terms, amount and performance deadline; printed as a 人民调解协议书."""

    dispute = models.OneToOneField(Dispute, on_delete=models.CASCADE, related_name="agreement")
    terms = models.TextField(_("terms"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2, default=0)
    perform_by = models.DateField(_("perform by"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)
    confirmation = models.CharField(_("judicial confirmation"), max_length=16, choices=Confirmation.choices,
                                    default=Confirmation.NONE, blank=True)
    # The court applied to: its handlers see the dispute and record the decision (or staff record it for them).
    confirmation_court = models.ForeignKey("core.Department", verbose_name=_("court"), null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="confirmations")
    confirmation_applied_at = models.DateTimeField(null=True, blank=True)
    confirmation_decided_at = models.DateTimeField(null=True, blank=True)
    confirmation_note = models.TextField(blank=True)
    performance = models.CharField(_("performance"), max_length=16, choices=Performance.choices,
                                   default=Performance.PENDING)

    class Meta:
        verbose_name = _("mediation agreement")
        verbose_name_plural = _("mediation agreements")


class FollowUp(models.Model):
    """履行回访: a visit after the agreement recording whether it is kept."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="follow_ups")
    at = models.DateTimeField(default=timezone.now)
    performance = models.CharField(_("performance"), max_length=16, choices=Performance.choices)
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey("core.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["at", "id"]


class ReferralOutcome(models.TextChoices):
    PENDING = "", pgettext_lazy("referral outcome", "Pending")
    SETTLED = "settled", pgettext_lazy("referral outcome", "Settled")
    RETURNED = "returned", pgettext_lazy("referral outcome", "Returned to litigation")


def _letter_path(instance, filename):
    return f"mediation/referrals/{timezone.now():%Y/%m}/{filename}"


class Referral(models.Model):
    """诉前移送: a court sends a case for mediation before trial with its referral letter (移送函)."""

    dispute = models.OneToOneField(Dispute, on_delete=models.CASCADE, related_name="referral")
    court = models.ForeignKey("core.Department", verbose_name=_("court"), on_delete=models.PROTECT,
                              related_name="referrals")
    letter_number = models.CharField(_("referral letter number"), max_length=64)
    letter = models.FileField(_("referral letter"), upload_to=_letter_path)
    court_case_number = models.CharField(_("court case number"), max_length=64, blank=True)
    referred_at = models.DateTimeField(default=timezone.now, db_index=True)
    routed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=ReferralOutcome.choices,
                               default=ReferralOutcome.PENDING, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("court referral")
        verbose_name_plural = _("court referrals")


class PetitionProgress(models.Model):
    """领导包案: one progress entry per month on a petition matter until it is closed."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="progress")
    month = models.DateField(_("month"))  # the first of the month
    text = models.TextField(_("progress"))
    by = models.ForeignKey("core.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["month"]
        constraints = [models.UniqueConstraint(fields=["dispute", "month"], name="mediation_progress_month")]


class DisputeCounter(models.Model):
    """The last dispute number handed out on a day (claimed with an UPDATE, like case numbers)."""

    day = models.DateField(unique=True)
    last = models.PositiveIntegerField(default=0)


class DisputeEvent(TimelineEvent):
    """One step of a dispute's timeline."""

    append_only_message = "The dispute timeline is append-only."

    dispute = models.ForeignKey(Dispute, on_delete=models.DO_NOTHING, db_constraint=False, related_name="events")


class WarningSetAside(models.Model):
    """A warning dismissed (for good) or snoozed (until `until`) by someone, with their reason: the board leaves
    it out while this holds, and lists it under "set aside" with who, when and why. A warning is known by its kind
    and its disputes (`EarlyWarning.key`): one more dispute at the place or between the parties is a new
    warning, and shows again."""

    key = models.CharField(max_length=64, db_index=True)
    kind = models.CharField(max_length=32)
    dispute_ids = models.JSONField(default=list)
    summary = models.CharField(_("warning"), max_length=300)  # the warning's reason when it was set aside
    until = models.DateTimeField(_("snoozed until"), null=True, blank=True)  # None: dismissed
    note = models.CharField(_("reason"), max_length=300)
    by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    restored_at = models.DateTimeField(null=True, blank=True)
    restored_by = models.ForeignKey("core.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("warning set aside")
        verbose_name_plural = _("warnings set aside")
