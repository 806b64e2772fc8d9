"""研判预警: early warnings over the disputes a user may see (docs/mediation-warnings.md).

Every rule reads `Dispute.objects.visible_to(user)` and nothing else, so a warning never counts or names a
dispute outside the user's area (and a repeat "elsewhere" stays invisible: it is the other area's warning).

| kind | rule |
|---|---|
| repeat_parties | the same parties in more than one dispute reported within 180 days |
| repeat_place | 3 or more disputes at the same address, or in the same grid, reported within 90 days |
| many_parties | an open dispute with 5 or more parties (群体性 risk) |
| flagged_risk | an open dispute flagged 民转刑, or 群体性 by a person (not only because of its party count) |
| overdue | an open dispute past its level's deadline (due_by) |

A party is known by its registry person or organisation, its ID number, or its name together with its phone
(a phone alone is often a family's or a shop's). Keys that belong to one party are joined, so a dispute whose
party was picked from the registry and a later one where the same ID number was typed in are the same person.
"""
import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from wangge.core.scoping import ALL, scope_prefix
from wangge.mediation.models import OPEN_STATES, Dispute, Level, Party, State, WarningSetAside
from wangge.mediation.services import GROUP_PARTIES

REPEAT_PARTY_DAYS = 180
REPEAT_PLACE_DAYS = 90
REPEAT_PLACE_MIN = 3

KINDS = {
    "overdue": gettext_lazy("Overdue, not resolved"),
    "flagged_risk": gettext_lazy("Risk of turning criminal / group incident"),
    "many_parties": gettext_lazy("Many parties (group incident risk)"),
    "repeat_parties": gettext_lazy("Same parties again"),
    "repeat_place": gettext_lazy("Several at one place"),
}
SEVERITY_ORDER = {"high": 0, "medium": 1}
# Labels for the board and the reasons: the model choices (one source, translated through the catalogue).
STATE_LABELS = dict(State.choices)
LEVEL_LABELS = dict(Level.choices)


@dataclass
class EarlyWarning:
    kind: str
    severity: str  # "high" or "medium"
    reason: str
    dispute_ids: list  # oldest first
    latest: datetime  # when the newest of them was reported
    disputes: list = field(default_factory=list)  # their rows, once `attach_disputes` has read them

    @property
    def label(self) -> str:
        return str(KINDS[self.kind])

    @property
    def key(self) -> str:
        return warning_key(self.kind, self.dispute_ids)


def warning_key(kind: str, dispute_ids) -> str:
    """What a warning is: its kind and its disputes (in any order)."""
    text = f"{kind}:{','.join(str(pk) for pk in sorted(set(dispute_ids)))}"
    return hashlib.sha256(text.encode()).hexdigest()


def set_aside_keys(now=None) -> set[str]:
    """The keys of warnings dismissed, or snoozed until later than `now`, and not restored."""
    now = now or timezone.now()
    return set(WarningSetAside.objects.filter(Q(until__isnull=True) | Q(until__gt=now), restored_at__isnull=True)
               .values_list("key", flat=True))


# What a warning shows of each dispute (the board and the API): the rules read ids and the columns they judge,
# and whole rows are read once, at the end, for the warnings shown (a district has hundreds of warnings).
DISPUTE_COLUMNS = ("id", "number", "title", "state", "level", "reported_at", "due_by")


def _disputes(user, region=None):
    disputes = Dispute.objects.visible_to(user)
    if region is not None:
        disputes = disputes.filter(region__path__startswith=region.path)
    return disputes


def warnings_for(user, *, region=None, kinds=None, now=None, with_disputes=True, set_aside=False
                 ) -> list[EarlyWarning]:
    """All warnings for `user` (optionally under `region`, a region the caller has checked the user may see),
    high severity first, then the most recent; without those set aside (dismissed or snoozed) unless
    `set_aside`. Without `with_disputes` their rows are not read: pass the warnings to be shown to
    `attach_disputes`."""
    now = now or timezone.now()
    disputes = _disputes(user, region)
    rules = {"overdue": overdue, "flagged_risk": flagged_risk, "many_parties": many_parties,
             "repeat_parties": repeat_parties, "repeat_place": repeat_place}
    found = []
    for kind, rule in rules.items():
        if kinds and kind not in kinds:
            continue
        found.extend(rule(disputes, now))
    if not set_aside:
        hidden = set_aside_keys(now)
        found = [w for w in found if w.key not in hidden] if hidden else found
    found.sort(key=lambda w: (SEVERITY_ORDER[w.severity], -w.latest.timestamp(), w.kind))
    if with_disputes:
        attach_disputes(user, found)
    return found


BOARD_SECONDS = 60  # how long the board keeps one analysis of an area (the page says when it was made)


def board_warnings(user, *, region=None) -> tuple[list[EarlyWarning], datetime]:
    """The board's warnings for `user` under `region`, and when they were worked out. One analysis of an area is
    kept for a minute per role, area and language (a district's takes about half a second at ten times the demo,
    and a centre's board is opened again and again); what is set aside is left out on every read, so setting one
    aside or restoring it shows at once."""
    prefix = scope_prefix(user)
    key = "wangge:warnings:" + ":".join((user.role, "all" if prefix is ALL else str(prefix),
                                         region.path if region is not None else "", get_language() or ""))
    cached = cache.get(key)
    if cached is None:
        made = timezone.now()
        cached = (warnings_for(user, region=region, now=made, with_disputes=False, set_aside=True), made)
        cache.set(key, cached, BOARD_SECONDS)
    found, made = cached
    hidden = set_aside_keys()
    return [w for w in found if w.key not in hidden], made


def attach_disputes(user, warnings) -> None:
    """Fill each warning's `disputes` with its rows (as the user may see them), in one query."""
    wanted = {pk for w in warnings for pk in w.dispute_ids}
    rows = Dispute.objects.visible_to(user).only(*DISPUTE_COLUMNS).in_bulk(wanted) if wanted else {}
    for warning in warnings:
        warning.disputes = [rows[pk] for pk in warning.dispute_ids if pk in rows]


# --- one dispute at a time ------------------------------------------------------------------------

def overdue(disputes, now) -> list[EarlyWarning]:
    found = []
    late_ones = (disputes.filter(state__in=OPEN_STATES, due_by__lt=now).order_by("due_by", "id")
                 .values_list("pk", "due_by", "escalation_count", "level", "reported_at"))
    for pk, due_by, escalations, level, reported_at in late_ones:
        days = (now - due_by).days
        late = _("%(days)s days overdue") % {"days": days} if days >= 1 else _("just overdue")
        severe = escalations > 0 or days >= 30
        reason = _("Past this level's (%(level)s) deadline %(due)s, %(late)s") % {
            "level": LEVEL_LABELS[level], "due": f"{timezone.localtime(due_by):%Y-%m-%d}", "late": late}
        found.append(EarlyWarning("overdue", "high" if severe else "medium", reason, [pk], reported_at))
    return found


def flagged_risk(disputes, now) -> list[EarlyWarning]:
    """民转刑 always; 群体性 only when a person flagged it (a party count of 5+ is `many_parties`' warning, and the
    registration sets group_risk for it, so counting it here too would warn twice about one thing)."""
    found = []
    flagged = Q(criminal_risk=True) | Q(group_risk=True, parties_count__lt=GROUP_PARTIES)
    rows = (disputes.filter(flagged, state__in=OPEN_STATES).order_by("reported_at", "id")
            .values_list("pk", "criminal_risk", "group_risk", "parties_count", "risk_reasons", "reported_at"))
    for pk, criminal_risk, group_risk, parties_count, risk_reasons, reported_at in rows:
        flags = [text for on, text in ((criminal_risk, _("may turn criminal")),
                                       (group_risk and parties_count < GROUP_PARTIES,
                                        _("may become a group incident"))) if on]
        reasons = _("; ").join(r for r in (risk_reasons or []) if isinstance(r, str))[:200]
        text = _("Flagged as %(flags)s, not resolved") % {"flags": _(", ").join(flags)}
        if reasons:
            text += _(" (%(reasons)s)") % {"reasons": reasons}
        found.append(EarlyWarning("flagged_risk", "high", text, [pk], reported_at))
    return found


def many_parties(disputes, now) -> list[EarlyWarning]:
    rows = (disputes.filter(state__in=OPEN_STATES, parties_count__gte=GROUP_PARTIES).order_by("reported_at", "id")
            .values_list("pk", "parties_count", "reported_at"))
    return [EarlyWarning("many_parties", "high", _("%(count)s parties, may become a group incident, not resolved")
                         % {"count": count}, [pk], reported_at)
            for pk, count, reported_at in rows]


# --- disputes that repeat -----------------------------------------------------------------------------

def _normal_address(address: str) -> str:
    return "".join((address or "").split()).lower()


def repeat_place(disputes, now) -> list[EarlyWarning]:
    """3+ disputes at one address, or in one grid, within 90 days. A grid whose disputes are exactly one
    address's gets only the address's warning (it says more)."""
    recent = disputes.filter(reported_at__gte=now - timedelta(days=REPEAT_PLACE_DAYS), reported_at__lte=now)
    by_address, by_grid = defaultdict(list), defaultdict(list)
    address_of, grid_name, reported = {}, {}, {}
    rows = recent.order_by("reported_at", "id").values_list("pk", "address", "grid_id", "grid__name", "reported_at")
    for pk, address, grid_id, name, reported_at in rows:
        reported[pk] = reported_at
        key = _normal_address(address)
        if key:
            by_address[key].append(pk)
            address_of.setdefault(key, address.strip())
        if grid_id:
            by_grid[grid_id].append(pk)
            grid_name[grid_id] = name
    found = []
    seen = set()
    for key, ids in by_address.items():
        if len(ids) >= REPEAT_PLACE_MIN:
            seen.add(frozenset(ids))
            found.append(EarlyWarning("repeat_place", "medium", _(
                "%(count)s disputes at the address '%(address)s' within %(days)s days") % {
                "count": len(ids), "address": address_of[key], "days": REPEAT_PLACE_DAYS}, ids, reported[ids[-1]]))
    for grid_id, ids in by_grid.items():
        if len(ids) >= REPEAT_PLACE_MIN and frozenset(ids) not in seen:
            found.append(EarlyWarning("repeat_place", "medium", _(
                "%(count)s disputes in %(grid)s within %(days)s days") % {
                "count": len(ids), "grid": grid_name[grid_id], "days": REPEAT_PLACE_DAYS}, ids, reported[ids[-1]]))
    return found


class _Identities:
    """Union-find over party keys: every key of one party row names the same someone."""

    def __init__(self):
        self.parent = {}

    def find(self, key):
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def join(self, keys):
        roots = [self.find(k) for k in keys]
        for root in roots[1:]:
            self.parent[root] = roots[0]


def party_keys(party) -> list[str]:
    """How a party is recognised again: its registry record, or the lookup hashes stored with it (no plain ID
    number or phone is read, nothing is decrypted)."""
    keys = []
    if party.person_id:
        keys.append(f"person:{party.person_id}")
    if party.organisation_id:
        keys.append(f"org:{party.organisation_id}")
    if party.id_hash:
        keys.append("id:" + party.id_hash)
    if party.name_phone_hash:
        keys.append("name_phone:" + party.name_phone_hash)
    return keys


class _PartyKeys(NamedTuple):
    """The columns of a party that `party_keys` reads (a row, not a model: thousands are read at once)."""
    dispute_id: int
    person_id: int | None
    organisation_id: int | None
    name: str
    id_hash: str
    name_phone_hash: str


def _row_keys(row: tuple) -> tuple:
    """`party_keys` of a (dispute_id, person_id, organisation_id, name, id_hash, name_phone_hash) row, as tuples
    (a district reads tens of thousands of rows: no object or string is made per row)."""
    person, organisation, id_hash, name_phone_hash = row[1], row[2], row[4], row[5]
    return tuple(key for key in (("person", person) if person else None, ("org", organisation) if organisation
                                 else None, ("id", id_hash) if id_hash else None,
                                 ("name_phone", name_phone_hash) if name_phone_hash else None) if key)


def repeat_parties(disputes, now) -> list[EarlyWarning]:
    """Disputes within 180 days between the same parties: two disputes repeat when they share two parties, or
    every party of one of them when it has only one known party. One warning per set of shared parties."""
    # Only the parties that may repeat are read (their keys recur), and whole dispute rows only for the disputes
    # that repeat: a district has tens of thousands of parties within 180 days.
    recent = disputes.filter(reported_at__gte=now - timedelta(days=REPEAT_PARTY_DAYS), reported_at__lte=now)
    parties = Party.objects.filter(dispute__in=recent.values("pk")).order_by()  # no join for Party's ordering
    rows = [(row, _row_keys(row)) for row in parties.values_list(*_PartyKeys._fields)]
    # A row whose every key is its own is a someone of its own, who cannot repeat: at a district's scale most
    # rows are, and the union below joins only the others.
    seen = Counter(key for row_keys in rows for key in row_keys[1])
    linked = [(row, keys) for row, keys in rows if any(seen[key] > 1 for key in keys)]
    if not linked:
        return []
    identities = _Identities()
    for row_keys in linked:
        identities.join(row_keys[1])
    who, names, linked_rows = defaultdict(set), {}, Counter()
    for row, keys in linked:
        dispute_id, name = row[0], row[3]
        root = identities.find(keys[0])
        who[dispute_id].add(root)
        names.setdefault(root, name)
        linked_rows[dispute_id] += 1
    # How many someones each dispute has: its linked rows' distinct identities, and one per other known party.
    known_rows = Counter(row[0] for row, keys in rows if keys and row[0] in who)
    size = {pk: len(roots) + known_rows.get(pk, 0) - linked_rows[pk] for pk, roots in who.items()}
    by_identity = defaultdict(set)
    for dispute_id, roots in who.items():
        for root in roots:
            by_identity[root].add(dispute_id)
    shared_sets = defaultdict(set)  # frozenset of identities -> dispute ids
    for ids in by_identity.values():
        ordered = sorted(ids)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1:]:
                shared = who[a] & who[b]
                if len(shared) >= min(2, size[a], size[b]):
                    shared_sets[frozenset(shared)].update((a, b))
    if not shared_sets:
        return []
    wanted = {pk for ids in shared_sets.values() for pk in ids}
    reported = dict(recent.filter(pk__in=wanted).values_list("pk", "reported_at"))
    found = []
    for shared, ids in shared_sets.items():
        group = sorted(ids, key=lambda pk: (reported[pk], pk))
        people = _(", ").join(sorted(names[root] for root in shared))
        found.append(EarlyWarning("repeat_parties", "medium", _(
            "Parties %(people)s: %(count)s disputes within %(days)s days") % {
            "people": people, "count": len(group), "days": REPEAT_PARTY_DAYS}, group, reported[group[-1]]))
    return found
