"""Forms of the directory pages (调解组织与调解员名录). They only shape input and offer the choices the user's
area holds; the rules live in services_directory.py, whose FieldErrors the views put back on the fields."""
from django import forms
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wangge.areas.models import Region
from wangge.core.models import User
from wangge.core.roles import Role
from wangge.core.services import FieldErrors, NotAllowed
from wangge.mediation.models import Committee, CommitteeKind, DisputeType, Level, Mediator
from wangge.mediation.services_directory import MEDIATOR_REGION_LEVELS, REGION_LEVEL


class DirectoryForm(forms.Form):
    """Inputs get the page's class; an operation's {field: message} goes on the field it names."""

    def __init__(self, *args, user, obj=None, **kwargs):
        if obj is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = self.initial_of(obj)
        super().__init__(*args, **kwargs)
        self.offer_choices(user, obj)
        for field in self.fields.values():
            if not isinstance(field.widget, forms.CheckboxSelectMultiple):
                field.widget.attrs.setdefault("class", "input")

    def add_errors(self, errors: dict[str, str]):
        for name, message in errors.items():
            self.add_error(name if name in self.fields else None, message)

    def add_operation_error(self, exc):
        """Put an operation's refusal on the fields it names; a missing permission is no form error but a 403."""
        if isinstance(exc, NotAllowed):
            raise PermissionDenied
        self.add_errors(exc.errors if isinstance(exc, FieldErrors) else {exc.field or "__all__": exc.message})

    def values(self) -> dict:
        """The fields to hand to the operation."""
        return dict(self.cleaned_data)


def region_choices(user, levels) -> list[tuple[str, str]]:
    regions = Region.objects.visible_to(user).filter(level__in=levels).order_by("path").only("code", "name", "level")
    return [("", _("— choose —"))] + [(r.code, f"{r.name} ({r.code})") for r in regions]


class CommitteeForm(DirectoryForm):
    # Not "Name"/"Kind": those msgids are a person's (姓名, 人口类型).
    name = forms.CharField(label=_("Name of the committee"), max_length=100)
    kind = forms.ChoiceField(label=_("Type of committee"), choices=CommitteeKind.choices,
                             initial=CommitteeKind.PEOPLES)
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices, initial=Level.COMMUNITY)
    region = forms.ChoiceField(label=_("Region"), help_text=_("The community, street or district it serves; an "
                                                              "industry committee serves the district."))
    dispute_types = forms.MultipleChoiceField(label=_("Dispute types it takes"), choices=DisputeType.choices,
                                              required=False, widget=forms.CheckboxSelectMultiple,
                                              help_text=_("None ticked: any type."))
    phone = forms.CharField(label=_("Public phone"), max_length=32, required=False,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
    address = forms.CharField(label=_("Address"), max_length=200, required=False)

    def offer_choices(self, user, committee):
        self.fields["region"].choices = region_choices(user, set(REGION_LEVEL.values()))

    @staticmethod
    def initial_of(committee: Committee) -> dict:
        return {"name": committee.name, "kind": committee.kind, "level": committee.level,
                "region": committee.region.code, "dispute_types": committee.dispute_types,
                "phone": committee.phone, "address": committee.address}


class MediatorForm(DirectoryForm):
    name = forms.CharField(label=_("Name"), max_length=50)
    region = forms.ChoiceField(label=_("Region"))
    title = forms.CharField(label=pgettext_lazy("job title", "Title"), max_length=50, required=False,
                            help_text=_("Full-time or part-time, lawyer, retired judge …"))
    # Never shown in the clear (a mediator's phone is personal data): typed anew, or removed.
    phone = forms.CharField(label=_("New phone"), max_length=20, required=False,
                            help_text=_("Leave empty to keep the phone on record."),
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
    clear_phone = forms.BooleanField(label=_("Remove the phone on record"), required=False)
    expertise = forms.MultipleChoiceField(label=_("Expertise"), choices=DisputeType.choices, required=False,
                                          widget=forms.CheckboxSelectMultiple)
    languages = forms.CharField(label=_("Languages"), max_length=200, required=False,
                                help_text=_("Separated by commas."))
    committees = forms.MultipleChoiceField(label=_("Committees served"), required=False,
                                           widget=forms.CheckboxSelectMultiple)
    user = forms.ChoiceField(label=_("Login account"), required=False,
                             help_text=_("A mediator account lets them take disputes on the phone pages."))

    def offer_choices(self, user, mediator):
        self.fields["region"].choices = region_choices(user, MEDIATOR_REGION_LEVELS)
        committees = (Committee.objects.visible_to(user).filter(active=True).select_related("region")
                      .order_by("level", "name", "id"))
        self.fields["committees"].choices = [(str(c.pk), c.label) for c in committees]
        accounts = (User.objects.visible_to(user).filter(role=Role.MEDIATOR, is_active=True)
                    .exclude(mediator__isnull=False, mediator__pk__in=Mediator.objects.exclude(
                        pk=getattr(mediator, "pk", None)).values("pk"))
                    .order_by("username"))
        self.fields["user"].choices = [("", _("No account"))] + [
            (str(a.pk), f"{a.full_name or a.username} ({a.username})") for a in accounts]

    @staticmethod
    def initial_of(mediator: Mediator) -> dict:
        return {"name": mediator.name, "region": mediator.region.code, "title": mediator.title,
                "expertise": mediator.expertise, "languages": ", ".join(mediator.languages),
                "committees": [str(pk) for pk in mediator.memberships.values_list("committee_id", flat=True)],
                "user": str(mediator.user_id or "")}

    def values(self) -> dict:
        """The fields to hand to the operation; the phone only when typed or removed."""
        data = dict(self.cleaned_data)
        data["user"] = data.get("user") or None
        clear = data.pop("clear_phone", False)
        data["phone"] = (data.get("phone") or "").strip()
        if not clear and not data["phone"]:
            del data["phone"]
        return data
