"""The device form (add and edit). It only shapes input: the rules are `services_devices.clean_device`, whose
FieldErrors go back beside the fields they name."""
from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wangge.registry.forms import StyledForm
from wangge.sensing.models import CameraClass, DeviceKind, DeviceState

CRS_CHOICES = (("wgs84", "WGS-84"), ("gcj02", pgettext_lazy("coordinate system", "GCJ-02 (AMap, Tencent)")),
               ("bd09", pgettext_lazy("coordinate system", "BD-09 (Baidu)")))
ERROR_FIELD = {"location": "lng", "grid": "lng"}


class DeviceForm(StyledForm):
    code = forms.CharField(label=_("Device code"), max_length=32,
                           help_text=_("Cameras: the 20-digit GB/T 28181 code. Others: letters, digits, dots, dashes."))
    kind = forms.ChoiceField(label=pgettext_lazy("device", "Kind"), choices=DeviceKind.choices)
    name = forms.CharField(label=pgettext_lazy("device", "Name"), max_length=100)
    building = forms.IntegerField(label=_("Building number"), required=False, min_value=1,
                                  help_text=_("The building's number in the registry (its page's address)."))
    place = forms.IntegerField(label=_("Place number"), required=False, min_value=1)
    lng = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    lat = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    crs = forms.ChoiceField(label=_("Coordinate system"), choices=CRS_CHOICES, initial="wgs84")
    maintainer = forms.CharField(label=_("Owner / maintainer"), max_length=100, required=False)
    installed_on = forms.DateField(label=_("Installed on"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    camera_class = forms.ChoiceField(label=_("Camera class"), required=False,
                                     choices=[("", "—"), *CameraClass.choices])
    storage_days = forms.IntegerField(label=_("Storage (days)"), required=False, min_value=1, max_value=3650)
    play_url = forms.CharField(label=_("Play URL"), max_length=500, required=False,
                               help_text=_("The district video platform's http(s) address of this camera."))
    timeout_seconds = forms.IntegerField(label=_("Offline after (seconds)"), required=False, min_value=10,
                                         max_value=7 * 24 * 3600, help_text=_("Blank: the kind's default."))

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["code"]

    def add_operation_error(self, exc, fallback=None):
        errors = getattr(exc, "errors", None) or {exc.field or "__all__": exc.message}
        self.add_errors({ERROR_FIELD.get(name, name): message for name, message in errors.items()}, fallback)


class StateForm(StyledForm):
    state = forms.ChoiceField(label=_("State"), choices=DeviceState.choices)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class OpenCameraForm(StyledForm):
    reason = forms.CharField(label=_("Why you open the video"), max_length=200)
