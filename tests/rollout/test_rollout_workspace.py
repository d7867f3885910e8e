"""Which workspace a rollout moves: the stack's declared one when none is given, and a host for
another workspace refused in one line before any request, by the rule check and plan share
(`client/workspace.py`)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from rollout_support import ENDPOINT, TOKEN, deploy, emulator, live_split, options, synthesize
from servingstack.cli import main
from servingstack.client.workspace import WorkspaceMismatch
from servingstack.rollout import run_rollout

OTHER = "https://other-workspace.cloud.databricks.com"


@pytest.fixture(autouse=True)
def no_workspace_in_the_environment(monkeypatch):
    for name in ("DATABRICKS_HOST", "DATABRICKS_CONFIG_PROFILE", "DATABRICKS_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def test_a_rollout_goes_to_the_workspace_its_stack_declares(tmp_path, monkeypatch):
    with emulator() as emu:
        stack = synthesize(tmp_path / "hosted", host=emu.url)
        deploy(emu, stack)
        emu.reset_request_count()
        with pytest.raises(WorkspaceMismatch, match=f"but --host names {OTHER}: Terraform deploys it to {emu.url}"):
            run_rollout(stack, ENDPOINT, host=OTHER, token=TOKEN, options=options(), echo=lambda _: None)
        monkeypatch.setenv("DATABRICKS_HOST", OTHER)
        refused = CliRunner().invoke(main, ["rollout", "--stack", str(stack), "--endpoint", ENDPOINT, "--token", TOKEN])
        assert refused.exit_code == 2, refused.output
        assert refused.output.count("\n") == 1 and f"but DATABRICKS_HOST names {OTHER}" in refused.output
        assert emu.request_count() == 0 and live_split(emu) == {"v3": 100, "v4": 0}
        monkeypatch.delenv("DATABRICKS_HOST")

        report = run_rollout(stack, ENDPOINT, token=TOKEN, options=options(), echo=lambda _: None)  # no host given
        assert report.host == emu.url and report.exit_code == 0, report.outcome
        assert live_split(emu) == {"v3": 0, "v4": 100}
