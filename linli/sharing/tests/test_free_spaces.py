"""The free-space search and the day's free spans (selectors)."""

from __future__ import annotations

import datetime as dt

import pytest

from linli.sharing import selectors
from linli.sharing.models import BookingStatus, SpaceWindow
from linli.sharing.services import WindowSpec, booking_cancel, space_windows_set
from linli.sharing.tests.conftest import Scene, book, local_at
from linli.sharing.tests.fixtures_parking import big_lot, booking_row  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def numbers(found: list[selectors.FreeSpace]) -> list[str]:
    return [f.space.number for f in found]


def test_only_spaces_whose_window_contains_the_span(parking: Scene) -> None:
    space_windows_set(
        actor=parking.owner_user,
        space=parking.spaces[1],
        windows=[WindowSpec(d, dt.time(8), dt.time(12)) for d in range(7)],
    )
    found = selectors.free_spaces(parking.lot, local_at(1, 9), local_at(1, 11))
    assert numbers(found) == ["A-001", "A-002"]
    assert numbers(selectors.free_spaces(parking.lot, local_at(1, 11), local_at(1, 13))) == [
        "A-001"
    ]


def test_price_is_the_lots_rule(parking: Scene) -> None:
    """5 yuan/hour in 30-minute units: 1 h 10 min = 3 units = 750 fen."""
    found = selectors.free_spaces(parking.lot, local_at(1, 9), local_at(1, 10, 10))
    assert [f.price_fen for f in found] == [750]


def test_live_overlap_hides_a_space_cancelled_frees_it(parking: Scene) -> None:
    booking = book(parking, "wang", local_at(1, 10), local_at(1, 12))
    assert numbers(selectors.free_spaces(parking.lot, local_at(1, 11), local_at(1, 13))) == []
    # touching spans do not overlap
    assert numbers(selectors.free_spaces(parking.lot, local_at(1, 12), local_at(1, 13))) == [
        "A-001"
    ]
    booking_cancel(actor=parking.wang_user, booking=booking)
    assert numbers(selectors.free_spaces(parking.lot, local_at(1, 11), local_at(1, 13))) == [
        "A-001"
    ]


def test_inactive_space_or_lot_is_never_free(parking: Scene) -> None:
    parking.spaces[0].active = False
    parking.spaces[0].save()
    assert selectors.free_spaces(parking.lot, local_at(1, 9), local_at(1, 10)) == []
    parking.spaces[0].active = True
    parking.spaces[0].save()
    parking.lot.active = False
    assert selectors.free_spaces(parking.lot, local_at(1, 9), local_at(1, 10)) == []


def test_free_spans_are_windows_minus_bookings(parking: Scene) -> None:
    book(parking, "wang", local_at(1, 10), local_at(1, 12))
    book(parking, "li", local_at(1, 14), local_at(1, 15, 30))
    spans = selectors.free_spans(parking.lot, local_at(1, 0).date())
    assert [str(s) for s in spans[parking.spaces[0].pk]] == [
        "08:00–10:00",
        "12:00–14:00",
        "15:30–18:00",
    ]
    assert set(spans) == {parking.spaces[0].pk}


def test_no_show_frees_the_rest_of_the_day(parking: Scene) -> None:
    booking_row(
        parking, parking.spaces[0], local_at(-1, 9), local_at(-1, 11), status=BookingStatus.NO_SHOW
    )
    spans = selectors.free_spans(parking.lot, local_at(-1, 0).date())
    assert [str(s) for s in spans[parking.spaces[0].pk]] == ["08:00–18:00"]


def test_windows_in_words(parking: Scene) -> None:
    space_windows_set(
        actor=parking.owner_user,
        space=parking.spaces[1],
        windows=[WindowSpec(d, dt.time(8), dt.time(18)) for d in range(5)]
        + [WindowSpec(5, dt.time(9), dt.time(12))],
    )
    words = selectors.windows_words(list(SpaceWindow.objects.filter(space=parking.spaces[1])))
    assert words == "周一至周五 08:00–18:00；周六 09:00–12:00"
    assert selectors.windows_words(list(parking.spaces[0].windows.all())) == "每天 08:00–18:00"
    assert selectors.windows_words([]) == "未开放共享"


def test_search_at_120_spaces_is_bounded(
    big_lot,  # noqa: F811
    parking: Scene,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    spaces = list(big_lot.spaces.order_by("number"))
    for space in spaces[:40]:
        booking_row(parking, space, local_at(1, 9), local_at(1, 11))
    with django_assert_max_num_queries(4):
        found = selectors.free_spaces(big_lot, local_at(1, 10), local_at(1, 12))
    assert len(found) == 80
    assert found[0].space.number == "B-041"
    with django_assert_max_num_queries(4):
        spans = selectors.free_spans(big_lot, local_at(1, 0).date())
    assert [str(s) for s in spans[spaces[0].pk]] == ["08:00–09:00", "11:00–18:00"]
    assert len(spans) == 120
