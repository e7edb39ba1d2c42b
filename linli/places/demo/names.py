"""Deterministic Chinese personal names for the demo (no Faker at runtime).

Surnames are weighted roughly after the 2020 census ranking, with 马 raised because it is
among the commonest surnames in Ningxia (many Hui families). Given names draw characters
from pools that differ by sex and birth cohort, so an 80-year-old is 秀英 or 建国 and a
child is 梓涵 or 浩宇.
"""

from __future__ import annotations

import itertools
import random

#: (surname, weight); weights are relative frequencies, not percentages.
SURNAMES: list[tuple[str, int]] = [
    ("王", 72), ("李", 70), ("马", 60), ("张", 66), ("刘", 55), ("杨", 40), ("陈", 36),
    ("赵", 24), ("黄", 18), ("周", 17), ("吴", 16), ("徐", 14), ("孙", 13), ("胡", 12),
    ("朱", 11), ("高", 11), ("郭", 11), ("何", 9), ("罗", 8), ("林", 8), ("郑", 8),
    ("梁", 8), ("谢", 7), ("宋", 7), ("唐", 7), ("韩", 7), ("冯", 6), ("于", 6),
    ("董", 6), ("萧", 5), ("程", 5), ("曹", 5), ("袁", 5), ("邓", 5), ("许", 5),
    ("傅", 4), ("沈", 4), ("曾", 4), ("彭", 4), ("吕", 4), ("苏", 4), ("丁", 4),
    ("蒋", 4), ("蔡", 4), ("贾", 4), ("魏", 4), ("薛", 3), ("叶", 3), ("闫", 3),
    ("余", 3), ("潘", 3), ("杜", 3), ("戴", 3), ("夏", 3), ("田", 3), ("任", 3),
    ("姜", 3), ("范", 3), ("方", 3), ("石", 3), ("姚", 3), ("谭", 2), ("廖", 2),
    ("邹", 2), ("熊", 2), ("金", 2), ("陆", 2), ("郝", 2), ("孔", 2), ("白", 3),
    ("崔", 2), ("康", 2), ("毛", 2), ("邱", 2), ("秦", 2), ("江", 2), ("史", 2),
    ("顾", 2), ("侯", 2), ("邵", 2), ("孟", 2), ("龙", 2), ("万", 2), ("段", 2),
    ("雷", 2), ("钱", 2), ("汤", 2), ("尹", 2), ("黎", 1), ("易", 1), ("常", 2),
    ("武", 2), ("乔", 1), ("贺", 2), ("赖", 1), ("龚", 1), ("文", 1), ("海", 2),
    ("纳", 1), ("撒", 1), ("拓", 1), ("欧阳", 1), ("司马", 1),
]  # fmt: skip

#: Given-name characters by (sex, cohort); cohorts: "old" born before 1960, "mid" 1960–1989,
#: "young" 1990 and later.
GIVEN_CHARS: dict[tuple[str, str], str] = {
    ("M", "old"): "建国军华明德福贵祥生富强忠义礼全发金宝荣春山海成文武志有才民",
    ("F", "old"): "秀英兰珍桂凤玉芳华梅淑琴花兰云霞素贞翠萍丽香荣彩琼芝月娥",
    ("M", "mid"): "伟强磊军勇杰涛斌鹏辉刚明超亮波峰林华宁东海平文斌龙飞俊鑫",
    ("F", "mid"): "丽静敏燕艳娟霞芳婷红丹琳娜晶玲洁雪莉慧颖倩萍蓉瑶佳悦",
    ("M", "young"): "浩宇轩然子睿航俊杰博文泽晨阳皓天逸一凡嘉乐铭骏煜奕诚瑞宸",
    ("F", "young"): "涵萱欣怡梓诗雨彤若佳琪语嫣可馨一诺悦汐然晗婉雅妍芮思沐瑶",
}


def cohort(birth_year: int) -> str:
    if birth_year < 1960:
        return "old"
    return "mid" if birth_year < 1990 else "young"


class NameMaker:
    """Draws names from ``rng``; the same seed gives the same sequence of names."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._surnames = [s for s, _ in SURNAMES]
        self._cum = list(itertools.accumulate(w for _, w in SURNAMES))

    def surname(self) -> str:
        return self.rng.choices(self._surnames, cum_weights=self._cum)[0]

    def given(self, sex: str, birth_year: int) -> str:
        pool = GIVEN_CHARS[(sex, cohort(birth_year))]
        single = self.rng.random() < (0.25 if birth_year < 1990 else 0.12)
        if single:
            return self.rng.choice(pool)
        first = self.rng.choice(pool)
        second = self.rng.choice(pool)
        while second == first:
            second = self.rng.choice(pool)
        return first + second

    def full(self, sex: str, birth_year: int, surname: str | None = None) -> str:
        """A full name; pass ``surname`` to keep a family's surname (children take the father's)."""
        return (surname or self.surname()) + self.given(sex, birth_year)
