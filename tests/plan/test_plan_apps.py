"""Apps in a plan, and route-optimized endpoints: an app the stack declares (created, updated, deleted
when it leaves the stack, a name taken by one the stack does not own), the endpoint grants that name
its service principal by reference, and an endpoint that lives on its own data plane (nothing to
query, and the plan does not stumble on it). Real HTTP, the unmodified databricks-sdk, the emulator."""

from __future__ import annotations

import copy
from typing import Any

from databricks.sdk.service.apps import (
    App,
    AppResource,
    AppResourceServingEndpoint,
    AppResourceServingEndpointServingEndpointPermission,
)

from plan_support import SEARCH, change, codes, deploy, document, finding, plan, texts

QUERY = AppResourceServingEndpointServingEndpointPermission.CAN_QUERY
PRINCIPAL = "${databricks_app.bot.service_principal_client_id}"
BOT: dict[str, Any] = {
    "//": {"metadata": {"path": "demo/bot/Default"}},
    "name": "demo-bot",
    "description": "answers questions",
    "resources": [
        {
            "name": "search",
            "serving_endpoint": {"name": "${databricks_model_serving.search.name}", "permission": "CAN_QUERY"},
        }
    ],
}
GRANTS = [
    {"group_name": "data-scientists", "permission_level": "CAN_QUERY"},
    {"service_principal_name": PRINCIPAL, "permission_level": "CAN_QUERY"},
]


def with_app(app: dict[str, Any] | None = BOT, grants: list[dict[str, str]] | None = GRANTS) -> dict[str, Any]:
    apps = {"databricks_app": {"bot": copy.deepcopy(app)}} if app is not None else {}
    return document({"search": SEARCH}, {"search": grants} if grants else None, **apps)


def test_an_applied_app_and_the_grant_to_its_principal_plan_no_change(emu, tmp_path):
    emu.set_app_seconds(start=0)
    deploy(emu, tmp_path, with_app())
    report = plan(emu, tmp_path, with_app())
    assert report.counts() == {"create": 0, "update": 0, "replace": 0, "delete": 0, "unchanged": 3}
    # The grant by reference is the app's live principal: found, and granted as declared.
    assert codes(report) == [] and report.exit_code() == 0


def test_a_new_app_is_a_create_and_the_grant_to_its_principal_is_made_by_the_apply(emu, tmp_path):
    emu.set_app_seconds(start=0)
    deploy(emu, tmp_path, with_app(app=None, grants=GRANTS[:1]))
    report = plan(emu, tmp_path, with_app())
    assert change(report, "databricks_app.bot").action == "create"
    assert texts(report, "databricks_app.bot") == ["+ resource search: serving endpoint demo-search CAN_QUERY"]
    grants = change(report, "databricks_permissions.search_Permissions_0000")
    assert grants.action == "update"
    assert [f.text for f in grants.fields] == ["+ service principal of app demo-bot (made by this apply) CAN_QUERY"]
    assert "principal_unknown" not in codes(report)  # no SCIM look-up of a principal the apply makes
    assert report.exit_code() == 0


def test_an_app_updated_and_an_app_that_leaves_the_stack(emu, tmp_path):
    emu.set_app_seconds(start=0, delete=0)
    deploy(emu, tmp_path, with_app())
    changed = copy.deepcopy(BOT)
    changed["resources"][0]["serving_endpoint"]["permission"] = "CAN_MANAGE"
    changed["description"] = "answers everything"
    report = plan(emu, tmp_path, with_app(changed))
    assert change(report, "databricks_app.bot").action == "update"
    assert texts(report, "databricks_app.bot") == [
        "resource search: demo-search CAN_QUERY → demo-search CAN_MANAGE",
        "description: answers questions → answers everything",  # as the apply and check compare it
    ]
    assert "PATCH /api/2.0/apps/demo-bot" in change(report, "databricks_app.bot").effects[0]
    gone = plan(emu, tmp_path, with_app(app=None, grants=GRANTS[:1]))
    deleted = change(gone, "databricks_app.bot")
    assert deleted.action == "delete" and deleted.name == "demo-bot"
    assert "DELETE /api/2.0/apps/demo-bot" in deleted.effects[0]
    assert finding(gone, "app_deleted", "demo-bot").severity == "warning"
    # The endpoint's grant to the app's principal goes with the reference: taken away, said so.
    assert finding(gone, "grant_removed").severity == "warning"


def test_an_app_name_taken_by_one_the_stack_does_not_own(emu, tmp_path):
    emu.set_app_seconds(start=0)
    deploy(emu, tmp_path, with_app(app=None, grants=GRANTS[:1]))
    emu.client().apps.create_and_wait(  # made by hand, with the name the stack declares
        App(
            name="demo-bot",
            resources=[
                AppResource(name="x", serving_endpoint=AppResourceServingEndpoint(name="demo-search", permission=QUERY))
            ],
        )
    )
    report = plan(emu, tmp_path, with_app())
    taken = finding(report, "name_taken", "demo-bot")
    assert taken.severity == "error" and "already exists and this stack does not own it" in taken.message
    assert change(report, "databricks_app.bot").action == "create" and report.exit_code() == 1


def test_a_route_optimized_endpoint_is_planned_like_any_other(emu, tmp_path):
    optimized = {**copy.deepcopy(SEARCH), "route_optimized": True}
    deploy(emu, tmp_path, document({"search": optimized}, {"search": GRANTS[:1]}))
    assert emu.client().serving_endpoints.get("demo-search").endpoint_url  # it lives on the data plane
    report = plan(emu, tmp_path, document({"search": optimized}, {"search": GRANTS[:1]}))
    assert report.counts()["unchanged"] == 2 and codes(report) == [] and report.exit_code() == 0
    shifted = copy.deepcopy(optimized)
    shifted["config"]["served_entities"][0]["entity_version"] = "2"
    report = plan(emu, tmp_path, document({"search": shifted}, {"search": GRANTS[:1]}))
    assert change(report, "databricks_model_serving.search").action == "update" and report.exit_code() == 0
