"""What the program cannot say is a comment at the endpoint AND a warning on stderr; plaintext
secrets become placeholders and their values appear nowhere."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner
from databricks.sdk.service.serving import EndpointCoreConfigInput, EndpointTag, ServedEntityInput

from import_support import TOKEN, wait_all_ready
from servingstack.cli import main
from servingstack.deploy.apply import apply_stack
from servingstack.facts.stackfile import load_stack

PLAINTEXT_KEY = "sk-plaintext-0123456789abcdef"
PLAINTEXT_PASSWORD = "hunter2-not-for-files"


def _create(w, name: str, config: dict) -> None:
    w.serving_endpoints.create(name=name, config=EndpointCoreConfigInput.from_dict({**config, "name": name}))


def test_plaintext_secrets_become_placeholders_with_a_comment(emu, w, tmp_path: Path) -> None:
    _create(
        w,
        "chat",
        {
            "served_entities": [
                {
                    "external_model": {
                        "name": "gpt-4o",
                        "provider": "openai",
                        "task": "llm/v1/chat",
                        "openai_config": {"openai_api_key_plaintext": PLAINTEXT_KEY},
                    }
                }
            ]
        },
    )
    _create(
        w,
        "scorer",
        {
            "served_entities": [
                {
                    "name": "v1",
                    "entity_name": "ml.fraud.scorer",
                    "entity_version": "1",
                    "workload_size": "Small",
                    "environment_vars": {"DB_PASSWORD": PLAINTEXT_PASSWORD, "MODE": "fast"},
                }
            ]
        },
    )
    wait_all_ready(w, ["chat", "scorer"])
    out = tmp_path / "adopted.py"

    result = CliRunner().invoke(main, ["import", "--out", str(out), "--host", emu.url, "--token", TOKEN])

    assert result.exit_code == 0, result.output
    source = out.read_text()
    for text in (source, result.output):
        assert PLAINTEXT_KEY not in text and PLAINTEXT_PASSWORD not in text
    assert 'OpenAI(api_key=secret("servingstack-import", "chat-openai_api_key"))' in source
    assert '"DB_PASSWORD": secret("servingstack-import", "scorer-DB_PASSWORD")' in source
    assert '"MODE": "fast"' in source
    # The comment at the endpoint and the warning on stderr both tell what to create.
    assert "databricks secrets put-secret servingstack-import chat-openai_api_key" in " ".join(
        line.strip().lstrip("# ") for line in source.splitlines()
    )
    assert "warning: chat: config.served_entities[0].external_model.openai_config.openai_api_key" in result.stderr
    assert "warning: scorer: config.served_entities[0].environment_vars[DB_PASSWORD]" in result.stderr
    # The placeholders are references, so the program synthesizes without opting into plaintext.
    env = {**os.environ, "CDKTF_OUTDIR": str(tmp_path / "cdktf.out")}
    synth = subprocess.run([sys.executable, str(out)], env=env, capture_output=True, text=True, timeout=240)
    assert synth.returncode == 0, synth.stderr
    assert PLAINTEXT_KEY not in (tmp_path / "cdktf.out" / "stacks" / "imported" / "cdk.tf.json").read_text()


def test_what_cannot_be_declared_is_a_comment_and_a_warning(emu, w, tmp_path: Path) -> None:
    _create(
        w,
        "legacy",
        {
            "served_entities": [
                {
                    "name": "m",
                    "entity_name": "ml.a.b",
                    "entity_version": "1",
                    "workload_size": "Small",
                    "burst_scaling_enabled": True,
                }
            ],
            "auto_capture_config": {"catalog_name": "ml", "schema_name": "capture", "enabled": True},
        },
    )
    wait_all_ready(w, ["legacy"])
    out = tmp_path / "adopted.py"

    result = CliRunner().invoke(main, ["import", "--out", str(out), "--host", emu.url, "--token", TOKEN])

    assert result.exit_code == 0, result.output
    source = out.read_text()
    for path in ("config.served_entities[0].burst_scaling_enabled", "config.auto_capture_config"):
        assert f"# NOTE: {path}" in source
        assert f"warning: legacy: {path}" in result.stderr
    comment_at = source.index("# NOTE: config.auto_capture_config")
    assert comment_at < source.index("legacy = ServingEndpoint(") and comment_at > source.index("# legacy (id ")


def test_a_failed_update_is_imported_from_the_active_config_with_a_warning(emu, w, tmp_path: Path) -> None:
    _create(
        w,
        "scorer",
        {"served_entities": [{"name": "m", "entity_name": "ml.a.b", "entity_version": "1", "workload_size": "Small"}]},
    )
    wait_all_ready(w, ["scorer"])
    emu.fail_deployment(endpoint="scorer")
    w.serving_endpoints.update_config(
        name="scorer",
        served_entities=[ServedEntityInput(name="m", entity_name="ml.a.b", entity_version="2", workload_size="Small")],
    )
    for _ in range(200):
        if w.serving_endpoints.get("scorer").state.config_update.value == "UPDATE_FAILED":
            break
        time.sleep(0.05)
    out = tmp_path / "adopted.py"

    result = CliRunner().invoke(main, ["import", "--out", str(out), "--host", emu.url, "--token", TOKEN])

    assert result.exit_code == 0, result.output
    assert "warning: scorer: the service reports the endpoint READY, UPDATE_FAILED" in result.stderr
    source = out.read_text()
    assert 'CustomModel("ml.a.b", 1, name="m")' in source  # the version that serves, not the failed one
    assert "# NOTE: the service reports the endpoint READY, UPDATE_FAILED" in source


def test_an_endpoint_still_being_created_is_imported_from_its_pending_config(emu, w, tmp_path: Path) -> None:
    emu.never_ready(endpoint="new")
    _create(
        w,
        "new",
        {"served_entities": [{"name": "m", "entity_name": "ml.a.b", "entity_version": "7", "workload_size": "Small"}]},
    )
    out = tmp_path / "adopted.py"

    result = CliRunner().invoke(main, ["import", "--out", str(out), "--host", emu.url, "--token", TOKEN])

    assert result.exit_code == 0, result.output
    assert "warning: new: the endpoint has no active config yet" in result.stderr
    assert 'CustomModel("ml.a.b", 7, name="m")' in out.read_text()


def test_environment_imports_only_its_endpoints_and_says_which_it_skipped(emu, w, tmp_path: Path) -> None:
    llama = {"name": "llm", "entity_name": "system.ai.meta_llama_3_3_70b_instruct", "entity_version": "1"}
    for name in ("prod-chat", "dev-chat", "shared"):
        _create(w, name, {"served_entities": [llama]})
    wait_all_ready(w, ["prod-chat", "dev-chat", "shared"])
    out = tmp_path / "adopted.py"

    result = CliRunner().invoke(
        main,
        [
            "import",
            "--out",
            str(out),
            "--host",
            emu.url,
            "--token",
            TOKEN,
            "--environment",
            "prod",
            "--stack-id",
            "prod",
        ],
    )

    assert result.exit_code == 0, result.output
    assert "skipped dev-chat: its name does not start with prod-" in result.stderr
    assert "skipped shared:" in result.stderr
    source = out.read_text()
    assert f'ServingStack(app, "prod", environment="prod", host="{emu.url}")' in source  # where it was read
    assert 'stack, "chat",\n        name="chat",\n' in source  # construct id and name without the prefix
    assert "dev-chat" not in source and "shared" not in source


def test_an_empty_workspace_gives_an_empty_stack_and_says_so(emu, tmp_path: Path) -> None:
    out = tmp_path / "adopted.py"
    result = CliRunner().invoke(main, ["import", "--out", str(out), "--host", emu.url, "--token", TOKEN])
    assert result.exit_code == 0
    assert "warning: no serving endpoint to import" in result.stderr
    compile(out.read_text(), str(out), "exec")


def test_an_endpoint_without_a_config_is_imported_without_one(emu, w, tmp_path: Path) -> None:
    w.serving_endpoints.create(name="later", tags=[EndpointTag(key="team", value="ml")])
    out = tmp_path / "adopted.py"

    result = CliRunner().invoke(main, ["import", "--out", str(out), "--host", emu.url, "--token", TOKEN])

    assert result.exit_code == 0, result.output
    assert "warning:" not in result.stderr
    source = out.read_text()
    assert 'ServingEndpoint(stack, "later", name="later", tags={"team": "ml"})' in source
    env = {**os.environ, "CDKTF_OUTDIR": str(tmp_path / "cdktf.out")}
    synth = subprocess.run([sys.executable, str(out)], env=env, capture_output=True, text=True, timeout=240)
    assert synth.returncode == 0, synth.stderr
    lines: list[str] = []
    applied = apply_stack(load_stack(tmp_path / "cdktf.out" / "stacks" / "imported"), w, echo=lines.append)
    assert not applied.changed and not applied.failed, "\n".join(lines)
