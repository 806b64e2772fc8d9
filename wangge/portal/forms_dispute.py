"""The citizen's dispute self-report form (群众自报矛盾纠纷). Like forms.py, it only shapes the input; the
operation (wangge.mediation.services.do_report_dispute_public) decides what is valid, and the view carries its
errors back to these fields."""
from django import forms

from wangge.areas.crs import CRS_NAMES
from wangge.core.services import OperationError
from wangge.mediation.models import DisputeType, PartyRole
from wangge.mediation.services import clean_amount
from wangge.mediation.templatetags.mediation_tags import TYPE_LABELS

# Rows offered for parties; the first is the one asking for help, the second the other side.
PARTY_ROWS = 3
PARTY_ROLE_CHOICES = [(PartyRole.APPLICANT, "申请人（求助的一方）"), (PartyRole.RESPONDENT, "对方当事人"),
                      (PartyRole.THIRD, "第三人")]
DEFAULT_ROLES = [PartyRole.APPLICANT, PartyRole.RESPONDENT, PartyRole.RESPONDENT]


def type_choices():
    return [(value, TYPE_LABELS.get(value, label)) for value, label in DisputeType.choices]


class DisputeReportForm(forms.Form):
    type = forms.ChoiceField(label="纠纷类型", error_messages={
        "required": "请选择纠纷类型 / choose the type of dispute",
        "invalid_choice": "未知纠纷类型 / unknown type of dispute"})
    summary = forms.CharField(label="发生了什么", max_length=2000, error_messages={
        "required": "请简要说明发生了什么 / say what happened"},
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "什么时候、双方因为什么起了矛盾、现在怎样了"}))
    amount = forms.CharField(label="涉及金额（元，可不填）", required=False, max_length=20,
                             widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "例如：5000"}))
    address = forms.CharField(label="位置说明", required=False, max_length=200,
                              widget=forms.TextInput(attrs={"placeholder": "例如：幸福小区 3 栋 2 单元"}))
    lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    crs = forms.ChoiceField(choices=[(c, c) for c in CRS_NAMES], initial="wgs84", widget=forms.HiddenInput,
                            error_messages={"invalid_choice": "未知坐标系 / unknown coordinate system"})
    mediator = forms.IntegerField(required=False, widget=forms.HiddenInput, error_messages={
        "invalid": "请从可选调解员中选择 / choose one of the eligible mediators"})
    anonymous = forms.BooleanField(label="不留电话（匿名反映）", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [("", "请选择")] + type_choices()
        for i in range(PARTY_ROWS):
            self.fields[f"party_{i}_role"] = forms.ChoiceField(
                label="身份", choices=PARTY_ROLE_CHOICES, initial=DEFAULT_ROLES[i],
                error_messages={"invalid_choice": "未知当事人身份 / unknown party role"})
            self.fields[f"party_{i}_name"] = forms.CharField(
                label="姓名或称呼", required=False, max_length=100,
                widget=forms.TextInput(attrs={"placeholder": "如：王女士、楼上住户"}))
            self.fields[f"party_{i}_phone"] = forms.CharField(
                label="电话（可不填）", required=False, max_length=20,
                widget=forms.TextInput(attrs={"inputmode": "tel"}))
        for name, field in self.fields.items():
            if not isinstance(field.widget, (forms.HiddenInput, forms.CheckboxInput)):
                field.widget.attrs.setdefault("class", "input")

    def party_rows(self):
        """[(role, name, phone) bound fields] for the template."""
        return [(self[f"party_{i}_role"], self[f"party_{i}_name"], self[f"party_{i}_phone"])
                for i in range(PARTY_ROWS)]

    def clean_amount(self):
        try:
            return clean_amount(self.cleaned_data.get("amount"))
        except OperationError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean(self):
        data = super().clean()
        if "lng" not in self.errors and (data.get("lng") is None or data.get("lat") is None):
            # Without a point the operation would ask for "a location or a grid": a citizen knows no grids.
            self.add_error("lng", "请在地图上选择位置，或使用手机定位 / give a location")
        parties, rows = [], []
        for i in range(PARTY_ROWS):
            name = (data.get(f"party_{i}_name") or "").strip()
            phone = "" if data.get("anonymous") else (data.get(f"party_{i}_phone") or "").strip()
            if not name and not (data.get(f"party_{i}_phone") or "").strip():
                continue  # an empty row
            if not name:
                self.add_error(f"party_{i}_name", "请填写当事人姓名或称呼 / a party needs a name")
                continue
            parties.append({"name": name, "phone": phone, "role": data.get(f"party_{i}_role") or DEFAULT_ROLES[i]})
            rows.append(i)
        data["parties"], data["party_rows"] = parties, rows
        return data
