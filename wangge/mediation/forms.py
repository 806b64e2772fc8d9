"""Forms of the mediation pages. The rules live in services.py; a form only reads the input (and the party
rows, which are posted as numbered fields), so a refusal from an operation is put back on the field it names."""
import re

from django import forms

from wangge.areas.models import Level as RegionLevel
from wangge.areas.models import Region
from wangge.core.models import User
from wangge.core.roles import OPERATORS
from wangge.core.services import OperationError
from wangge.core.staff import staff_name
from wangge.mediation import services
from wangge.mediation.models import DisputeType, PartyKind, PartyRole, Risk, Source
from wangge.mediation.templatetags.mediation_tags import (
    KIND_LABELS, RISK_LABELS, ROLE_LABELS, SOURCE_LABELS, TYPE_LABELS,
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


def grid_choices(user):
    grids = Region.objects.visible_to(user).filter(level=RegionLevel.GRID).order_by("code")
    return {g.code: g for g in grids}


class DisputeFields(forms.Form):
    """What every new dispute has: what it is about and where (a point on the map, or a grid)."""

    title = forms.CharField(label="纠纷标题", max_length=200, widget=_input(placeholder="例如：楼上漏水引发邻里纠纷"))
    type = forms.ChoiceField(label="纠纷类型", choices=[("", "请选择")] + [(t, TYPE_LABELS[t]) for t in DisputeType.values])
    summary = forms.CharField(label="简要情况", required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"class": "input", "rows": 3}))
    address = forms.CharField(label="地址", required=False, max_length=200, widget=_input(placeholder="门牌、小区或参照物"))
    grid = forms.ChoiceField(label="网格", required=False, help_text="未在地图上选点时，按所选网格登记")
    lng = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    amount = forms.CharField(label="涉及金额（元）", required=False, max_length=20, widget=_input(inputmode="decimal"))

    location_required = True

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["type"].widget.attrs.update({"class": "input"})
        self.grids = grid_choices(user)
        self.fields["grid"].choices = [("", "请选择")] + [(g.code, g.name) for g in self.grids.values()]
        self.fields["grid"].widget.attrs.update({"class": "input"})
        if len(self.grids) == 1:
            self.fields["grid"].initial = next(iter(self.grids))

    def clean_grid(self):
        code = self.cleaned_data.get("grid")
        if not code:
            return None
        if code not in self.grids:
            raise forms.ValidationError("网格不在辖区内 / the grid is outside your area")
        return self.grids[code]

    def clean(self):
        data = super().clean()
        if (data.get("lng") is None) != (data.get("lat") is None):
            self.add_error("lng", "位置不完整 / give both longitude and latitude")
        elif self.location_required and data.get("lng") is None and data.get("grid") is None \
                and "grid" not in self.errors:
            self.add_error("lng", "请在地图上选点或选择网格 / give a location or a grid")
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

    source = forms.ChoiceField(label="来源", choices=[(s, SOURCE_LABELS[s]) for s in STAFF_SOURCES])
    risk = forms.ChoiceField(label="风险等级", choices=[(r, RISK_LABELS[r]) for r in Risk.values], initial=Risk.LOW)
    risk_reasons = forms.CharField(label="风险因素", required=False, max_length=2000,
                                   help_text="每行一条，如：有过激言行、涉及多名务工人员",
                                   widget=forms.Textarea(attrs={"class": "input", "rows": 2}))
    group_risk = forms.BooleanField(label="可能引发群体性事件", required=False)
    criminal_risk = forms.BooleanField(label="有民转刑风险", required=False)
    is_petition = forms.BooleanField(label="信访事项（领导包案）", required=False)
    leader = forms.ChoiceField(label="包案领导", required=False)
    leader_name = forms.CharField(label="包案领导（姓名职务）", required=False, max_length=50,
                                  help_text="领导不在系统中时填写", widget=_input())

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
            raise forms.ValidationError("包案领导不在辖区内 / unknown leader")
        return self.leaders[value]

    def clean(self):
        data = super().clean()
        if (data.get("leader") or data.get("leader_name")) and not data.get("is_petition"):
            self.add_error("is_petition", "指定包案领导须勾选信访事项 / a leader is for petition matters")
        return data

    def operation_fields(self) -> dict:
        data = self.cleaned_data
        return {"title": data["title"], "type": data["type"], "source": data["source"], "summary": data["summary"],
                "address": data["address"], "amount": data["amount"], "risk": data["risk"],
                "risk_reasons": [line for line in data["risk_reasons"].splitlines() if line.strip()],
                "group_risk": data["group_risk"], "criminal_risk": data["criminal_risk"],
                "is_petition": data["is_petition"], "leader": data["leader"], "leader_name": data["leader_name"],
                **self.location()}


class ReferralForm(DisputeFields):
    """诉前移送: a court's case with its referral letter (移送函); located by the map or a grid, else the court's
    district."""

    letter_number = forms.CharField(label="移送函号", max_length=64, widget=_input(placeholder="（2026）川0107诉前调1号"))
    court_case_number = forms.CharField(label="法院案号", required=False, max_length=64, widget=_input())
    letter = forms.FileField(label="移送函（PDF 或图片）", required=False)

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
