"""Template filters that put the stored English codes of governance records into Chinese.

``{% load governance_words %}`` then ``{{ e.to_status|topic_status }}`` (a
:class:`~linli.governance.models.TopicStatus` value → its label, ``""`` → ``"—"``) and
``{{ e.action|vote_action }}`` (a :class:`~linli.governance.models.VoteEvent` ``action`` →
its label from :data:`VOTE_ACTIONS`; an unknown code is shown as it is).
"""

from __future__ import annotations

from django import template

from linli.governance.models import TopicStatus

register = template.Library()

#: The ``action`` codes :mod:`linli.governance.voting` writes on a ``VoteEvent``.
VOTE_ACTIONS = {
    "cancelled": "取消",
    "closed": "截止",
    "counted": "计票",
    "created": "创建",
    "paper_tally": "录入纸质票",
    "published": "发布",
    "updated": "修改",
}


@register.filter
def topic_status(value: str) -> str:
    """The Chinese label of a topic status code; ``"—"`` for none."""
    if not value:
        return "—"
    try:
        return str(TopicStatus(value).label)
    except ValueError:
        return value


@register.filter
def vote_action(value: str) -> str:
    """The Chinese label of a vote event's action code."""
    return VOTE_ACTIONS.get(value, value)
