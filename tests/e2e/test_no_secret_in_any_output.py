"""No output of the product carries the token or a plaintext secret: the synth's messages,
the emulator's answers, `emulator apply`, and every report of `servingstack check`,
passing and failing. Only the synthesized stack holds the plaintext key, because the
endpoint opted in to it loudly."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys

from databricks.sdk.service.serving import ServedEntityInput

from servingstack import (
    AiGateway,
    Anthropic,
    CustomModel,
    ExternalModel,
    Plaintext,
    RateLimit,
    ServingEndpoint,
    ServingStack,
    secret,
    synthesize,
)
from servingstack.emulator import Emulator

TOKEN = "dapi-e2e-0c4f6a1b9d8e"
KEY = "sk-ant-plaintext-7Q2xW9"
ENV_SECRET = "feature-store-pw-3k8z"


def build(app):
    stack = ServingStack(app, "dev", environment="dev")
    ServingEndpoint(
        stack,
        "chat",
        name="chat",
        allow_plaintext_secrets=True,
        served_entities=[ExternalModel("claude", Anthropic(api_key=Plaintext(KEY)))],
        ai_gateway=AiGateway(usage_tracking=True, rate_limits=[RateLimit(calls=10)]),
    )
    ServingEndpoint(
        stack,
        "scorer",
        name="scorer",
        allow_plaintext_secrets=True,
        served_entities=[
            CustomModel(
                "ml.fraud.scorer",
                1,
                environment_vars={"DB_PASSWORD": ENV_SECRET, "API_TOKEN": secret("fraud", "token")},
            )
        ],
        sample_request={"dataframe_records": [{"amount": 1}]},
    ).grant_query(group="analysts")


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "servingstack.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )


def test_no_output_carries_the_token_or_a_plaintext_secret(tmp_path, capfd):
    assert synthesize(build, tmp_path / "cdktf.out") == 0
    stack_dir = tmp_path / "cdktf.out" / "stacks" / "dev"
    assert KEY in (stack_dir / "cdk.tf.json").read_text()  # the opt-in: Terraform state will hold it
    outputs: list[str] = []
    reports = tmp_path / "reports"
    with Emulator(token=TOKEN, deploy_seconds=0.3, seed=1) as emu:
        env = {
            **os.environ,
            "SERVINGSTACK_EMULATOR_TOKEN": TOKEN,
            "DATABRICKS_HOST": emu.url,
            "DATABRICKS_TOKEN": TOKEN,
            "CI": "true",
        }
        for _ in range(2):  # create, then nothing to change
            applied = cli("emulator", "apply", "--stack", str(stack_dir), "--host", emu.url, env=env)
            assert applied.returncode == 0, applied.stdout + applied.stderr
            outputs += [applied.stdout, applied.stderr]
        assert "No changes" in applied.stdout
        w = emu.client(retry_timeout_seconds=10)
        # The API shows environment variables as they were set (so does a real workspace); a
        # provider key's plaintext twin is never shown.
        api_answers = [str(w.serving_endpoints.get(name).as_dict()) for name in ("dev-chat", "dev-scorer")]
        api_answers += [w.serving_endpoints.build_logs("dev-chat", "claude").logs or ""]

        passing = cli(
            "check",
            "--stack",
            str(stack_dir),
            "--json",
            str(reports / "pass.json"),
            "--junit",
            str(reports / "pass.xml"),
            "--summary",
            str(reports / "pass.md"),
            env=env,
        )
        assert passing.returncode == 0, passing.stdout + passing.stderr
        emu.fail_deployment(endpoint="dev-scorer", message="image build failed")
        live = w.serving_endpoints.get("dev-scorer").config
        entity = ServedEntityInput.from_dict({**live.served_entities[0].as_dict(), "workload_size": "Medium"})
        w.serving_endpoints.update_config("dev-scorer", served_entities=[entity])  # this deployment fails
        w.serving_endpoints.delete("dev-chat")
        failing = cli(
            "check",
            "--stack",
            str(stack_dir),
            "--timeout",
            "3",
            "--json",
            str(reports / "fail.json"),
            "--junit",
            str(reports / "fail.xml"),
            "--summary",
            str(reports / "fail.md"),
            "--token",
            TOKEN,
            "--host",
            emu.url,
            env={**env, "DATABRICKS_TOKEN": "wrong"},
        )
        assert failing.returncode == 1, failing.stdout + failing.stderr
        assert "image build failed" in failing.stdout and "not found" in failing.stdout
        wrong_token = cli("check", "--stack", str(stack_dir), "--host", emu.url, "--token", TOKEN + "x", env=env)
        assert wrong_token.returncode == 2
        # The plan of the same stack: the scorer's environment (a plaintext value) and the chat's key are compared
        # and planned, never shown.
        emu.clear_faults()
        w.serving_endpoints.update_config(
            "dev-scorer",
            served_entities=[
                ServedEntityInput.from_dict(
                    {**entity.as_dict(), "environment_vars": {"DB_PASSWORD": "changed-by-hand"}}
                )
            ],
        ).result(timeout=datetime.timedelta(seconds=30))
        planned = cli(
            "plan",
            "--stack",
            str(stack_dir),
            "--json",
            str(reports / "plan.json"),
            "--summary",
            str(reports / "plan.md"),
            env=env,
        )
        assert planned.returncode in (0, 1), planned.stdout + planned.stderr
        fields = [f["text"] for c in json.loads((reports / "plan.json").read_text())["changes"] for f in c["fields"]]
        assert any(text.endswith("env DB_PASSWORD: *** → ***") for text in fields), fields
        assert "changed-by-hand" not in planned.stdout
        outputs += [planned.stdout, planned.stderr]
        outputs += [
            passing.stdout,
            passing.stderr,
            failing.stdout,
            failing.stderr,
            wrong_token.stdout,
            wrong_token.stderr,
        ]
    outputs += [p.read_text() for p in reports.iterdir()]
    outputs += [p.read_text() for p in (tmp_path / "cdktf.out").rglob("*.json") if p.name != "cdk.tf.json"]
    captured = capfd.readouterr()
    outputs += [captured.out, captured.err]
    for text in api_answers:
        assert TOKEN not in text and KEY not in text
    for text in outputs:
        assert TOKEN not in text
        assert KEY not in text
        assert ENV_SECRET not in text
