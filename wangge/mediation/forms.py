"""Forms of the mediation pages. The rules live in services.py; a form only reads the input (and the party
rows, which are posted as numbered fields), so a refusal from an operation is put back on the field it names."""
import re

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wangge.areas.forms import GridFieldMixin
from wangge.core.models import User
from wangge.core.roles import OPERATORS
from wangge.core.services import OperationError
from wangge.core.staff import staff_name
from wangge.mediation import services
from wangge.mediation.models import DisputeType, PartyKind, PartyRole, Risk, Source
from wangge.mediation.templatetags.mediation_tags import (
    KIND_LABELS,
    RISK_LABELS,
    ROLE_LABELS,
    SOURCE_LABELS,
    TYPE_LABELS,
)

# Where an operation's error field is shown on the register and referral forms.
FIELD_OF_ERROR = {"title": "title", "type": "type", "source": "source", "summary": "summary", "location": "lng",
                  "region": "grid", "amount": "amount", "risk": "risk", "leader": "leader",
                  "letter": "letter", "letter_number": "letter_number"}
MAX_PARTIES = 20
PARTY_FIELDS = ("role", "kind", "person", "organisation", "name", "phone", "id_number")
PARTY_ERROR = re.compile(r"^parties\[(\d+)\](?:\.(\w+))?$")
# Sources a staff member registers under; court referrals come through their own page, citizens the portal.
STAFF_SOURCES = [s for s in Source.values if s != Source.COURT]


def _input(**attrs):
    return forms.TextInput(attrs={"class": "input", **attrs})


def _select(field):
    field.widget.attrs.update({"class": "input"})
    return field


class PartyRows:
    """当事人: the numbered rows `party-<i>-<field>` as posted; blank rows are left out. `rows` keeps them (with
    their errors) for the page, `data` is what services.clean_parties reads, in the same order."""

    def __init__(self, post=None, initial_rows=2):
        self.rows = []
        if post is None:
            self.rows = [self._row({"role": PartyRole.APPLICANT if i == 0 else PartyRole.RESPONDENT})
                         for i in range(initial_rows)]
            self.error = ""
            return
        for i in range(MAX_PARTIES):
            raw = {name: (post.get(f"party-{i}-{name}") or "").strip() for name in PARTY_FIELDS}
            if any(raw[name] for name in ("person", "organisation", "name", "phone", "id_number")):
                self.rows.append(self._row(raw))
        self.error = ""

    @staticmethod
    def _row(raw):
        row = {name: raw.get(name, "") for name in PARTY_FIELDS}
        row["label"] = raw.get("label", "")
        row["errors"] = {}
        return row

    @property
    def data(self) -> list[dict]:
        out = []
        for row in self.rows:
            item = {"role": row["role"] or PartyRole.APPLICANT, "kind": row["kind"] or PartyKind.PERSON}
            if row["person"]:
                item["person"] = row["person"]
            elif row["organisation"]:
                item["organisation"] = row["organisation"]
            else:
                item.update(name=row["name"], phone=row["phone"], id_number=row["id_number"])
            out.append(item)
        return out

    def add_error(self, field: str, message: str) -> bool:
        """Put an operation's error on the row it names (parties[1].phone); False if it is not a row's."""
        if field == "parties":
            self.error = message
            return True
        match = PARTY_ERROR.match(field or "")
        if not match or int(match.group(1)) >= len(self.rows):
            return False
        self.rows[int(match.group(1))]["errors"][match.group(2) or "name"] = message
        return True

    @property
    def has_errors(self) -> bool:
        return bool(self.error) or any(row["errors"] for row in self.rows)

    def for_page(self):
        """The rows to show: the posted ones and one blank row to fill (the page can add more)."""
        return self.rows + [self._row({"role": PartyRole.RESPONDENT})]


class DisputeFields(GridFieldMixin, forms.Form):
    """What every new dispute has: what it is about and where (a point on the map, or a grid)."""

    title = forms.CharField(label=_("Dispute title"), max_length=200,
                            widget=_input(placeholder=_("e.g. a leak from upstairs causing a neighbour dispute")))
    type = forms.ChoiceField(label=_("Dispute type"),
                             choices=[("", _("Please choose"))] + [(t, TYPE_LABELS[t]) for t in DisputeType.values])
    summary = forms.CharField(label=_("Summary"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"class": "input", "rows": 3}))
    address = forms.CharField(label=_("Address"), required=False, max_length=200,
                              widget=_input(placeholder=_("House number, estate or landmark")))
    grid = forms.ChoiceField(label=pgettext_lazy("form field", "Grid"), required=False,
                             help_text=_("If no point is chosen on the map, the dispute is registered in the "
                                         "chosen grid"))
    lng = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    amount = forms.CharField(label=_("Amount involved (yuan)"), required=False, max_length=20,
                             widget=_input(inputmode="decimal"))

    location_required = True

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["type"].widget.attrs.update({"class": "input"})
        self.set_grid_choices(user)

    def clean(self):
        data = super().clean()
        unplaced = data.get("lng") is None and data.get("grid") is None and "grid" not in self.errors
        if self.point_is_whole(data) and self.location_required and unplaced:
            self.add_error("lng", _("Give a location or a grid"))
        return data

    def add_operation_error(self, exc, parties: PartyRows | None = None):
        if parties is not None and parties.add_error(exc.field, exc.message):
            self.add_error(None, exc.message)
            return
        field = FIELD_OF_ERROR.get(exc.field)
        self.add_error(field if field in self.fields else None, exc.message)

    def location(self) -> dict:
        data = self.cleaned_data
        return {"lng": data.get("lng"), "lat": data.get("lat"), "grid": data.get("grid") if data.get("lng") is None
                else None, "crs": "wgs84"}


class RegisterForm(DisputeFields):
    """登记: the ledger's entry; risk (raised by the service for many parties), petition matters and a leader."""

    source = forms.ChoiceField(label=_("Source"), choices=[(s, SOURCE_LABELS[s]) for s in STAFF_SOURCES])
    risk = forms.ChoiceField(label=_("Risk level"), choices=[(r, RISK_LABELS[r]) for r in Risk.values],
                             initial=Risk.LOW)
    risk_reasons = forms.CharField(label=_("Risk factors"), required=False, max_length=2000,
                                   help_text=_("One per line, e.g. aggressive words or acts, several migrant "
                                               "workers involved"),
                                   widget=forms.Textarea(attrs={"class": "input", "rows": 2}))
    group_risk = forms.BooleanField(label=_("May become a group incident"), required=False)
    criminal_risk = forms.BooleanField(label=_("May turn criminal"), required=False)
    is_petition = forms.BooleanField(label=_("Petition matter (a leader in charge)"), required=False)
    leader = forms.ChoiceField(label=_("Leader in charge"), required=False)
    leader_name = forms.CharField(label=_("Leader in charge (name and post)"), required=False, max_length=50,
                                  help_text=_("Fill in when the leader is not in the system"), widget=_input())

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        _select(self.fields["source"])
        _select(self.fields["risk"])
        self.fields["source"].initial = Source.GRID if user.role not in OPERATORS else Source.MEDIATION_PLATFORM
        leaders = User.objects.visible_to(user).filter(is_active=True, role__in=OPERATORS).order_by("region__path",
                                                                                                    "username")
        self.leaders = {str(u.pk): u for u in leaders}
        self.fields["leader"].choices = [("", "—")] + [(pk, staff_name(u)) for pk, u in self.leaders.items()]
        _select(self.fields["leader"])

    def clean_leader(self):
        value = self.cleaned_data.get("leader")
        if not value:
            return None
        if value not in self.leaders:
            raise forms.ValidationError(_("Unknown leader"))
        return self.leaders[value]

    def clean(self):
        data = super().clean()
        if (data.get("leader") or data.get("leader_name")) and not data.get("is_petition"):
            self.add_error("is_petition", _("A leader is for petition matters"))
        return data

    def operation_fields(self) -> dict:
        data = self.cleaned_data
        return {"title": data["title"], "type": data["type"], "source": data["source"], "summary": data["summary"],
                "address": data["address"], "amount": data["amount"], "risk": data["risk"],
                "risk_reasons": [line for line in data["risk_reasons"].splitlines() if line.strip()],
                "group_risk": data["group_risk"], "criminal_risk": data["criminal_risk"],
                "is_petition": data["is_petition"], "leader": data["leader"], "leader_name": data["leader_name"],
                **self.location()}


# An example of a court's referral letter number: the court's own numbering, shown as is in every language.
COURT_LETTER_EXAMPLE = "（2026）川0107诉前调1号"


class ReferralForm(DisputeFields):
    """诉前移送: a court's case with its referral letter (移送函); located by the map or a grid, else the court's
    district."""

    letter_number = forms.CharField(label=_("Referral letter number"), max_length=64,
                                    widget=_input(placeholder=COURT_LETTER_EXAMPLE))
    court_case_number = forms.CharField(label=_("Court case number"), required=False, max_length=64, widget=_input())
    letter = forms.FileField(label=_("Referral letter (PDF or image)"), required=False)

    location_required = False

    def clean_letter(self):
        letter = self.cleaned_data.get("letter")
        try:
            services.check_letter(letter)
        except OperationError as exc:
            raise forms.ValidationError(exc.message) from None
        return letter

    def operation_fields(self) -> dict:
        data = self.cleaned_data
        return {"title": data["title"], "type": data["type"], "summary": data["summary"], "address": data["address"],
                "amount": data["amount"], "letter": data["letter"], "letter_number": data["letter_number"],
                "court_case_number": data["court_case_number"], **self.location()}


def party_choice_labels():
    return {"roles": list(ROLE_LABELS.items()), "kinds": list(KIND_LABELS.items())}
