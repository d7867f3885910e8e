"""Synthesize apps in-process (one jsii kernel for the session) and load their Terraform JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def synth(tmp_path: Path) -> Callable[[Callable[[object], None]], dict[str, dict]]:
    """`synth(build)` -> {stack name: parsed cdk.tf.json}."""
    from servingstack.cdk import engine as _cdk

    def run(build: Callable[[object], None]) -> dict[str, dict]:
        outdir = tmp_path / "cdktf.out"
        app = _cdk.App(outdir=str(outdir))
        build(app)
        app.synth()
        return {p.parent.name: json.loads(p.read_text()) for p in outdir.glob("stacks/*/cdk.tf.json")}

    return run


@pytest.fixture
def one_stack(synth):
    """`one_stack(lambda stack: ...)` -> the JSON of a single `ServingStack("dev", environment="dev")`."""
    from servingstack import ServingStack

    def run(fill, **stack_props):
        stack_props.setdefault("environment", "dev")
        return synth(lambda app: fill(ServingStack(app, "dev", **stack_props)))["dev"]

    return run
