"""Forms of the registry pages. They only shape and pre-check input: the rules live in
services.py (`clean_person` and the do_* operations), which the views call and whose
FieldErrors are put back next to the fields they name."""
from django import forms
from django.utils.translation import gettext_lazy as _

from wangge.core.services import REASON_MAX
from wangge.registry.codes import ETHNICITY_CHOICES
from wangge.registry.models import House, HouseUse, OrganisationKind, PersonKind, PlaceKind, Relation
from wangge.registry.services import FieldErrors, clean_person


class StyledForm(forms.Form):
    """Every widget gets the page's input class; errors are put on fields by name."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, (forms.CheckboxInput, forms.RadioSelect, forms.HiddenInput)):
                continue
            widget.attrs.setdefault("class", "input")

    def add_errors(self, errors: dict[str, str], fallback: str | None = None):
        """Put an operation's {field: message} on the form, on `fallback` (or the whole form) when unknown."""
        for name, message in errors.items():
            if name in self.fields:
                self.add_error(name, message)
            elif fallback in self.fields:
                self.add_error(fallback, message)
            else:
                self.add_error(None, message)

    def add_operation_error(self, exc, fallback: str | None = None):
        """Put an operation's refusal on the form: every field of a FieldErrors, else the one field it names (or
        `fallback`, or the whole form)."""
        errors = exc.errors if isinstance(exc, FieldErrors) else {exc.field or fallback or "__all__": exc.message}
        self.add_errors(errors, fallback)


class RevealForm(StyledForm):
    reason = forms.CharField(label=_("Reason for viewing"), max_length=REASON_MAX, required=False,
                             widget=forms.TextInput(attrs={"autocomplete": "off"}))


class SearchForm(StyledForm):
    q = forms.CharField(label=_("Name, last 4 of ID number, ID number, phone or address"), max_length=60,
                        required=False, widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}))


# --- people in a household ---------------------------------------------------------------------

ETHNICITY_OPTIONS = [(code, name) for code, name in ETHNICITY_CHOICES]
MEMBER_RELATIONS = [(value, label) for value, label in Relation.choices if value != Relation.HEAD]


class PersonForm(StyledForm):
    """A person as a grid worker types them in; checked by clean_person, the rule every path shares."""

    name = forms.CharField(label=_("Name"), max_length=50)
    id_number = forms.CharField(label=_("ID number"), max_length=18, min_length=15,
                                widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text",
                                                              "autocapitalize": "characters", "spellcheck": "false"}))
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
    ethnicity = forms.ChoiceField(label=_("Ethnicity"), choices=ETHNICITY_OPTIONS, initial="01")
    kind = forms.ChoiceField(label=_("Kind"), choices=PersonKind.choices, initial=PersonKind.REGISTERED)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            checked = clean_person(data)
        except FieldErrors as exc:
            self.add_errors(exc.errors)
            return data
        data["id_number"] = checked.id_number
        data["phone"] = checked.phone
        return data

    def person_data(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("name", "id_number", "phone", "ethnicity", "kind")}


class MemberForm(PersonForm):
    relation = forms.ChoiceField(label=_("Relation to head"), choices=MEMBER_RELATIONS, initial=Relation.SPOUSE)


# Rows are added in the page by registry.js; ID numbers used twice are caught by the view with the head's.
MemberFormSet = forms.formset_factory(MemberForm, extra=0, max_num=12, validate_max=True)


class HouseChoiceForm(StyledForm):
    """Which house the household lives in: one of the building's houses, or a new one."""

    NEW = "new"
    house = forms.ChoiceField(label=_("House"), required=False)
    unit = forms.CharField(label=_("Unit"), max_length=8, required=False)
    number = forms.CharField(label=_("House number"), max_length=16, required=False)
    use = forms.ChoiceField(label=_("Use"), choices=HouseUse.choices, initial=HouseUse.OWNER_OCCUPIED)

    def __init__(self, *args, houses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.houses = {str(h.pk): h for h in houses}
        self.fields["house"].choices = [("", _("— choose —")), (self.NEW, _("A new house in this building")),
                                        *[(str(h.pk), house_label(h)) for h in houses]]

    def clean(self):
        data = super().clean()
        choice = data.get("house")
        if not choice:
            self.add_error("house", _("Choose a house, or add a new one."))
        elif choice == self.NEW:
            if not (data.get("number") or "").strip():
                self.add_error("number", _("Give the number of the new house."))
        elif choice not in self.houses:
            self.add_error("house", _("Choose a house, or add a new one."))
        return data

    @property
    def chosen_house(self) -> House | None:
        return self.houses.get(self.cleaned_data.get("house") or "")


def house_label(house: House) -> str:
    unit = _("Unit %(unit)s, ") % {"unit": house.unit} if house.unit else ""
    return f"{unit}{house.number}"


# --- moves and visits --------------------------------------------------------------------------

class MoveForm(StyledForm):
    house = forms.ChoiceField(label=_("Move to house"))
    household = forms.ChoiceField(label=_("Join household"), required=False)
    relation = forms.ChoiceField(label=_("Relation to head"), required=False,
                                 choices=[("", "—"), *Relation.choices])
    when = forms.DateField(label=_("Date of the move"), required=False,
                           widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, houses=(), households=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.houses = {str(h.pk): h for h in houses}
        self.households = {str(h.pk): h for h in households}
        self.fields["house"].choices = [("", _("— choose —")), *[(str(h.pk), house_label(h)) for h in houses]]
        self.fields["household"].choices = [("", _("Not in a household")),
                                            *[(str(h.pk), household_label(h)) for h in households]]

    def clean(self):
        data = super().clean()
        house = self.houses.get(data.get("house") or "")
        household = self.households.get(data.get("household") or "")
        if data.get("house") and house is None:
            self.add_error("house", _("Choose a house."))
        if household is not None and house is not None and household.house_id != house.pk:
            self.add_error("household", _("That household lives in another house."))
        if household is not None and not data.get("relation"):
            self.add_error("relation", _("Give the relation to the head of the household."))
        data["house_obj"], data["household_obj"] = house, household
        return data


def household_label(household) -> str:
    head = getattr(household, "head_shown", None)
    where = house_label(household.house)
    return _("%(house)s, head %(head)s") % {"house": where, "head": head} if head else where


class MoveOutForm(StyledForm):
    when = forms.DateField(label=_("Date of moving out"), required=False,
                           widget=forms.DateInput(attrs={"type": "date"}))


class MultipleImageInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by the visit operation (real image, size)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleImageInput(attrs={"accept": "image/*", "capture": "environment"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        files = data if isinstance(data, (list, tuple)) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


CRS_CHOICES = [("wgs84", "WGS-84"), ("gcj02", "GCJ-02"), ("bd09", "BD-09")]


class VisitForm(StyledForm):
    notes = forms.CharField(label=_("Notes"), required=False, max_length=4000,
                            widget=forms.Textarea(attrs={"rows": 4}))
    visited_at = forms.DateTimeField(label=_("Visited at"), required=False, help_text=_("Leave empty for now."),
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                     input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"])
    photos = MultipleFileField(label=_("Photos"), required=False)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    crs = forms.ChoiceField(choices=CRS_CHOICES, initial="wgs84", required=False, widget=forms.HiddenInput)


# --- import and export -------------------------------------------------------------------------

IMPORT_SUFFIXES = (".xlsx", ".csv")
IMPORT_MAX_BYTES = 50 * 1024 * 1024


class ImportForm(StyledForm):
    file = forms.FileField(label=_("File (.xlsx or .csv)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(IMPORT_SUFFIXES):
            raise forms.ValidationError(_("Only .xlsx or .csv files can be imported."))
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 50 MB; import it with the command line."))
        return upload


class ExportForm(StyledForm):
    format = forms.ChoiceField(label=_("Format"), choices=[("xlsx", "Excel (.xlsx)"), ("csv", "CSV")],
                               initial="xlsx")
    unmasked = forms.BooleanField(label=_("Unmasked ID numbers and phones"), required=False)
    reason = forms.CharField(label=_("Reason (required for unmasked)"), max_length=REASON_MAX, required=False)


# --- organisations, places, vehicles, tags, editing a person -----------------------------------

class LocatedForm(StyledForm):
    """Where a record is: the phone's position (hidden lng/lat, WGS-84, filled by registry.js) or,
    without one, a grid among the user's grids. The operation locates it and checks the area."""

    address = forms.CharField(label=_("Address"), max_length=200)
    grid = forms.ChoiceField(label=_("Grid"), required=False,
                             help_text=_("Used when this phone gives no position."))
    lng = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    crs = forms.ChoiceField(choices=CRS_CHOICES, initial="wgs84", required=False, widget=forms.HiddenInput)

    def __init__(self, *args, grids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.grids = {g.code: g for g in grids}
        self.fields["grid"].choices = [("", _("— choose —")), *[(g.code, g.name) for g in grids]]

    def clean(self):
        data = super().clean()
        lng, lat = data.get("lng"), data.get("lat")
        if lng is None or lat is None:
            data["lng"] = data["lat"] = None
        data["grid_obj"] = self.grids.get(data.get("grid") or "")
        if data["lng"] is None and data["grid_obj"] is None and not self.has_error("grid"):
            self.add_error("grid", _("No position from this phone: choose the grid."))
        return data

    def location(self) -> dict:
        data = self.cleaned_data
        return {"lng": data["lng"], "lat": data["lat"], "crs": data.get("crs") or "wgs84", "grid": data["grid_obj"]}


class OrganisationForm(LocatedForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    uscc = forms.CharField(label=_("Unified social credit code"), max_length=18,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                                         "spellcheck": "false"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=OrganisationKind.choices)
    legal_person = forms.CharField(label=_("Legal representative"), max_length=50, required=False)
    staff_count = forms.IntegerField(label=_("Staff"), min_value=0, required=False)

    field_order = ["name", "uscc", "kind", "legal_person", "staff_count", "address", "grid"]


class PlaceForm(LocatedForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=PlaceKind.choices)
    contact_name = forms.CharField(label=_("Contact"), max_length=50, required=False)

    field_order = ["name", "kind", "contact_name", "address", "grid"]


class VehicleForm(StyledForm):
    plate = forms.CharField(label=_("Number plate"), max_length=12,
                            widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                                          "spellcheck": "false", "placeholder": "川A12345",
                                                          "aria-label": _("Number plate")}))


class TagForm(StyledForm):
    """A care or special group for a person: only the tags the user may see are offered."""

    tag = forms.ChoiceField(label=_("Group"))
    since = forms.DateField(label=_("Since"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                            help_text=_("Leave empty for today."))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, tags=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.tags = {t.code: t for t in tags}
        self.fields["tag"].choices = [("", _("— choose —")), *[(t.code, t.label) for t in tags]]

    def clean(self):
        data = super().clean()
        data["tag_obj"] = self.tags.get(data.get("tag") or "")
        if data.get("tag") and data["tag_obj"] is None:
            self.add_error("tag", _("Choose a group."))
        return data


class PersonEditForm(StyledForm):
    """Name, phone, ethnicity, kind: checked by do_update_person (clean_person), nothing saved on error."""

    name = forms.CharField(label=_("Name"), max_length=50)
    phone = forms.CharField(label=_("New phone"), max_length=20, required=False,
                            help_text=_("Leave empty to keep the phone on record."),
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
    clear_phone = forms.BooleanField(label=_("Remove the phone on record"), required=False)
    ethnicity = forms.ChoiceField(label=_("Ethnicity"), choices=ETHNICITY_OPTIONS)
    kind = forms.ChoiceField(label=_("Kind"), choices=PersonKind.choices)

    def changes(self) -> dict:
        """The fields to hand to do_update_person; the phone (never shown in the clear) only when typed or removed."""
        data = self.cleaned_data
        changes = {k: data[k] for k in ("name", "ethnicity", "kind")}
        if data.get("clear_phone"):
            changes["phone"] = ""
        elif (data.get("phone") or "").strip():
            changes["phone"] = data["phone"].strip()
        return changes
