"""Forms of the needs, menu and council pages: they parse; the services validate.

Choices offered are always the acting user's (organisations, communities, menu items
under their areas), so a forged id fails as "not a valid choice" before any service runs.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from linli.activities.models import Activity
from linli.engagement.errors import EngagementError
from linli.engagement.models import (
    CouncilMeeting,
    MenuItem,
    NeedCategory,
    NeedStatus,
    Urgency,
)
from linli.orgs.models import Organization
from linli.places.models import Area, Building

ANY = [("", "全部")]


def add_service_error(form: forms.Form, err: EngagementError) -> None:
    """Show a service error on its field if the form has it, else on top of the form."""
    form.add_error(err.field if err.field in form.fields else None, str(err))


class OrgChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class NeedFilterForm(forms.Form):
    """The needs board's filters (GET); bad values are dropped, never an error page."""

    status = forms.ChoiceField(label="状态", required=False, choices=ANY + NeedStatus.choices)
    category = forms.ChoiceField(label="类别", required=False, choices=ANY + NeedCategory.choices)
    urgency = forms.ChoiceField(label="紧急程度", required=False, choices=ANY + Urgency.choices)
    organization = OrgChoice(
        label="提出单位", required=False, queryset=Organization.objects.none(), empty_label="全部"
    )
    overdue = forms.BooleanField(label="只看超时未受理（3 个工作日）", required=False)
    q = forms.CharField(label="搜索（编号、需求、单位）", required=False, max_length=50)

    def __init__(self, *args: Any, organizations: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]


class NeedForm(forms.Form):
    """A need in the enterprise's words (category, what, how urgent, how many people)."""

    category = forms.ChoiceField(
        label="需求类别", choices=NeedCategory.choices, widget=forms.RadioSelect
    )
    title = forms.CharField(label="需要什么（一句话）", max_length=100)
    description = forms.CharField(
        label="详细说明（时间、地点、要求）",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    urgency = forms.ChoiceField(
        label="紧急程度", choices=Urgency.choices, initial=Urgency.NORMAL, widget=forms.RadioSelect
    )
    headcount = forms.IntegerField(
        label="涉及人数",
        min_value=1,
        max_value=100_000,
        initial=1,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, menu_item: MenuItem | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if menu_item is not None:
            # Ordering from the menu: the category is the item's.
            self.fields["category"].required = False
            self.fields["category"].initial = menu_item.category
            self.fields["title"].initial = menu_item.name


class StaffNeedForm(NeedForm):
    """A need entered by staff on an organisation's behalf (e.g. after a council)."""

    organization = OrgChoice(label="提出单位", queryset=Organization.objects.none())
    council = forms.ModelChoiceField(
        label="在哪次楼事会上提出（可不选）",
        required=False,
        queryset=CouncilMeeting.objects.none(),
        empty_label="不是在楼事会上提出的",
    )
    menu_item = forms.ModelChoiceField(
        label="点单：服务菜单中的服务（可不选）",
        required=False,
        queryset=MenuItem.objects.none(),
        empty_label="不从菜单点单",
    )
    field_order = ["organization", "council", "menu_item"]

    def __init__(
        self,
        *args: Any,
        organizations: QuerySet[Organization],
        councils: QuerySet[CouncilMeeting],
        menu: QuerySet[MenuItem],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]
        self.fields["council"].queryset = councils  # type: ignore[attr-defined]
        self.fields["menu_item"].queryset = menu  # type: ignore[attr-defined]
        self.fields["category"].required = False
        self.fields["category"].widget = forms.Select(
            choices=[("", "请选择"), *NeedCategory.choices]
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("category") and not data.get("menu_item"):
            self.add_error("category", "请选择需求类别")
        return data


class TransitionForm(forms.Form):
    """One move of a need; which fields matter depends on ``to``."""

    to = forms.ChoiceField(choices=NeedStatus.choices, widget=forms.HiddenInput)
    note = forms.CharField(
        label="办理说明", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    declined_reason = forms.CharField(label="未能受理的原因", required=False, max_length=200)
    menu_item = forms.ModelChoiceField(
        label="从服务菜单安排", required=False, queryset=MenuItem.objects.none()
    )
    partner = OrgChoice(
        label="由共建单位提供", required=False, queryset=Organization.objects.none()
    )
    activity = forms.ModelChoiceField(
        label="关联已有活动", required=False, queryset=Activity.objects.none()
    )
    plan_note = forms.CharField(
        label="安排说明", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self,
        *args: Any,
        menu: QuerySet[MenuItem] | None = None,
        partners: QuerySet[Organization] | None = None,
        activities: QuerySet[Activity] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if menu is not None:
            self.fields["menu_item"].queryset = menu  # type: ignore[attr-defined]
        if partners is not None:
            self.fields["partner"].queryset = partners  # type: ignore[attr-defined]
        if activities is not None:
            self.fields["activity"].queryset = activities  # type: ignore[attr-defined]


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="您对办理结果满意吗？",
        coerce=int,
        choices=[
            (5, "★★★★★ 非常满意"),
            (4, "★★★★☆ 满意"),
            (3, "★★★☆☆ 一般"),
            (2, "★★☆☆☆ 不太满意"),
            (1, "★☆☆☆☆ 不满意"),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="还想说的话（可不填）",
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MenuItemForm(forms.Form):
    """A menu item; the fee is entered in yuan and stored in fen."""

    area = forms.ModelChoiceField(label="所属社区", queryset=Area.objects.none())
    name = forms.CharField(label="服务名称", max_length=100)
    category = forms.ChoiceField(label="类别", choices=NeedCategory.choices)
    description = forms.CharField(
        label="服务内容", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    provider = OrgChoice(
        label="提供单位",
        required=False,
        queryset=Organization.objects.none(),
        empty_label="社区提供",
    )
    deliverer = forms.CharField(label="承办人/团队", required=False, max_length=100)
    capacity = forms.IntegerField(label="每次可服务人数", min_value=1, max_value=100_000)
    lead_days = forms.IntegerField(label="需提前天数", min_value=0, max_value=365, initial=7)
    fee_yuan = forms.DecimalField(
        label="费用（元，0 为免费）",
        min_value=Decimal(0),
        max_digits=9,
        decimal_places=2,
        initial=Decimal(0),
    )

    def __init__(
        self,
        *args: Any,
        communities: list[Area],
        providers: QuerySet[Organization],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Area.objects.filter(  # type: ignore[attr-defined]
            pk__in=[c.pk for c in communities]
        )
        self.fields["provider"].queryset = providers  # type: ignore[attr-defined]
        if len(communities) == 1:
            self.fields["area"].initial = communities[0].pk

    @property
    def fee_fen(self) -> int:
        return int(self.cleaned_data["fee_yuan"] * 100)


class CouncilForm(forms.Form):
    """A council meeting; attendees come as one checkbox and one name per organisation
    (``org_<pk>`` / ``person_<pk>``), added for the community's organisations."""

    title = forms.CharField(label="会议名称", max_length=100)
    held_at = forms.DateTimeField(
        label="召开时间",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    venue = forms.CharField(label="地点", required=False, max_length=100)
    buildings = forms.ModelMultipleChoiceField(
        label="楼栋（楼宇群）",
        required=False,
        queryset=Building.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    agenda = forms.CharField(
        label="议程", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    minutes = forms.CharField(
        label="会议纪要", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 6})
    )

    def __init__(
        self,
        *args: Any,
        buildings: QuerySet[Building],
        organizations: list[Organization],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["buildings"].queryset = buildings  # type: ignore[attr-defined]
        self.organizations = organizations
        for org in organizations:
            self.fields[f"org_{org.pk}"] = forms.BooleanField(label=org.name, required=False)
            self.fields[f"person_{org.pk}"] = forms.CharField(
                label=f"{org.name} 参会人", required=False, max_length=50
            )

    def attendee_rows(self) -> list[dict[str, Any]]:
        """Per organisation: its checkbox and name fields, for the template."""
        return [
            {"org": org, "check": self[f"org_{org.pk}"], "person": self[f"person_{org.pk}"]}
            for org in self.organizations
        ]

    def attendees(self) -> list[tuple[Organization, str]]:
        """The ticked organisations with their person's name (after ``is_valid()``)."""
        return [
            (org, self.cleaned_data.get(f"person_{org.pk}", ""))
            for org in self.organizations
            if self.cleaned_data.get(f"org_{org.pk}")
        ]

    @staticmethod
    def initial_for(meeting: CouncilMeeting) -> dict[str, Any]:
        held: dt.datetime = timezone.localtime(meeting.held_at)
        data: dict[str, Any] = {
            "title": meeting.title,
            "held_at": held.strftime("%Y-%m-%dT%H:%M"),
            "venue": meeting.venue,
            "agenda": meeting.agenda,
            "minutes": meeting.minutes,
            "buildings": list(meeting.buildings.values_list("pk", flat=True)),
        }
        for row in meeting.attendance.all():
            data[f"org_{row.organization_id}"] = True
            data[f"person_{row.organization_id}"] = row.person_name
        return data
