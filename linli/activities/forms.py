"""Forms of the resident activity pages: register (for whom), cancel, feedback.

Messages are Chinese and plain; the views show them above the form with a ⚠ sign.
"""

from __future__ import annotations

from django import forms

STARS = [(n, "★" * n + "☆" * (5 - n) + f" {n} 星") for n in range(5, 0, -1)]


class RegisterForm(forms.Form):
    """Who to register (a resident id among those the page offered) and a one-time token
    so a double tap registers once."""

    who = forms.IntegerField(
        min_value=1, error_messages={"required": "请选择为谁报名", "invalid": "请选择为谁报名"}
    )
    token = forms.CharField(max_length=64, required=False)


class CancelForm(forms.Form):
    reason = forms.CharField(label="取消原因（可不填）", max_length=200, required=False)


class FeedbackForm(forms.Form):
    """1–5 stars and an optional comment (at most 500 characters)."""

    rating = forms.TypedChoiceField(
        label="评分",
        choices=STARS,
        coerce=int,
        error_messages={
            "required": "请选择评分（1 到 5 星）",
            "invalid_choice": "评分应为 1 到 5 星",
        },
    )
    comment = forms.CharField(
        label="您的意见（可不填）",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "意见最多 500 字"},
    )
