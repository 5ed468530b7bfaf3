"""RowLink gives, for any row's id, the URL url_for gives: ids at the end of the
address, in its middle or in its query string, with other values and a script root;
it refuses to guess when the address would hold the marker more than once."""

from __future__ import annotations

import pytest
from flask import url_for

from timebank.row_links import _MARKER, RowLink

IDS = [1, 7, 42, 100, 12345678901234]


@pytest.mark.parametrize(
    ("endpoint", "id_name", "values"),
    [
        ("coordinators.queue_detail", "transfer_id", {}),
        ("coordinators.transfers_reverse", "posted_transfer_id", {}),
        ("coordinators.organisation_remove_staff", "membership_id", {"organisation_id": 3}),
        ("coordinators.organisation_remove_staff", "organisation_id", {"membership_id": 918}),
        ("coordinators.queue", "after", {"stage": "confirmation"}),
    ],
)
def test_each_id_gives_what_url_for_gives(app, endpoint, id_name, values):
    for root in ("", "/timebank"):
        with app.test_request_context("/", environ_overrides={"SCRIPT_NAME": root}):
            link = RowLink(endpoint, id_name, **values)
            for row_id in IDS:
                expected = url_for(endpoint, **values, **{id_name: row_id})
                assert link(row_id) == expected
                assert expected.startswith(root + "/coordinators/")


def test_an_address_holding_the_marker_twice_is_refused(app):
    with app.test_request_context("/"), pytest.raises(ValueError, match="does not put after"):
        RowLink("coordinators.queue", "after", before=_MARKER)
