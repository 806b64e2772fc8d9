"""Citizen portal forms. The operations (wangge.cases.services) decide what is valid; these forms only shape
the input and carry the field errors back to the page."""
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from wangge.areas.crs import CRS_NAMES
from wangge.cases.models import Category, MajorCategory, Rating

MAX_PHOTOS = settings.WANGGE_PHOTO_MAX_COUNT


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Up to MAX_PHOTOS files; their content is checked by wangge.cases.photos when they are stored."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(_("Upload at most %(limit)s photos") % {"limit": MAX_PHOTOS})
        return files


def category_choices():
    """Active minors grouped under their active majors: (major name, [(id, minor name), ...])."""
    groups = {}
    for category in Category.objects.filter(active=True, major__active=True).select_related("major"):
        groups.setdefault(category.major, []).append((str(category.pk), category.name))
    return [(f"{major.code} {major.name}", minors) for major, minors in groups.items()]


class PointFields(forms.Form):
    """Where the citizen points: the map's or the phone's position (hidden inputs set by portal/_where.html), in
    the coordinate system `crs` names."""

    lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    crs = forms.ChoiceField(choices=[(c, c) for c in CRS_NAMES], initial="wgs84", widget=forms.HiddenInput,
                            error_messages={"invalid_choice": _("Unknown coordinate system")})


class ReportForm(PointFields):
    major = forms.ChoiceField(label=_("Problem category"), required=False)
    category = forms.ChoiceField(label=_("Problem"), error_messages={
        "required": _("Choose a category"),
        "invalid_choice": _("Unknown category")})
    title = forms.CharField(label=_("Title"), max_length=200, error_messages={
        "required": _("The title is required")},
        widget=forms.TextInput(attrs={"placeholder": _("e.g. rubbish piled at the estate gate for days")}))
    description = forms.CharField(label=_("Details"), required=False, max_length=2000,
                                  widget=forms.Textarea(
                                      attrs={"rows": 4, "placeholder": _("When, exactly where, what it affects")}))
    photos = MultipleFileField(label=_("Photos (at most 9)"),
                               widget=MultipleFileInput(attrs={"accept": "image/*", "multiple": True,
                                                               # shrunk on the phone (photo_shrink.js)
                                                               "data-shrink-photos": "2048"}))
    address = forms.CharField(label=_("Where exactly"), required=False, max_length=200,
                              widget=forms.TextInput(
                                  attrs={"placeholder": _("e.g. at the gate of No. 12 Yulin North Road")}))
    reporter_name = forms.CharField(label=_("Name (optional)"), required=False, max_length=50)
    reporter_phone = forms.CharField(label=_("Mobile number (optional, for a call back)"), required=False,
                                     max_length=20,
                                     widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    anonymous = forms.BooleanField(label=_("Report anonymously (no name or phone kept)"), required=False)
    # The form's one-time key (a double tap, a retry after a lost answer, a report sent later from the phone's
    # offline queue: the same key answers the case the first submit made). Random, made by the page or the phone.
    submission_key = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = category_choices()
        self.fields["category"].choices = [("", _("Please choose"))] + choices
        self.fields["major"].choices = [("", _("All kinds"))] + [
            (m.code, m.name) for m in MajorCategory.objects.filter(active=True, minors__active=True).distinct()]
        for name in ("title", "description", "address", "reporter_name", "reporter_phone"):
            self.fields[name].widget.attrs.setdefault("class", "input")
        for name in ("major", "category"):
            self.fields[name].widget.attrs["class"] = "input"
        self.fields["photos"].widget.attrs["class"] = "input"

    def clean(self):
        data = super().clean()
        if data.get("anonymous"):
            data["reporter_name"], data["reporter_phone"] = "", ""
        return data


class TrackForm(forms.Form):
    code = forms.CharField(label=_("Tracking code"), max_length=16,
                           error_messages={"required": _("Enter the tracking code")},
                           widget=forms.TextInput(attrs={"class": "input code-input", "autocomplete": "off",
                                                         "autocapitalize": "characters", "spellcheck": "false",
                                                         "placeholder": _("10-character tracking code")}))

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split()).upper()


RATING_CHOICES = Rating.choices  # the labels are the model's (one source)


class RatingForm(forms.Form):
    rating = forms.ChoiceField(label=_("Are you satisfied with the result"), choices=RATING_CHOICES,
                               widget=forms.RadioSelect,
                               error_messages={"required": _("Choose how satisfied you are"),
                                               "invalid_choice": _("The rating must be satisfied, basically "
                                                                   "satisfied or unsatisfied")})
    note = forms.CharField(label=_("Comments (optional)"), required=False, max_length=500,
                           widget=forms.Textarea(attrs={"rows": 3, "class": "input"}))


class LocationForm(forms.Form):
    """A point for "find my grid worker" (GET parameters)."""

    lng = forms.FloatField()
    lat = forms.FloatField()
    crs = forms.ChoiceField(choices=[(c, c) for c in CRS_NAMES], required=False)
