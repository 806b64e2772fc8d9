"""The citizen's dispute self-report form (群众自报矛盾纠纷). Like forms.py, it only shapes the input; the
operation (wangge.mediation.services.do_report_dispute_public) decides what is valid, and the view carries its
errors back to these fields."""
from django import forms
from django.utils.translation import gettext_lazy as _

from wangge.core.services import OperationError
from wangge.mediation.models import DisputeType, PartyRole
from wangge.mediation.services import clean_amount
from wangge.mediation.templatetags.mediation_tags import TYPE_LABELS
from wangge.portal.forms import PointFields

# Rows offered for parties; the first is the one asking for help, the second the other side.
PARTY_ROWS = 3
PARTY_ROLE_CHOICES = [(PartyRole.APPLICANT, _("Applicant (the side asking for help)")), (PartyRole.RESPONDENT,
                                                                                         _("The other side")),
                      (PartyRole.THIRD, _("Third party"))]
DEFAULT_ROLES = [PartyRole.APPLICANT, PartyRole.RESPONDENT, PartyRole.RESPONDENT]


def type_choices():
    return [(value, TYPE_LABELS.get(value, label)) for value, label in DisputeType.choices]


class DisputeReportForm(PointFields):
    type = forms.ChoiceField(label=_("Dispute type"), error_messages={
        "required": _("Choose the type of dispute"),
        "invalid_choice": _("Unknown type of dispute")})
    summary = forms.CharField(label=_("What happened"), max_length=2000, error_messages={
        "required": _("Say what happened")},
        widget=forms.Textarea(attrs={"rows": 4,
                                     "placeholder": _("When, what the two sides quarrel about, how things stand now")}))
    amount = forms.CharField(label=_("Amount involved (yuan, optional)"), required=False, max_length=20,
                             widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": _("e.g. 5000")}))
    address = forms.CharField(label=_("Where exactly"), required=False, max_length=200,
                              widget=forms.TextInput(
                                  attrs={"placeholder": _("e.g. Xingfu estate, building 3, entrance 2")}))
    mediator = forms.IntegerField(required=False, widget=forms.HiddenInput, error_messages={
        "invalid": _("Choose one of the eligible mediators")})
    anonymous = forms.BooleanField(label=_("Leave no phone (anonymous)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [("", _("Please choose"))] + type_choices()
        for i in range(PARTY_ROWS):
            self.fields[f"party_{i}_role"] = forms.ChoiceField(
                label=_("Role"), choices=PARTY_ROLE_CHOICES, initial=DEFAULT_ROLES[i],
                error_messages={"invalid_choice": _("Unknown party role")})
            self.fields[f"party_{i}_name"] = forms.CharField(
                label=_("Name or form of address"), required=False, max_length=100,
                widget=forms.TextInput(attrs={"placeholder": _("e.g. Ms Wang, the neighbours upstairs")}))
            self.fields[f"party_{i}_phone"] = forms.CharField(
                label=_("Phone (optional)"), required=False, max_length=20,
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
            self.add_error("lng", _("Give a location"))
        parties, rows = [], []
        for i in range(PARTY_ROWS):
            name = (data.get(f"party_{i}_name") or "").strip()
            phone = "" if data.get("anonymous") else (data.get(f"party_{i}_phone") or "").strip()
            if not name and not (data.get(f"party_{i}_phone") or "").strip():
                continue  # an empty row
            if not name:
                self.add_error(f"party_{i}_name", _("A party needs a name"))
                continue
            parties.append({"name": name, "phone": phone, "role": data.get(f"party_{i}_role") or DEFAULT_ROLES[i]})
            rows.append(i)
        data["parties"], data["party_rows"] = parties, rows
        return data
