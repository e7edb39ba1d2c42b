"""Forms of the case pages: they parse and check input, then views call one service.

Limits (description ≤ 4,000 characters, photos JPEG/PNG/WebP ≤ 10 MB) repeat the services'
checks so a bad field is shown beside the field; the services remain the authority.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import AnonymousUser, User
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Case as CaseWhen
from django.db.models import QuerySet, When
from django.db.models.functions import Length

from linli.cases.models import CaseCategory, CaseStatus, CategoryKind
from linli.common.geo import GeoError, LatLng, parse_lat_lng
from linli.people.scoping import scope
from linli.places.models import Area, AreaKind, Building

MAX_DESCRIPTION = 4000
MAX_PHOTO_BYTES = 10 * 1024 * 1024
PHOTO_TYPES = {"JPEG", "PNG", "WEBP", "MPO"}  # MPO: the JPEG variant many phones write

#: "2号楼" before "10号楼": shorter names first, then by text (names are "<n>号楼").
BUILDING_ORDER = (Length("name"), "name")


def categories() -> QuerySet[CaseCategory]:
    """Active categories a person can pick: community matters first, then by code.

    Only leaves and community categories are offered (a top class such as 市容环境 is a
    heading, not something to report).
    """
    community_first = CaseWhen(When(kind=CategoryKind.COMMUNITY, then=0), default=1)
    return (
        CaseCategory.objects.filter(active=True)
        .exclude(children__active=True, kind__in=[CategoryKind.EVENT, CategoryKind.COMPONENT])
        .order_by(community_first, "code")
        .distinct()
    )


class NameChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """Choices labelled by plain name (categories, communities): what people call them."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


def photo_check(photo: UploadedFile | None) -> UploadedFile | None:
    """A photo after Django's ImageField check: size ≤ 10 MB and a photo format.

    Raises:
        forms.ValidationError: too big or not JPEG/PNG/WebP.
    """
    if photo is None:
        return None
    if photo.size and photo.size > MAX_PHOTO_BYTES:
        raise forms.ValidationError(
            "照片不能超过 10 MB（现为 %(mb).1f MB）", params={"mb": photo.size / 1024 / 1024}
        )
    image = getattr(photo, "image", None)
    if image is not None and image.format not in PHOTO_TYPES:
        raise forms.ValidationError("请上传 JPG、PNG 或 WebP 格式的照片")
    return photo


PHOTO_ERRORS = {
    "invalid_image": "请上传照片（JPG、PNG 或 WebP），这个文件不是图片或已损坏",
    # Django's own message lists every extension Pillow knows (70 of them).
    "invalid_extension": "请上传照片（JPG、PNG 或 WebP），不能上传“.%(extension)s”文件",
    "empty": "照片文件是空的",
}
DESCRIPTION_ERRORS = {
    "max_length": "描述不能超过 4000 个字（现有 %(show_value)d 个）",
    "required": "请写几句发生了什么",
}


def location_from(data: dict[str, Any]) -> LatLng | None:
    """WGS-84 point from the hidden ``lat``/``lng`` fields the browser filled (or ``None``).

    Raises:
        forms.ValidationError: one of the two missing or out of range (Chinese message).
    """
    lat, lng = (data.get("lat") or "").strip(), (data.get("lng") or "").strip()
    if not lat and not lng:
        return None
    try:
        return parse_lat_lng(lat, lng)
    except GeoError as exc:
        raise forms.ValidationError(str(exc)) from exc


class WorkerReportForm(forms.Form):
    """A grid worker's report from the phone: category, building or GPS, photo, words."""

    category = NameChoiceField(
        queryset=CaseCategory.objects.none(),
        widget=forms.RadioSelect,
        label="类别",
        error_messages={"required": "请选择事件类别", "invalid_choice": "请选择事件类别"},
    )
    building = forms.ModelChoiceField(
        queryset=Building.objects.none(),
        widget=forms.RadioSelect,
        required=False,
        label="楼栋",
        error_messages={"invalid_choice": "只能选择您网格内的楼栋"},
    )
    lat = forms.CharField(required=False, widget=forms.HiddenInput)
    lng = forms.CharField(required=False, widget=forms.HiddenInput)
    photo = forms.ImageField(required=False, label="照片", error_messages=PHOTO_ERRORS)
    description = forms.CharField(
        required=False,
        max_length=MAX_DESCRIPTION,
        label="补充说明（可不填）",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=DESCRIPTION_ERRORS,
    )

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories()  # type: ignore[attr-defined]
        self.fields["building"].queryset = scope(  # type: ignore[attr-defined]
            Building.objects.select_related("micro_grid"), user, area_field="micro_grid"
        ).order_by("micro_grid__path", *BUILDING_ORDER)

    def clean_photo(self) -> UploadedFile | None:
        return photo_check(self.cleaned_data.get("photo"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            data["point"] = location_from(data)
        except forms.ValidationError as exc:
            self.add_error(None, exc)
            return data
        if not data.get("building") and data["point"] is None and "building" not in self.errors:
            self.add_error("building", "请选择楼栋，或点“使用我的位置”")
        return data


class HotlineIntakeForm(forms.Form):
    """A 12345 hotline transfer typed in by a dispatcher or community staff member."""

    ticket = forms.CharField(
        label="12345 工单号",
        max_length=40,
        required=False,
        help_text="热线系统的工单编号，可不填",
    )
    caller_name = forms.CharField(label="来电人姓名", max_length=50, required=False)
    caller_phone = forms.CharField(label="来电人电话", max_length=20, required=False)
    category = NameChoiceField(
        queryset=CaseCategory.objects.none(),
        label="类别",
        error_messages={"required": "请选择事件类别", "invalid_choice": "请选择事件类别"},
    )
    building = forms.ModelChoiceField(
        queryset=Building.objects.none(),
        required=False,
        label="楼栋",
        error_messages={"invalid_choice": "只能选择您辖区内的楼栋"},
    )
    address = forms.CharField(label="地址", max_length=200, required=False)
    community = forms.ModelChoiceField(
        queryset=Area.objects.none(),
        required=False,
        label="所属社区（只填地址时必选）",
        error_messages={"invalid_choice": "只能选择您辖区内的社区"},
    )
    description = forms.CharField(
        label="诉求内容",
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages=DESCRIPTION_ERRORS,
    )

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories()  # type: ignore[attr-defined]
        self.fields["building"].queryset = scope(  # type: ignore[attr-defined]
            Building.objects.select_related("micro_grid"), user, area_field="micro_grid"
        ).order_by("micro_grid__path", *BUILDING_ORDER)
        self.fields["community"].queryset = scope(  # type: ignore[attr-defined]
            Area.objects.filter(kind="community"), user, area_field=""
        ).order_by("path")

    def clean_caller_phone(self) -> str:
        phone: str = self.cleaned_data.get("caller_phone", "").strip()
        if phone and not phone.replace("-", "").replace(" ", "").isdigit():
            raise forms.ValidationError("电话只能包含数字")
        return phone

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("building") and not data.get("address") and "building" not in self.errors:
            self.add_error("building", "请选择楼栋或填写地址")
        elif not data.get("building") and not data.get("community"):
            self.add_error("community", "只填地址时，请选择所属社区")
        return data


class BoardFilterForm(forms.Form):
    """Filters of the dispatcher board (all optional; bad values are ignored with a message)."""

    area = NameChoiceField(queryset=Area.objects.none(), required=False, label="区域")
    category = NameChoiceField(queryset=CaseCategory.objects.none(), required=False, label="类别")
    status = forms.ChoiceField(required=False, label="状态")
    overdue = forms.BooleanField(required=False, label="只看超时")

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = scope(  # type: ignore[attr-defined]
            Area.objects.filter(
                kind__in=[AreaKind.STREET, AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.MICRO_GRID]
            ),
            user,
            area_field="",
        ).order_by("path")
        self.fields["area"].empty_label = "全部区域"  # type: ignore[attr-defined]
        self.fields["category"].queryset = CaseCategory.objects.filter(active=True)  # type: ignore[attr-defined]
        self.fields["category"].empty_label = "全部类别"  # type: ignore[attr-defined]
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            ("", "待立案和待派遣"),
            ("open", "全部未结案"),
            *CaseStatus.choices,
        ]


class NoteForm(forms.Form):
    note = forms.CharField(
        label="说明",
        max_length=MAX_DESCRIPTION,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages=DESCRIPTION_ERRORS,
    )
    photo = forms.ImageField(required=False, label="照片", error_messages=PHOTO_ERRORS)

    def clean_photo(self) -> UploadedFile | None:
        return photo_check(self.cleaned_data.get("photo"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not data.get("note") and not data.get("photo"):
            self.add_error("note", "请填写说明或添加照片")
        return data


class PublicWhatForm(forms.Form):
    """Step 1 of the resident page: what happened."""

    category = NameChoiceField(
        queryset=CaseCategory.objects.none(),
        widget=forms.RadioSelect,
        label="是什么问题？",
        error_messages={"required": "请选择是什么问题", "invalid_choice": "请选择是什么问题"},
    )
    description = forms.CharField(
        label="请说一说发生了什么",
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages=DESCRIPTION_ERRORS,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Residents get the handful of community matters as big buttons, not the
        # urban-management code tree (a long list is the opposite of age-friendly).
        self.fields["category"].queryset = categories().filter(  # type: ignore[attr-defined]
            open311_public=True, kind=CategoryKind.COMMUNITY
        )


class PublicWhereForm(forms.Form):
    """Step 2: which community (or the phone's location)."""

    community = NameChoiceField(
        queryset=Area.objects.filter(kind=AreaKind.COMMUNITY).order_by("code"),
        label="在哪个社区？",
        required=False,
        error_messages={"invalid_choice": "请选择社区"},
        empty_label="请选择社区",
    )
    lat = forms.CharField(required=False, widget=forms.HiddenInput)
    lng = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            data["point"] = location_from(data)
        except forms.ValidationError as exc:
            self.add_error(None, exc)
            return data
        if data["point"] is None and not data.get("community") and not self.errors:
            self.add_error("community", "请选择社区，或点“用我现在的位置”")
        return data


class PublicBuildingForm(forms.Form):
    """Step 3: the building in that community, or an address in words."""

    building = forms.ModelChoiceField(
        queryset=Building.objects.none(),
        label="在哪栋楼？",
        required=False,
        error_messages={"invalid_choice": "请选择本社区的楼栋"},
    )
    address = forms.CharField(label="或者写下地址", max_length=200, required=False)

    def __init__(self, *args: Any, community: Area | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if community is not None:
            self.fields["building"].queryset = Building.objects.filter(  # type: ignore[attr-defined]
                micro_grid__path__startswith=community.path
            ).order_by(*BUILDING_ORDER)
        self.fields["building"].empty_label = "请选择楼栋"  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("building") and not data.get("address") and not self.errors:
            self.add_error("address", "请选择楼栋，或写下地址")
        return data


class PublicContactForm(forms.Form):
    """Step 4: a phone number for the community to call back (optional)."""

    phone = forms.CharField(label="您的电话（可不填）", max_length=20, required=False)

    def clean_phone(self) -> str:
        phone: str = self.cleaned_data.get("phone", "").strip().replace(" ", "")
        if phone and not (phone.replace("-", "").isdigit() and 7 <= len(phone) <= 20):
            raise forms.ValidationError("电话号码只能是数字，例如 13912345678")
        return phone
