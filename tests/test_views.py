"""The card's table on a laptop: its columns share the table's width, and each note fits its
column whole or shortened (whole in the column's help). The browser test
``tests/browser/test_card_table.py`` checks the same on screen."""

from __future__ import annotations

import pandas as pd
import pytest

from app import views
from app.text import md

LONG_FEATURE, LONG_VALUE = "merchant_category_cd", "crypto_exchange_withdrawa"  # 20 and 25 characters
#: A narrower table than the Label page's at 1280x720: the Rows page's card (5/9 of its width).
NARROW = 478


def _card(value: str, notes: tuple[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "feature": [LONG_FEATURE, "amount"],
            "value": [value, "(missing)"],
            "percentile": [0.1, 50.0],
            "note": list(notes),
        }
    )


@pytest.mark.parametrize("width", [NARROW, views.LABEL_TABLE])
@pytest.mark.parametrize("value", ["fuel", "united_kingdom", LONG_VALUE])
def test_the_columns_share_a_laptops_table_and_keep_the_names_whole(width, value):
    table = _card(value, ("", "read as the median 19.96"))
    widths = {name: column["width"] for name, column in views.row_table_columns(table, width).items()}
    assert sum(widths.values()) == width  # no sideways scrolling at 1280x720
    assert widths["feature"] >= 16 + 7 * len(LONG_FEATURE)
    need = min(190, 16 + 7 * len(value))  # a narrower table gives up 7 px of a long value's margin
    assert widths["value"] >= (need if width == views.LABEL_TABLE else need - 7)
    assert widths["percentile"] == views.PERCENTILE_WIDTH


def test_the_label_pages_notes_show_whole_beside_a_20_character_feature():
    table = _card("united_kingdom", ("32% of rows (317 of 1,000)", "read as the median 19.96"))
    assert views.fit_notes(table, views.LABEL_TABLE)["note"].tolist() == table["note"].tolist()
    help_text = views.row_table_columns(table, views.LABEL_TABLE)["note"]["help"]
    assert "In full" not in help_text


def test_notes_beside_the_longest_names_are_shortened_and_whole_in_the_help():
    table = _card(LONG_VALUE, ("0.00033% of rows (1 of 300,000)", "read as the median 1234567.891"))
    for width in (NARROW, views.LABEL_TABLE):
        columns = views.row_table_columns(table, width)
        shown = views.fit_notes(table, width)["note"].tolist()
        assert shown[0] in ("0.00033% of rows", "0.00033%"), shown  # the share, never cut
        assert shown[1] in ("median 1234567.891", "median"), shown  # a number is never cut
        assert all(16 + views.NOTE_PX * len(note) <= columns["note"]["width"] for note in shown)
        help_text = columns["note"]["help"]
        assert f"`{LONG_FEATURE}`: {md('0.00033% of rows (1 of 300,000)')}" in help_text  # as text
        assert f"`amount`: {md('read as the median 1234567.891')}" in help_text


def test_without_a_laptops_width_the_notes_column_is_as_wide_as_its_longest_note():
    table = _card(LONG_VALUE, ("0.00033% of rows (1 of 300,000)", "read as the median 1234567.891"))
    note = views.row_table_columns(table)["note"]  # the Rows page's card: it shows the notes whole
    assert note["width"] == 16 + views.NOTE_PX * len("0.00033% of rows (1 of 300,000)")
    assert "In full" not in note["help"]


def test_a_table_without_notes_is_shown_as_it_is():
    table = pd.DataFrame({"feature": ["x"], "value": ["1"], "percentile": [50.0]})
    assert views.fit_notes(table, views.LABEL_TABLE) is table
    assert "note" not in views.row_table_columns(table, views.LABEL_TABLE)
