"""Which workspace: a stack that declares its provider's host is checked and applied there when no
host is given, and a host given for another workspace is refused with one line (exit 2) before any
request, by `check` and `emulator apply` alike (`client.workspace`, the one rule)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from check_support import CHAT, TOKEN, deploy, write_stack
from servingstack.check import UsageError, run_check
from servingstack.cli import main
from servingstack.cli.check import check
from servingstack.client.workspace import DeclaredWorkspace, WorkspaceMismatch, choose, same_workspace
from servingstack.facts.stackfile import load_stack

OTHER = "https://other-workspace.cloud.databricks.com"


@pytest.mark.parametrize(
    "a, b, same",
    [
        ("https://adb-1.azuredatabricks.net", "https://ADB-1.azuredatabricks.net/", True),
        ("https://adb-1.azuredatabricks.net", "https://adb-1.azuredatabricks.net:443", True),
        ("adb-1.azuredatabricks.net", "https://adb-1.azuredatabricks.net", True),  # the SDK adds https://
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/", True),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8081", False),
        ("https://adb-1.azuredatabricks.net", "http://adb-1.azuredatabricks.net", False),
        ("https://adb-1.azuredatabricks.net", "https://adb-2.azuredatabricks.net", False),
    ],
)
def test_what_names_the_same_workspace(a, b, same):
    assert same_workspace(a, b) is same


def test_the_rule():
    declared = DeclaredWorkspace("prod", "https://prod.cloud.databricks.com", None)
    # Nothing given: the stack's host, as Terraform used it.
    assert choose(declared, None, "--host", None).host == "https://prod.cloud.databricks.com"
    # The same workspace given: kept as given.
    assert choose(declared, "https://PROD.cloud.databricks.com/", "--host", None).host.startswith("https://PROD")
    with pytest.raises(WorkspaceMismatch) as raised:
        choose(declared, OTHER, "DATABRICKS_HOST", None)
    assert str(raised.value).startswith(
        "the stack prod declares host https://prod.cloud.databricks.com (cdk.tf.json provider.databricks), "
        f"but DATABRICKS_HOST names {OTHER}"
    )
    # A profile given is compared once read; a stack without a host leaves the choice to the environment.
    assert choose(declared, None, "--host", "other").profile == "other"
    assert choose(DeclaredWorkspace("dev"), OTHER, "--host", None).host == OTHER
    # A stack that declares only a profile: used when nothing is given.
    assert choose(DeclaredWorkspace("dev", None, "dev-profile"), None, "--host", None).profile == "dev-profile"


def test_the_stack_reader_exposes_the_declared_workspace(tmp_path):
    stack = load_stack(write_stack(tmp_path, provider={"host": "https://a.cloud.databricks.com", "profile": "a"}))
    assert (stack.host, stack.profile, stack.host_reference) == ("https://a.cloud.databricks.com", "a", None)
    referenced = load_stack(write_stack(tmp_path, name="ref", provider={"host": "${var.host}"}))
    assert (referenced.host, referenced.host_reference) == (None, "${var.host}")
    assert load_stack(write_stack(tmp_path, name="plain")).host is None


def test_a_stack_that_declares_its_host_is_checked_there_without_one_given(emu, tmp_path):
    stack = write_stack(tmp_path, provider={"host": emu.url}, chat=CHAT)
    deploy(emu, stack)
    result = CliRunner().invoke(check, ["--stack", str(stack), "--token", TOKEN, "--timeout", "20"])
    assert result.exit_code == 0, result.output
    report = run_check(stack, token=TOKEN, timeout=20, progress="none")
    assert report.host == emu.url and report.exit_code == 0


@pytest.mark.parametrize("how", ["--host", "DATABRICKS_HOST"])
def test_a_host_for_another_workspace_is_refused_in_one_line_before_any_request(emu, tmp_path, monkeypatch, how):
    stack = write_stack(tmp_path, provider={"host": emu.url}, chat=CHAT)
    args = ["--stack", str(stack), "--token", TOKEN, "--timeout", "20"]
    if how == "--host":
        args += ["--host", OTHER]
    else:
        monkeypatch.setenv("DATABRICKS_HOST", OTHER)
    emu.reset_request_count()
    result = CliRunner().invoke(check, args)
    assert result.exit_code == 2
    assert result.output == (
        f"Error: the stack demo declares host {emu.url} (cdk.tf.json provider.databricks), but {how} names "
        f"{OTHER}: Terraform deploys it to {emu.url}; point {how} at that workspace (or unset it), or "
        "synthesize the stack for this one\n"
    )
    assert emu.request_count() == 0
    with pytest.raises(UsageError):
        run_check(stack, host=OTHER, token=TOKEN, timeout=5, progress="none")


def test_a_profile_for_another_workspace_is_refused_once_read(emu, tmp_path, monkeypatch):
    config = tmp_path / "databrickscfg"
    config.write_text(f"[other]\nhost = {OTHER}\ntoken = {TOKEN}\n")
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(config))
    stack = write_stack(tmp_path, provider={"host": emu.url}, chat=CHAT)
    emu.reset_request_count()
    result = CliRunner().invoke(check, ["--stack", str(stack), "--profile", "other", "--timeout", "20"])
    assert result.exit_code == 2
    assert f"but the profile other names {OTHER}" in result.output and result.output.count("\n") == 1
    assert emu.request_count() == 0


def test_the_same_workspace_spelled_otherwise_is_accepted(emu, tmp_path):
    stack = write_stack(tmp_path, provider={"host": emu.url + "/"}, chat=CHAT)
    deploy(emu, stack)
    result = CliRunner().invoke(
        check, ["--stack", str(stack), "--host", emu.url.upper().replace("HTTP://", "http://"), "--token", TOKEN]
    )
    assert result.exit_code == 0, result.output


def test_emulator_apply_follows_the_same_rule(emu, tmp_path, monkeypatch):
    stack = write_stack(tmp_path, provider={"host": emu.url}, chat=CHAT)
    state = ["--state", str(tmp_path / "state.json")]
    applied = CliRunner().invoke(main, ["emulator", "apply", "--stack", str(stack), "--token", TOKEN, *state])
    assert applied.exit_code == 0, applied.output
    assert f"Applying stack demo to {emu.url}" in applied.output
    emu.reset_request_count()
    monkeypatch.setenv("SERVINGSTACK_EMULATOR_URL", "http://127.0.0.1:9")
    refused = CliRunner().invoke(main, ["emulator", "apply", "--stack", str(stack), "--token", TOKEN, *state])
    assert refused.exit_code == 2
    assert refused.output.count("\n") == 1
    assert "but $SERVINGSTACK_EMULATOR_URL names http://127.0.0.1:9" in refused.output
    assert emu.request_count() == 0
    monkeypatch.delenv("SERVINGSTACK_EMULATOR_URL")
    plain = write_stack(tmp_path, name="plain", chat=CHAT)
    missing = CliRunner().invoke(main, ["emulator", "apply", "--stack", str(plain), "--token", TOKEN, *state])
    assert missing.exit_code == 2 and "Missing option '--host'" in missing.output
