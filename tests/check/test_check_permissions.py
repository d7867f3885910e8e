"""Permissions drift: a grant made outside the stack is reported as removed by the next apply
(an error with --strict-permissions), a declared grant missing live fails the endpoint, and
neither the inherited admins nor the caller's own CAN_MANAGE count as drift."""

from __future__ import annotations

import json

from click.testing import CliRunner
from databricks.sdk.service.serving import ServingEndpointAccessControlRequest, ServingEndpointPermissionLevel

from check_support import SCORER, TOKEN, deploy, schema_errors, write_stack
from servingstack.check import run_check
from servingstack.check.acl import compare
from servingstack.check.report_json import SCHEMA
from servingstack.cli.check import check

DECLARED = [
    {"group_name": "data-scientists", "permission_level": "CAN_QUERY"},
    {"service_principal_name": "6f2a1c9e-1d3b-4c55-9a7e-3f0b8d2e4a10", "permission_level": "CAN_MANAGE"},
]


def stack_with_grants(tmp_path):
    stack = write_stack(tmp_path, scorer=SCORER)
    document = json.loads((stack / "cdk.tf.json").read_text())
    document["resource"]["databricks_permissions"] = {
        "scorer_permissions": {
            "serving_endpoint_id": "${databricks_model_serving.scorer.serving_endpoint_id}",
            "access_control": DECLARED,
        }
    }
    (stack / "cdk.tf.json").write_text(json.dumps(document))
    return stack


def endpoint_id(emu, name: str) -> str:
    return emu.client().serving_endpoints.get(name).id


def grant(emu, name: str, **principal: str) -> None:
    level = ServingEndpointPermissionLevel(principal.pop("level"))
    emu.client().serving_endpoints.update_permissions(
        endpoint_id(emu, name),
        access_control_list=[ServingEndpointAccessControlRequest(**principal, permission_level=level)],
    )


def invoke(emu, stack, *args: str):
    result = CliRunner().invoke(
        check, ["--stack", str(stack), "--host", emu.url, "--token", TOKEN, "--timeout", "10", *args]
    )
    return result.exit_code, " ".join(result.output.split())  # the table wraps long lines


def test_declared_grants_in_effect_pass_without_noise(emu, tmp_path):
    stack = stack_with_grants(tmp_path)
    deploy(emu, stack)
    report = run_check(stack, host=emu.url, token=TOKEN, timeout=10, progress="none")
    endpoint = report.endpoints[0]
    assert report.exit_code == 0, report.to_dict()
    # The live list also holds the creator's CAN_MANAGE (the caller) and the admins' inherited one.
    live = emu.client().serving_endpoints.get_permissions(endpoint_id(emu, "demo-scorer")).as_dict()
    assert {
        e.get("group_name") or e.get("user_name") or e.get("service_principal_name")
        for e in live["access_control_list"]
    } >= {"admins", "data-scientists"}
    assert endpoint.permissions.status == "pass"
    assert endpoint.permissions.message == "2 declared grants in effect"
    assert endpoint.permission_findings == [] and endpoint.warnings == []


def test_a_grant_made_outside_the_stack_is_reported_as_to_be_removed(emu, tmp_path):
    stack = stack_with_grants(tmp_path)
    deploy(emu, stack)
    emu.client().serving_endpoints.wait_get_serving_endpoint_not_updating("demo-scorer")
    grant(emu, "demo-scorer", group_name="interns", level="CAN_QUERY")
    report_file = tmp_path / "r.json"
    code, output = invoke(emu, stack, "--json", str(report_file))
    assert code == 0, output
    assert "group_name:interns holds CAN_QUERY live but is not declared: will be removed by the next apply" in output
    document = json.loads(report_file.read_text())
    assert schema_errors(document, SCHEMA) == []
    assert document["endpoints"][0]["permissions"] == [
        {
            "principal": "group_name:interns",
            "declared": None,
            "live": "CAN_QUERY",
            "verdict": "will_be_removed",
            "severity": "warning",
        }
    ]

    code, output = invoke(emu, stack, "--strict-permissions")
    assert code == 1, output
    assert "1 problem with the grants: group_name:interns holds CAN_QUERY live" in output


def test_a_declared_grant_missing_live_fails_the_endpoint(emu, tmp_path):
    stack = stack_with_grants(tmp_path)
    deploy(emu, stack)
    emu.client().serving_endpoints.wait_get_serving_endpoint_not_updating("demo-scorer")
    # Someone replaced the grants by hand: the group lost its access, the principal was lowered.
    emu.client().serving_endpoints.set_permissions(
        endpoint_id(emu, "demo-scorer"),
        access_control_list=[
            ServingEndpointAccessControlRequest(
                service_principal_name=DECLARED[1]["service_principal_name"],
                permission_level=ServingEndpointPermissionLevel.CAN_VIEW,
            )
        ],
    )
    report = run_check(stack, host=emu.url, token=TOKEN, timeout=10, progress="none")
    assert report.exit_code == 1
    step = report.endpoints[0].permissions
    assert step.status == "fail"
    assert (
        step.message == "2 problems with the grants: group_name:data-scientists: declared CAN_QUERY, not granted live"
    )
    assert (
        "service_principal_name:6f2a1c9e-1d3b-4c55-9a7e-3f0b8d2e4a10: declared CAN_MANAGE, live CAN_VIEW "
        "(the next apply resets it)" in step.details
    )


def test_an_endpoint_without_declared_grants_is_not_compared(emu, tmp_path):
    stack = write_stack(tmp_path, scorer=SCORER)
    deploy(emu, stack)
    report = run_check(stack, host=emu.url, token=TOKEN, timeout=10, progress="none")
    assert report.endpoints[0].permissions.status == "skip"


def test_inherited_entries_and_the_callers_manage_are_not_drift():
    live = {
        "access_control_list": [
            {
                "group_name": "admins",
                "all_permissions": [
                    {
                        "permission_level": "CAN_MANAGE",
                        "inherited": True,
                        "inherited_from_object": ["/serving-endpoints/"],
                    }
                ],
            },
            {"group_name": "admins", "all_permissions": [{"permission_level": "CAN_MANAGE", "inherited": False}]},
            {
                "user_name": "me@example.com",
                "all_permissions": [{"permission_level": "CAN_MANAGE", "inherited": False}],
            },
            {"user_name": "other@example.com", "all_permissions": [{"permission_level": "CAN_MANAGE"}]},
            {
                "group_name": "team",
                "all_permissions": [
                    {"permission_level": "CAN_VIEW", "inherited": True},
                    {"permission_level": "CAN_QUERY", "inherited": False},
                ],
            },
        ]
    }
    findings = compare([{"group_name": "team", "permission_level": "CAN_QUERY"}], live, {"me@example.com"})
    assert [str(f) for f in findings] == [
        "user_name:other@example.com holds CAN_MANAGE live but is not declared: will be removed by the next apply"
    ]
