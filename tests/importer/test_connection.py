"""`servingstack import` connects like `servingstack check`: environment, profile or options, and
rides out throttling and server errors within its timeout."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from databricks.sdk.service.serving import EndpointCoreConfigInput

from import_support import TOKEN
from servingstack.cli import main

LLAMA = {"name": "llm", "entity_name": "system.ai.meta_llama_3_3_70b_instruct", "entity_version": "1"}


def _create(w, name: str) -> None:
    w.serving_endpoints.create(
        name=name, config=EndpointCoreConfigInput.from_dict({"name": name, "served_entities": [LLAMA]})
    )


def test_environment_and_profile_credentials_work_and_stay_unprinted(emu, w, tmp_path: Path, monkeypatch) -> None:
    _create(w, "chat")
    monkeypatch.setenv("DATABRICKS_HOST", emu.url)
    monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)
    by_environment = CliRunner().invoke(main, ["import", "--out", str(tmp_path / "a.py")])
    assert by_environment.exit_code == 0, by_environment.output
    assert TOKEN not in by_environment.output and TOKEN not in (tmp_path / "a.py").read_text()

    monkeypatch.delenv("DATABRICKS_HOST")
    monkeypatch.delenv("DATABRICKS_TOKEN")
    profile = tmp_path / "databrickscfg"
    profile.write_text(f"[emu]\nhost = {emu.url}\ntoken = {TOKEN}\n")
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(profile))
    by_profile = CliRunner().invoke(main, ["import", "--out", str(tmp_path / "b.py"), "--profile", "emu"])
    assert by_profile.exit_code == 0, by_profile.output
    assert (tmp_path / "a.py").read_text() == (tmp_path / "b.py").read_text()


def test_throttling_and_server_errors_are_retried(emu, w, tmp_path: Path) -> None:
    _create(w, "chat")
    emu.throttle(2, retry_after=1, scope="control")
    emu.server_errors(2, status=503, scope="control")
    result = CliRunner().invoke(
        main, ["import", "--out", str(tmp_path / "a.py"), "--host", emu.url, "--token", TOKEN, "--timeout", "30"]
    )
    assert result.exit_code == 0, result.output
    assert 'name="chat"' in (tmp_path / "a.py").read_text()


def test_a_workspace_that_keeps_failing_is_a_setup_error_within_the_timeout(emu, w, tmp_path: Path) -> None:
    _create(w, "chat")
    emu.server_errors(1000, status=503, scope="control")
    result = CliRunner().invoke(
        main, ["import", "--out", str(tmp_path / "a.py"), "--host", emu.url, "--token", TOKEN, "--timeout", "2"]
    )
    assert result.exit_code == 2
    assert "did not answer" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "a.py").exists()
