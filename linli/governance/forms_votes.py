"""Forms of the vote pages: create a vote, enter paper ballots, tally, cancel, vote."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from linli.governance.errors import GovernanceError
from linli.governance.models import MajorityRule, VoteScope
from linli.places.models import Area

OPTIONS_HINT = "每行一个选项，如“同意”“不同意”；2 至 10 项"


class VoteForm(forms.Form):
    """A new vote. ``communities`` are the ones the user manages."""

    area = forms.ModelChoiceField(label="社区", queryset=Area.objects.none(), empty_label=None)
    title = forms.CharField(label="表决事项", max_length=100)
    question = forms.CharField(label="表决内容", widget=forms.Textarea(attrs={"rows": 4}))
    options = forms.CharField(
        label="选项", help_text=OPTIONS_HINT, widget=forms.Textarea(attrs={"rows": 4})
    )
    with_abstain = forms.BooleanField(label="设“弃权”选项", required=False, initial=True)
    scope = forms.ChoiceField(label="计票单位", choices=VoteScope.choices, widget=forms.RadioSelect)
    quorum_percent = forms.IntegerField(label="参与率要求（%）", min_value=0, max_value=100)
    majority = forms.ChoiceField(label="通过规则", choices=MajorityRule.choices)
    secret = forms.BooleanField(label="无记名投票（只记录谁参与，不记录投了什么）", required=False)
    opens_at = forms.DateTimeField(
        label="开始时间", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    closes_at = forms.DateTimeField(
        label="截止时间", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args: Any, communities: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"quorum_percent": 50, "scope": VoteScope.HOUSEHOLD})
        super().__init__(*args, **kwargs)
        if communities is not None:
            self.fields["area"].queryset = communities  # type: ignore[attr-defined]

    def spec(self) -> dict[str, Any]:
        """The cleaned data as keyword arguments of ``vote_create`` (without actor, area)."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "question": data["question"],
            "options": data["options"].splitlines(),
            "with_abstain": data["with_abstain"],
            "scope": data["scope"],
            "quorum_percent": data["quorum_percent"],
            "majority": data["majority"],
            "secret": data["secret"],
            "opens_at": timezone.make_aware(data["opens_at"])
            if timezone.is_naive(data["opens_at"])
            else data["opens_at"],
            "closes_at": timezone.make_aware(data["closes_at"])
            if timezone.is_naive(data["closes_at"])
            else data["closes_at"],
        }


class CancelForm(forms.Form):
    reason = forms.CharField(label="取消理由", max_length=200)


class BallotForm(forms.Form):
    """One choice among the vote's options (ids as strings)."""

    option = forms.TypedChoiceField(label="您的选择", coerce=int, widget=forms.RadioSelect)

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["option"].choices = choices  # type: ignore[attr-defined]
        self.fields["option"].error_messages["required"] = "请选择一项"
        self.fields["option"].error_messages["invalid_choice"] = "请选择本次表决的一个选项"


def tally_counts(data: Any, option_ids: list[int]) -> dict[int, int]:
    """``count_<option id>`` fields → ``{option id: n}`` (blank = 0).

    Raises:
        GovernanceError: a count that is not a whole number ≥ 0.
    """
    counts: dict[int, int] = {}
    for pk in option_ids:
        raw = (data.get(f"count_{pk}") or "").strip()
        if not raw:
            continue
        if not raw.isdigit():
            raise GovernanceError("票数必须是不小于 0 的整数", field="counts")
        counts[pk] = int(raw)
    return counts


def add_service_error(form: forms.Form, err: GovernanceError) -> None:
    """Show a service error on its field when the form has it, else on the whole form."""
    form.add_error(err.field if err.field in form.fields else None, str(err))
