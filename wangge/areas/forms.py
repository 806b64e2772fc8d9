"""What the forms that place a record in a grid share: the grid select and the point's two coordinates."""
from django import forms
from django.utils.translation import gettext_lazy as _

from wangge.areas.models import Level, Region


def grid_choices(user) -> dict:
    """{code: grid} for the grids in the user's area, by code."""
    grids = Region.objects.visible_to(user).filter(level=Level.GRID).order_by("code")
    return {g.code: g for g in grids}


class GridFieldMixin:
    """For a form with a `grid` choice field (by code) and hidden `lng`/`lat` fields."""

    def set_grid_choices(self, user):
        """Offer the user's grids; the only one is chosen already."""
        self.grids = grid_choices(user)
        self.fields["grid"].choices = [("", _("Please choose"))] + [(g.code, g.name) for g in self.grids.values()]
        self.fields["grid"].widget.attrs.update({"class": "input"})
        if len(self.grids) == 1:
            self.fields["grid"].initial = next(iter(self.grids))

    def clean_grid(self):
        code = self.cleaned_data.get("grid")
        if not code:
            return None
        if code not in self.grids:
            raise forms.ValidationError(_("The grid is outside your area"))
        return self.grids[code]

    def point_is_whole(self, data) -> bool:
        """Both coordinates or neither; a half point is an error on `lng`."""
        if (data.get("lng") is None) != (data.get("lat") is None):
            self.add_error("lng", _("Give both longitude and latitude"))
            return False
        return True
