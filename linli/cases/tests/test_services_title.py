"""The automatic case title: "<category>：<summary>" cut at a sensible place, "…" when cut."""

from __future__ import annotations

import pytest

from linli.cases.models import Case
from linli.cases.tests.lifecycle import report
from linli.cases.text import text_summary

pytestmark = pytest.mark.django_db


def test_a_short_description_is_the_whole_title_without_ellipsis(areas) -> None:
    case = report(areas["micro_grid"], description="楼上深夜装修，噪音很大")

    assert case.title == "噪音扰民：楼上深夜装修，噪音很大"


def test_a_long_description_is_cut_after_punctuation_with_an_ellipsis(areas) -> None:
    description = (
        "3号楼2单元楼道的水管从昨天晚上开始一直在漏水，已经流到了一楼的电梯厅里面，请尽快处理"
    )

    case = report(areas["micro_grid"], description=description)

    assert case.title == "噪音扰民：3号楼2单元楼道的水管从昨天晚上开始一直在漏水…"


def test_a_room_number_is_not_cut_in_two(areas) -> None:
    description = "住户反映地下车库长期被占用停放电动车的几户人家房间号是1502室的业主"

    case = report(areas["micro_grid"], description=description)

    assert case.title.endswith("房间号是…")  # not "房间号是150…"


def test_line_breaks_become_spaces_and_a_break_is_a_place_to_cut() -> None:
    text = "3号楼2单元1502室独居老人王大爷两天没出门\n敲门无人应答，电话也打不通"

    assert text_summary(text, limit=30) == "3号楼2单元1502室独居老人王大爷两天没出门…"


def test_a_word_longer_than_half_the_summary_is_cut_at_the_limit() -> None:
    assert text_summary("请处理" + "A" * 40, limit=30) == "请处理" + "A" * 27 + "…"


def test_the_title_stays_within_the_model_limit(areas) -> None:
    case = report(areas["micro_grid"], description="噪" * 4000)

    limit = Case._meta.get_field("title").max_length
    assert limit is not None and len(case.title) <= limit
    assert case.title == "噪音扰民：" + "噪" * 30 + "…"
