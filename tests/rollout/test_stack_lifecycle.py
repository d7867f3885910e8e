"""A stack's life around rollouts, applied with `servingstack emulator apply` as Terraform plans under
`ignore_changes` on each route: the candidate and its rollout arrive in one apply; every later apply
keeps the live split; after a rollout, removing the old version and the rollout is one apply; the
next rollout is another (in the same apply the kept routes name an entity that is gone, and the
service refuses it). The checker takes the rollout's split as a note, not drift."""

from __future__ import annotations

import pytest

from rollout_support import ENDPOINT, TOKEN, emulator, live_split, set_split, synthesize
from servingstack.check import run_check
from servingstack.deploy.apply import apply_stack
from servingstack.facts.stackfile import load_stack


@pytest.fixture(scope="module")
def versions(tmp_path_factory):
    root = tmp_path_factory.mktemp("versions")
    return {
        "v3": synthesize(root / "v3", entities=("v3",), rollout=False),
        "v3-to-v4": synthesize(root / "v3-to-v4"),
        "v4": synthesize(root / "v4", entities=("v4",), rollout=False),
        "v4-to-v5": synthesize(root / "v4-to-v5", entities=("v4", "v5")),
    }


def _apply(emu, stack_dir):
    lines: list[str] = []
    result = apply_stack(load_stack(stack_dir), emu.client(), echo=lines.append)
    (change,) = [c for c in result.changes if c.target == ENDPOINT]
    return change


def _entities(emu) -> list[str]:
    return [e.name for e in emu.client().serving_endpoints.get(ENDPOINT).config.served_entities]


def test_a_stack_through_two_rollouts(versions):
    with emulator() as emu:
        _apply(emu, versions["v3"])
        assert live_split(emu) == {"v3": 100}
        # The candidate and its rollout in one apply: the new route is planned from the stack.
        change = _apply(emu, versions["v3-to-v4"])
        assert change.action == "updated" and change.details[0] == "config"
        assert (_entities(emu), live_split(emu)) == (["v3", "v4"], {"v3": 100, "v4": 0})
        # The rollout moves the traffic; applies keep it.
        for percent in (20, 100):
            set_split(emu, percent)
            change = _apply(emu, versions["v3-to-v4"])
            assert change.action == "unchanged"
            assert live_split(emu) == {"v3": 100 - percent, "v4": percent}
        # Done: the next rollout in the same apply as removing v3 is refused (the kept routes name v3).
        change = _apply(emu, versions["v4-to-v5"])
        assert change.action == "failed"
        assert change.error is not None and change.error.startswith("INVALID_PARAMETER_VALUE")
        assert "'v3' is not a served entity" in change.error
        assert live_split(emu) == {"v3": 0, "v4": 100}
        # Remove v3 and the rollout: the split the stack then declares is the live one.
        change = _apply(emu, versions["v4"])
        assert change.action == "updated"
        assert (_entities(emu), live_split(emu)) == (["v4"], {"v4": 100})
        # The next rollout, in a later apply.
        change = _apply(emu, versions["v4-to-v5"])
        assert change.action == "updated"
        assert (_entities(emu), live_split(emu)) == (["v4", "v5"], {"v4": 100, "v5": 0})


def test_the_checker_notes_the_rollouts_split_without_failing(versions):
    with emulator() as emu:
        _apply(emu, versions["v3-to-v4"])
        set_split(emu, 20)
        report = run_check(versions["v3-to-v4"], host=emu.url, token=TOKEN, timeout=30, progress="none")
        (endpoint,) = report.endpoints
        assert endpoint.drift.status == "pass", endpoint.drift
        assert {(d.field, d.declared, d.live, d.severity) for d in endpoint.differences} == {
            ("traffic[v3]", 100, 80, "note"),
            ("traffic[v4]", 0, 20, "note"),
        }
