"""Forms of the case pages. The rules themselves live in services.py; a form only reads the input, so a
refusal from an operation is put back on the field it names."""
from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wangge.areas.forms import GridFieldMixin
from wangge.cases.models import Category, Channel, Priority
from wangge.cases.services import CHANNELS_BY_ROLE
from wangge.cases.templatetags.cases_tags import CHANNEL_LABELS, PRIORITY_LABELS
from wangge.core.roles import OPERATORS, Role

# Where an operation's error field is shown on the report form.
FIELD_OF_ERROR = {"location": "lng", "category": "category", "title": "title", "channel": "channel",
                  "reporter_phone": "reporter_phone", "external_id": "external_id", "priority": "priority",
                  "resolution": "resolution", "photos": "photos"}


def category_choices():
    """Minor classes grouped by their major class (事项大类 → 小类)."""
    groups, current, items = [], None, []
    for category in Category.objects.filter(active=True, major__active=True).select_related("major") \
            .order_by("major__code", "code"):
        if current is not None and category.major_id != current.pk:
            groups.append((str(current), items))
            items = []
        current = category.major
        items.append((str(category.pk), f"{category.full_code} {category.name}"))
    if current is not None:
        groups.append((str(current), items))
    return groups


class ReportForm(GridFieldMixin, forms.Form):
    """上报: what, where (the phone's position, a tap on the map, or the grid) and, for a grid worker, 当场解决."""

    # A plain field behind a grouped select, so an unknown id gets the catalogue's own message.
    category = forms.CharField(label=_("Case category"), widget=forms.Select)
    title = forms.CharField(label=_("Title"), max_length=200,
                            widget=forms.TextInput(attrs={"class": "input",
                                                          "placeholder": _("e.g. rubbish left by the road")}))
    description = forms.CharField(label=_("Description"), required=False, max_length=4000,
                                  widget=forms.Textarea(attrs={"class": "input", "rows": 3}))
    address = forms.CharField(label=_("Address"), required=False, max_length=200,
                              widget=forms.TextInput(attrs={"class": "input",
                                                            "placeholder": _("House number, crossing or landmark")}))
    grid = forms.ChoiceField(label=pgettext_lazy("form field", "Grid"), required=False,
                             help_text=_("If the phone's location or the map fails, the case goes to the chosen grid"))
    lng = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    # Operators' entry (12345 热线, 领导交办): the channel, the caller and the work-order number.
    channel = forms.ChoiceField(label=pgettext_lazy("form field", "Channel"), required=False)
    reporter_name = forms.CharField(label=_("Caller's name"), required=False, max_length=50,
                                    widget=forms.TextInput(attrs={"class": "input"}))
    reporter_phone = forms.CharField(label=_("Caller's phone"), required=False, max_length=20,
                                     widget=forms.TextInput(attrs={"class": "input", "inputmode": "tel"}))
    external_id = forms.CharField(label=_("External work order number"), required=False, max_length=64,
                                  widget=forms.TextInput(attrs={"class": "input",
                                                                "placeholder": _("e.g. the 12345 work order number")}))
    priority = forms.ChoiceField(label=_("Priority"), required=False)
    # A grid worker's 当场解决.
    self_resolved = forms.BooleanField(label=_("Resolved on the spot (handled myself)"), required=False)
    resolution = forms.CharField(label=_("Handling result"), required=False, max_length=2000,
                                 widget=forms.Textarea(attrs={"class": "input", "rows": 2}))

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.photo_errors = []
        self.fields["category"].widget.choices = [("", _("Please choose"))] + category_choices()
        self.fields["category"].widget.attrs.update({"class": "input"})
        self.set_grid_choices(user)
        self.is_operator = user.role in OPERATORS
        channels = CHANNELS_BY_ROLE.get(user.role, {Channel.GRID_WORKER})
        self.fields["channel"].choices = [(c, CHANNEL_LABELS[c]) for c in Channel.values if c in channels]
        self.fields["channel"].widget.attrs.update({"class": "input"})
        self.fields["channel"].initial = (Channel.HOTLINE_12345 if Channel.HOTLINE_12345 in channels
                                          else Channel.GRID_WORKER)
        self.fields["priority"].choices = [("", _("By the category's default"))] + [
            (p, PRIORITY_LABELS[p]) for p in Priority.values]
        self.fields["priority"].widget.attrs.update({"class": "input"})
        self.can_self_resolve = user.role == Role.GRID_WORKER
        if not self.is_operator:
            for name in ("channel", "reporter_name", "reporter_phone", "external_id", "priority"):
                del self.fields[name]
        if not self.can_self_resolve:
            del self.fields["self_resolved"]
            del self.fields["resolution"]

    def clean_category(self):
        value = self.cleaned_data["category"]
        category = Category.objects.select_related("major").filter(pk=int(value), active=True).first() \
            if value.isdigit() else None
        if category is None:
            raise forms.ValidationError(_("Unknown category"))
        return category

    def clean(self):
        data = super().clean()
        self.point_is_whole(data)
        if data.get("lng") is None and data.get("grid") is None and "grid" not in self.errors:
            self.add_error("lng", _("Locate, choose on the map or choose a grid"))
        if data.get("self_resolved") and not (data.get("resolution") or "").strip():
            self.add_error("resolution", _("Say how it was resolved"))
        return data

    photo_errors: list

    def add_operation_error(self, exc):
        """Put an operation's refusal on the input it names (photos have no form field of their own)."""
        field = FIELD_OF_ERROR.get(exc.field)
        if field == "photos":
            self.photo_errors.append(exc.message)
            self.add_error(None, exc.message)
            return
        self.add_error(field if field in self.fields else None, exc.message)
