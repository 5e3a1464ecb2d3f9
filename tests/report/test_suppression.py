"""Small-number suppression: no carer can be picked out of the demographic tables (K10)."""

from __future__ import annotations

import pytest

from handlers.report import district, suppress


@pytest.mark.parametrize(
    ("counts", "shown"),
    [
        ([0, 5, 12], ["0", "5", "12"]),  # nothing small: shown as it is
        ([1, 2, 3, 4], ["<5", "<5", "<5", "<5"]),  # every number from 1 to 4
        ([4, 5, 9], ["<5", "[c]", "9"]),  # one small cell: the next smallest hidden too
        ([3, 0, 0], ["<5", "0", "0"]),  # no other number to hide: the total says it anyway
        ([3, 2, 20], ["<5", "<5", "20"]),  # two small cells hide each other
        ([0, 0, 0], ["0", "0", "0"]),
        ([7], ["7"]),
        ([2], ["<5"]),
    ],
)
def test_cells_under_five_are_shown_as_less_than_five(counts, shown):
    assert suppress(counts) == shown


def test_a_small_not_given_cell_needs_no_partner():
    # the last cell counts carers who told us nothing: knowing it is 2 reveals nobody
    assert suppress([6, 0, 2], not_given=2) == ["6", "0", "<5"]
    assert suppress([2, 0, 6], not_given=2) == ["<5", "0", "[c]"]


@pytest.mark.parametrize(
    ("place", "counted_as"),
    [
        ("WS1 2AB", "WS1"),
        ("ws1   2ab", "WS1"),
        ("WS12AB", "WS1"),
        ("SW1A 1AA", "SW1A"),
        ("M1", "M1"),
        ("northtown", "Northtown"),
        ("  ", None),
        (None, None),
        ("12 Acacia Avenue", "Other or unclear"),
    ],
)
def test_areas_are_counted_by_postcode_district_or_place_name(place, counted_as):
    assert district(place) == counted_as
