"""TopicForm.category is a RadioSelect: the resident form's tiles are its own inputs and
keep the choice when the form comes back with an error."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms

from linli.governance.forms import TopicForm
from linli.governance.models import Topic
from linli.governance.tests.fixtures_topics import *  # noqa: F403
from linli.governance.tests.fixtures_topics import login

pytestmark = pytest.mark.django_db


def test_category_tiles_are_the_fields_radios(rules: Any, neighbour: Any) -> None:
    assert isinstance(TopicForm().fields["category"].widget, forms.RadioSelect)
    _, user = neighbour()
    client = login(user)
    page = client.get("/me/topics/new/").content.decode()
    assert '<label class="tile"><input type="radio" name="category" value="parking"' in page
    assert "<select" not in page
    bad = client.post("/me/topics/new/", {"title": "", "category": "parking"})
    html = bad.content.decode()
    assert bad.status_code == 400 and not Topic.objects.exists()
    assert 'value="parking"' in html and "checked" in html.split('value="parking"')[1][:80]
    none = client.post("/me/topics/new/", {"title": "停车难", "category": ""})
    assert none.status_code == 400 and "请选择类别" in none.content.decode()
    assert not Topic.objects.exists()
