"""Fixtures for the policy tests that synthesize (jsii): the example app, synthesized once."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).parent))  # policy_support
sys.path.insert(0, str(ROOT))  # main.py, the example app


@pytest.fixture(scope="session")
def example(tmp_path_factory) -> Path:
    """The example's cdktf.out, synthesized through `synthesize` like `make synth` does."""
    import main

    from servingstack import synthesize

    outdir = tmp_path_factory.mktemp("example") / "cdktf.out"
    assert synthesize(main.build, outdir) == 0
    return outdir
