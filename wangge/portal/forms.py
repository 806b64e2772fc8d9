"""Citizen portal forms. The operations (wangge.cases.services) decide what is valid; these forms only shape
the input and carry the field errors back to the page."""
from django import forms
from django.conf import settings

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
            raise forms.ValidationError(f"最多上传 {MAX_PHOTOS} 张照片 / at most {MAX_PHOTOS} photos")
        return files


def category_choices():
    """Active minors grouped under their active majors: (major name, [(id, minor name), ...])."""
    groups = {}
    for category in Category.objects.filter(active=True, major__active=True).select_related("major"):
        groups.setdefault(category.major, []).append((str(category.pk), category.name))
    return [(f"{major.code} {major.name}", minors) for major, minors in groups.items()]


class ReportForm(forms.Form):
    major = forms.ChoiceField(label="问题大类", required=False)
    category = forms.ChoiceField(label="问题小类", error_messages={
        "required": "请选择问题类别 / choose a category",
        "invalid_choice": "未知事项类别 / unknown category"})
    title = forms.CharField(label="标题", max_length=200, error_messages={
        "required": "请用一句话说明问题 / the title is required"},
        widget=forms.TextInput(attrs={"placeholder": "例如：小区门口垃圾堆放多日未清运"}))
    description = forms.CharField(label="详细描述", required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 4, "placeholder": "时间、具体位置、影响等"}))
    photos = MultipleFileField(label="照片（最多 9 张）",
                               widget=MultipleFileInput(attrs={"accept": "image/*", "multiple": True}))
    address = forms.CharField(label="位置说明", required=False, max_length=200,
                              widget=forms.TextInput(attrs={"placeholder": "例如：玉林北路 12 号门口"}))
    lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    crs = forms.ChoiceField(choices=[(c, c) for c in CRS_NAMES], initial="wgs84", widget=forms.HiddenInput,
                            error_messages={"invalid_choice": "未知坐标系 / unknown coordinate system"})
    reporter_name = forms.CharField(label="姓名（可不填）", required=False, max_length=50)
    reporter_phone = forms.CharField(label="手机号（可不填，用于回访）", required=False, max_length=20,
                                     widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    anonymous = forms.BooleanField(label="匿名反映（不保留姓名和电话）", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = category_choices()
        self.fields["category"].choices = [("", "请选择")] + choices
        self.fields["major"].choices = [("", "全部大类")] + [
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
    code = forms.CharField(label="查询码", max_length=16, error_messages={"required": "请输入查询码"},
                           widget=forms.TextInput(attrs={"class": "input code-input", "autocomplete": "off",
                                                         "autocapitalize": "characters", "spellcheck": "false",
                                                         "placeholder": "10 位查询码"}))

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split()).upper()


RATING_CHOICES = [(Rating.SATISFIED, "满意"), (Rating.BASICALLY, "基本满意"), (Rating.UNSATISFIED, "不满意")]


class RatingForm(forms.Form):
    rating = forms.ChoiceField(label="您对处理结果是否满意", choices=RATING_CHOICES, widget=forms.RadioSelect,
                               error_messages={"required": "请选择满意程度",
                                               "invalid_choice": "评价应为 满意/基本满意/不满意"})
    note = forms.CharField(label="意见建议（可不填）", required=False, max_length=500,
                           widget=forms.Textarea(attrs={"rows": 3, "class": "input"}))


class LocationForm(forms.Form):
    """A point for "find my grid worker" (GET parameters)."""

    lng = forms.FloatField()
    lat = forms.FloatField()
    crs = forms.ChoiceField(choices=[(c, c) for c in CRS_NAMES], required=False)
