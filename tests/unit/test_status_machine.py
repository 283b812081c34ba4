"""The application status machine, row by row: every (status, action) pair is either in the table
or illegal (409)."""

from __future__ import annotations

import itertools

import pytest

from chalicelib.applications.status import Action, IllegalTransition, Status, next_status
from chalicelib.errors import Conflict

LEGAL = {
    ("submitted", "approve"): "approved",
    ("submitted", "return"): "returned",
    ("submitted", "reject"): "rejected",
    ("submitted", "refer"): "referred",
    ("referred", "judge"): "judged",
    ("judged", "approve"): "approved",
    ("judged", "return"): "returned",
    ("judged", "reject"): "rejected",
    ("judged", "refer"): "referred",
    ("returned", "resubmit"): "submitted",
    ("returned", "reject"): "rejected",
}

ALL_PAIRS = list(itertools.product([s.value for s in Status], [a.value for a in Action]))


@pytest.mark.parametrize("status,action", ALL_PAIRS)
def test_every_pair(status, action):
    if (status, action) in LEGAL:
        assert next_status(status, action) == Status(LEGAL[(status, action)])
    else:
        with pytest.raises(IllegalTransition) as info:
            next_status(status, action)
        assert isinstance(info.value, Conflict)
        assert "できません" in info.value.message


def test_final_states_have_no_way_out():
    for final in ("approved", "rejected"):
        for action in Action:
            with pytest.raises(IllegalTransition):
                next_status(final, action)


def test_unknown_values_are_illegal_not_crashes():
    with pytest.raises(IllegalTransition):
        next_status("bogus", "approve")
    with pytest.raises(IllegalTransition):
        next_status("submitted", "bogus")
