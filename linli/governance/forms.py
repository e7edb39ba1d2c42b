"""Forms of the deliberation pages. They parse; the services validate the rules and their
errors are put back on the form with :func:`add_service_error`."""

from __future__ import annotations

from typing import Any

from django import forms

from linli.governance.errors import GovernanceError
from linli.governance.models import (
    FollowUpStatus,
    ParticipantRole,
    TopicCategory,
    TopicStatus,
)

ANY = [("", "全部")]


def add_service_error(form: forms.Form, err: GovernanceError) -> None:
    """Show a service error on its field if the form has it, else on top of the form."""
    form.add_error(err.field if err.field in form.fields else None, str(err))


class TopicFilterForm(forms.Form):
    """The board's filters (GET); bad values are dropped, never an error page."""

    status = forms.ChoiceField(label="状态", required=False, choices=ANY + TopicStatus.choices)
    category = forms.ChoiceField(label="类别", required=False, choices=ANY + TopicCategory.choices)
    q = forms.CharField(label="编号或标题", required=False, max_length=100)

    def values(self) -> dict[str, str]:
        if not self.is_valid():
            return {"status": "", "category": "", "q": ""}
        return {name: self.cleaned_data.get(name) or "" for name in ("status", "category", "q")}


class TopicForm(forms.Form):
    """Raise a topic (residents: title, category, description)."""

    title = forms.CharField(label="议题（一句话说清楚）", max_length=100)
    category = forms.ChoiceField(
        label="类别", choices=TopicCategory.choices, widget=forms.RadioSelect
    )
    description = forms.CharField(
        label="情况说明", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 5})
    )


class StaffTopicForm(TopicForm):
    """Raise a topic on a resident's behalf (or in one's own name) in a community."""

    community = forms.TypedChoiceField(label="社区", coerce=int)
    case_numbers = forms.CharField(
        label="相关事件编号（可不填，多个用空格或逗号分开）", max_length=500, required=False
    )
    need_numbers = forms.CharField(
        label="相关需求编号（可不填，多个用空格或逗号分开）", max_length=500, required=False
    )
    resident = forms.TypedChoiceField(
        label="提出居民", coerce=int, required=False, empty_value=None, widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, communities: list[Any], found: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = [(c.pk, c.name) for c in communities]  # type: ignore[attr-defined]
        self.fields["resident"].choices = [("", "不代居民（以我的名义）")] + [  # type: ignore[attr-defined]
            (r.pk, f"{r.name} · {r.area.name}") for r in found
        ]


class ReasonForm(forms.Form):
    reason = forms.CharField(label="理由", max_length=200, required=False)


class ScheduleForm(forms.Form):
    meeting = forms.TypedChoiceField(label="列入哪次议事会", coerce=int)
    reason = forms.CharField(
        label="提前上会的理由（附议未达门槛时必填）", max_length=200, required=False
    )

    def __init__(self, *args: Any, meetings: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["meeting"].choices = [  # type: ignore[attr-defined]
            (m.pk, f"{m.title}（{m.starts_at:%Y-%m-%d}）") for m in meetings
        ]


class SupportForm(forms.Form):
    resident = forms.IntegerField(label="居民", widget=forms.HiddenInput)
    comment = forms.CharField(label="意见", max_length=200, required=False)


class MeetingForm(forms.Form):
    community = forms.TypedChoiceField(label="社区", coerce=int)
    title = forms.CharField(label="会议名称", max_length=100)
    starts_at = forms.DateTimeField(
        label="召开时间",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    venue = forms.TypedChoiceField(
        label="场地（社区场地，可不选）", coerce=int, required=False, empty_value=None
    )
    place = forms.CharField(label="地点（不选场地时填写）", max_length=100, required=False)
    agenda = forms.CharField(
        label="议程", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(
        self, *args: Any, communities: list[Any], venues: list[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = [(c.pk, c.name) for c in communities]  # type: ignore[attr-defined]
        self.fields["venue"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (v.pk, f"{v.name}（{v.area.name}）") for v in venues
        ]


class ParticipantForm(forms.Form):
    role = forms.ChoiceField(label="身份", choices=ParticipantRole.choices)
    name = forms.CharField(label="姓名", max_length=50)


class HoldForm(forms.Form):
    minutes = forms.CharField(label="会议纪要", widget=forms.Textarea(attrs={"rows": 6}))
    absent = forms.TypedMultipleChoiceField(
        label="缺席的参会人", required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, participants: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["absent"].choices = [(p.pk, str(p)) for p in participants]  # type: ignore[attr-defined]


class DecisionForm(forms.Form):
    topic = forms.TypedChoiceField(label="议题", coerce=int, required=False, empty_value=None)
    text = forms.CharField(label="决议内容", widget=forms.Textarea(attrs={"rows": 4}))
    owners = forms.TypedMultipleChoiceField(
        label="责任人", coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    owner_orgs = forms.TypedMultipleChoiceField(
        label="责任单位", coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    deadline = forms.DateField(label="完成期限", widget=forms.DateInput(attrs={"type": "date"}))
    votes_for = forms.IntegerField(label="赞成", required=False, min_value=0)
    votes_against = forms.IntegerField(label="反对", required=False, min_value=0)
    votes_abstain = forms.IntegerField(label="弃权", required=False, min_value=0)

    def __init__(
        self, *args: Any, topics: list[Any], staff: list[Any], orgs: list[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = [("", "（不针对某个议题）")] + [  # type: ignore[attr-defined]
            (t.pk, f"{t.number} {t.title}") for t in topics
        ]
        self.fields["owners"].choices = [  # type: ignore[attr-defined]
            (u.pk, u.get_full_name() or u.username) for u in staff
        ]
        self.fields["owner_orgs"].choices = [(o.pk, o.name) for o in orgs]  # type: ignore[attr-defined]


class FollowUpForm(forms.Form):
    title = forms.CharField(label="落实事项", max_length=100)
    due = forms.DateField(label="期限", widget=forms.DateInput(attrs={"type": "date"}))
    owner = forms.TypedChoiceField(label="责任人", coerce=int, required=False, empty_value=None)
    owner_org = forms.TypedChoiceField(
        label="责任单位", coerce=int, required=False, empty_value=None
    )
    case = forms.CharField(label="关联事件编号（可不填）", max_length=24, required=False)

    def __init__(self, *args: Any, staff: list[Any], orgs: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (u.pk, u.get_full_name() or u.username) for u in staff
        ]
        self.fields["owner_org"].choices = [("", "—")] + [(o.pk, o.name) for o in orgs]  # type: ignore[attr-defined]


class ProgressForm(forms.Form):
    status = forms.ChoiceField(label="进度", choices=FollowUpStatus.choices)
    note = forms.CharField(label="进展说明", max_length=300)
