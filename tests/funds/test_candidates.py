"""免申即享: candidate claims from a batch run, confirmed in one step."""

from __future__ import annotations

import pytest

from lishui.core.errors import Conflict, ValidationFailed
from lishui.funds import candidates, service
from lishui.funds.models import Claim
from lishui.policy import service as policy
from tests.funds.conftest import YEAR


def _run(world) -> int:
    world.factory.publish_packs()  # batch runs need a published pack
    with world.db.unit_of_work() as s:
        pack = policy.pack_in_force(YEAR, "331102")
        return policy.run_batch(s, world.city, pack, YEAR).id


def test_candidates_from_a_batch_run_then_one_step_confirmation(world):
    ent = world.enterprise()
    no_bank = world.enterprise(bank=False)
    run_id = _run(world)
    with world.db.unit_of_work() as s:
        report = candidates.create_candidates(s, world.city, run_id)
        assert report.created >= 2
    with world.db.unit_of_work() as s:
        again = candidates.create_candidates(s, world.city, run_id)
        assert again.created == 0 and again.skipped_existing == report.created
    with world.db.unit_of_work() as s:
        mine = [c for c in service.my_claims(s, ent) if c.measure_id == "M22"]
        assert len(mine) == 1 and mine[0].state == "candidate" and mine[0].amount.fen == 1_000_000
        claim_id = mine[0].id
        theirs = next(c for c in service.my_claims(s, no_bank) if c.measure_id == "M22").id
    with pytest.raises(ValidationFailed), world.db.unit_of_work() as s:
        candidates.confirm(s, ent, claim_id, account_confirmed=False)
    with world.db.unit_of_work() as s:
        claim = candidates.confirm(s, ent, claim_id, account_confirmed=True)
        assert claim.state == "submitted" and claim.due_on is not None
        assert "M22" in claim.explanation
    with pytest.raises(ValidationFailed) as err, world.db.unit_of_work() as s:
        candidates.confirm(s, no_bank, theirs, account_confirmed=True)
    assert "银行账户" in err.value.message
    with pytest.raises(Conflict), world.db.unit_of_work() as s:
        candidates.confirm(s, ent, claim_id, account_confirmed=True)


def test_flagged_entities_get_no_candidate(world):
    ent = world.enterprise()
    with world.db.unit_of_work() as s:
        service.set_credit_flag(s, world.city, ent.org_id, serious_violation=True, note="严重违法失信")
    run_id = _run(world)
    with world.db.unit_of_work() as s:
        report = candidates.create_candidates(s, world.city, run_id)
        assert report.skipped_flagged >= 1
        assert s.query(Claim).filter(Claim.org_id == ent.org_id).count() == 0
