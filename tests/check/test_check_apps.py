"""The checker and the stack's apps, against the emulator over HTTP: running (waited for while it
starts, failing when stopped or missing), as declared, and its service principal granted every endpoint
it declares; the endpoint's own grants naming the app's principal; every report format."""

from __future__ import annotations

import copy
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from click.testing import CliRunner
from databricks.sdk.service.serving import ServingEndpointAccessControlRequest, ServingEndpointPermissionLevel

from check_support import CHAT, EMBEDDINGS, TOKEN, schema_errors
from servingstack.check import junit, markdown, report_json, run_check, table
from servingstack.cli import main
from servingstack.deploy.apply import apply_stack
from servingstack.facts.stackfile import load_stack

PRINCIPAL = "${databricks_app.bot.service_principal_client_id}"


def stack_with_app(root: Path) -> Path:
    """Two endpoints (the chat one with grants that list the app's principal) and an app querying both."""
    resources = {
        "databricks_model_serving": {"chat": copy.deepcopy(CHAT), "embed": copy.deepcopy(EMBEDDINGS)},
        "databricks_permissions": {
            "chat_permissions": {
                "serving_endpoint_id": "${databricks_model_serving.chat.serving_endpoint_id}",
                "access_control": [
                    {"group_name": "data-scientists", "permission_level": "CAN_QUERY"},
                    {"service_principal_name": PRINCIPAL, "permission_level": "CAN_QUERY"},
                ],
            }
        },
        "databricks_app": {
            "bot": {
                "//": {"metadata": {"path": "demo/bot/Default"}},
                "name": "demo-bot",
                "description": "answers questions",
                "resources": [
                    {
                        "name": "llm",
                        "serving_endpoint": {
                            "name": "${databricks_model_serving.chat.name}",
                            "permission": "CAN_QUERY",
                        },
                    },
                    {
                        "name": "embeddings",
                        "serving_endpoint": {
                            "name": "${databricks_model_serving.embed.name}",
                            "permission": "CAN_QUERY",
                        },
                    },
                ],
            }
        },
    }
    directory = root / "cdktf.out" / "stacks" / "demo"
    directory.mkdir(parents=True)
    (directory / "cdk.tf.json").write_text(json.dumps({"resource": resources}))
    return directory


def deployed(emu, tmp_path) -> Path:
    stack = stack_with_app(tmp_path)
    w = emu.client(retry_timeout_seconds=5)
    assert not apply_stack(load_stack(stack), w, timeout=20, poll_seconds=0.05, echo=lambda line: None).failed
    return stack


def check(emu, stack: Path, **options):
    return run_check(stack, host=emu.url, token=TOKEN, timeout=options.pop("timeout", 20), progress="none", **options)


def test_a_running_app_granted_every_endpoint_passes_in_every_report(emu, tmp_path):
    emu.set_app_seconds(start=0)
    report = check(emu, deployed(emu, tmp_path))
    assert report.status == "pass", report.to_dict()
    (app,) = report.apps
    assert (app.running.status, app.drift.status, app.grants.status) == ("pass", "pass", "pass")
    assert app.grants.message.startswith("2 endpoints granted to its service principal ")
    assert [(g.endpoint, g.verdict) for g in app.endpoint_grants] == [
        ("demo-chat", "granted"),
        ("demo-embed", "granted"),
    ]
    # The endpoint's own grants name the app's principal by reference: resolved, not drift.
    chat = next(e for e in report.endpoints if e.name == "demo-chat")
    assert chat.permissions.status == "pass" and chat.permission_findings == []
    document = json.loads(report_json.render(report))
    assert schema_errors(document, report_json.SCHEMA) == []
    assert document["apps"][0]["status"] == "pass" and document["apps"][0]["compute_state"] == "ACTIVE"
    (suite,) = ET.fromstring(junit.render(report))
    cases = {(c.get("classname"), c.get("name")) for c in suite}
    assert {("demo.demo-bot", f"app {step}") for step in ("running", "drift", "grants")} <= cases
    assert "| `demo-bot` | ✅ pass | ✅ pass | ✅ pass |" in markdown.render(report)
    shown = io.StringIO()
    table.print_report(report, stream=shown, width=200)
    assert "demo-bot" in shown.getvalue() and "all endpoints and apps pass" in shown.getvalue()


def test_an_app_whose_grant_was_removed_by_hand_fails_naming_it(emu, tmp_path):
    emu.set_app_seconds(start=0)
    stack = deployed(emu, tmp_path)
    w = emu.client(retry_timeout_seconds=5)
    chat = w.serving_endpoints.get("demo-chat")
    # Someone resets the endpoint's grants by hand, without the app's principal.
    w.serving_endpoints.set_permissions(
        chat.id,
        access_control_list=[
            ServingEndpointAccessControlRequest(
                group_name="data-scientists", permission_level=ServingEndpointPermissionLevel.CAN_QUERY
            )
        ],
    )
    result = CliRunner().invoke(
        main,
        ["check", "--stack", str(stack), "--host", emu.url, "--token", TOKEN, "--timeout", "20", "--no-query"]
        + ["--json", str(tmp_path / "check.json"), "--junit", str(tmp_path / "junit.xml")]
        + ["--summary", str(tmp_path / "summary.md")],
    )
    assert result.exit_code == 1, result.output
    client_id = w.apps.get("demo-bot").service_principal_client_id
    assert "app demo-bot grants:" in result.output
    assert "demo-chat: declared CAN_QUERY, the app's service principal holds nothing" in result.output
    assert "1 of 1 apps failed" in result.output
    document = json.loads((tmp_path / "check.json").read_text())
    (app,) = document["apps"]
    assert app["steps"]["grants"]["status"] == "fail" and client_id in app["steps"]["grants"]["message"]
    assert [(g["endpoint"], g["verdict"]) for g in app["endpoints"]] == [
        ("demo-chat", "missing"),
        ("demo-embed", "granted"),
    ]
    # The endpoint fails too: its declared grants list the app's principal, which is gone.
    chat_result = next(e for e in document["endpoints"] if e["name"] == "demo-chat")
    assert chat_result["steps"]["permissions"]["status"] == "fail"
    assert "(app demo-bot)" in chat_result["steps"]["permissions"]["message"]
    failures = [c for c in ET.parse(tmp_path / "junit.xml").getroot().iter("testcase") if c.find("failure") is not None]
    assert ("demo.demo-bot", "app grants") in {(c.get("classname"), c.get("name")) for c in failures}
    assert "demo-chat: declared CAN_QUERY" in (tmp_path / "summary.md").read_text()
    assert TOKEN not in result.output + (tmp_path / "summary.md").read_text()


def test_an_app_that_is_not_running_fails_and_says_how_to_start_it(emu, tmp_path):
    emu.set_app_seconds(start=0)
    stack = deployed(emu, tmp_path)
    emu.client(retry_timeout_seconds=5).apps.stop("demo-bot")
    report = check(emu, stack, query=False)
    (app,) = report.apps
    assert report.status == "fail" and app.running.status == "fail"
    assert app.running.message == "not running: compute STOPPED, application UNAVAILABLE"
    assert "start it: databricks apps start demo-bot" in app.running.details
    assert app.grants.status == "pass"  # the grants are still checked, and still in place
    assert all(e.status == "pass" for e in report.endpoints)


def test_an_app_still_starting_is_waited_for(emu, tmp_path):
    emu.set_app_seconds(start=1.0)
    stack = deployed(emu, tmp_path)  # the apply waits for ACTIVE: stop and start again, without waiting
    w = emu.client(retry_timeout_seconds=5)
    w.apps.stop("demo-bot")
    w.apps.start("demo-bot")
    report = check(emu, stack, query=False)
    (app,) = report.apps
    assert app.running.status == "pass" and app.running_after_seconds >= 0.5


def test_a_missing_app_and_an_app_changed_by_hand_fail(emu, tmp_path):
    emu.set_app_seconds(start=0)
    stack = deployed(emu, tmp_path)
    w = emu.client(retry_timeout_seconds=5)
    live = w.apps.get("demo-bot").as_dict()
    w.api_client.do(
        "PATCH",
        "/api/2.0/apps/demo-bot",
        body={"name": "demo-bot", "description": "edited", "resources": live["resources"][:1]},
    )
    (app,) = check(emu, stack, query=False).apps
    assert app.drift.status == "fail"
    assert [str(d) for d in app.differences] == [
        "description: declared answers questions, live edited",
        "resources[embeddings]: declared serving_endpoint demo-embed CAN_QUERY, live none",
    ]
    # The PATCH dropped the embeddings resource, and with it the principal's grant there.
    assert [(g.endpoint, g.verdict) for g in app.endpoint_grants] == [
        ("demo-chat", "granted"),
        ("demo-embed", "missing"),
    ]

    emu.set_app_seconds(delete=0)
    w.apps.delete("demo-bot")
    report = check(emu, stack, query=False)
    (app,) = report.apps
    assert app.running.message == "not found: has the stack been deployed?"
    assert (app.drift.status, app.grants.status) == ("skip", "skip")
    chat = next(e for e in report.endpoints if e.name == "demo-chat")
    assert "app demo-bot (not found)" in chat.permissions.message


def test_apps_are_chosen_with_app_and_left_out_by_endpoint(emu, tmp_path):
    emu.set_app_seconds(start=0)
    stack = deployed(emu, tmp_path)
    only_app = check(emu, stack, apps=["demo-bot"], query=False)
    assert ([e.name for e in only_app.endpoints], [a.name for a in only_app.apps]) == ([], ["demo-bot"])
    only_endpoint = check(emu, stack, endpoints=["demo-embed"], query=False)
    assert ([e.name for e in only_endpoint.endpoints], only_endpoint.apps) == (["demo-embed"], [])
    unknown = CliRunner().invoke(
        main, ["check", "--stack", str(stack), "--host", emu.url, "--token", TOKEN, "--app", "nope"]
    )
    assert unknown.exit_code == 2 and "no app of the stack: nope (the stack declares: demo-bot)" in unknown.output
