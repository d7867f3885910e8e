"""The checker queries a route-optimized endpoint where it lives: on its route-optimized URL, with a
data-plane token from the SDK's OAuth exchange (an OAuth M2M identity, as the docs require). With a
personal access token it says in one line why it cannot, and what would do; the steps fail, the run
does not crash. The emulator enforces the same rule, so a query sent to the workspace URL would fail.
"""

from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner

from check_support import CHAT, SCORER, TOKEN, deploy, write_stack
from servingstack.check import run_check
from servingstack.cli.check import check
from servingstack.facts.route_optimized import WORKSPACE_URL_CUTOFF_MS

pytestmark = pytest.mark.timeout(120)

RO_CHAT = {
    **copy.deepcopy(CHAT),
    "name": "demo-ro",
    "route_optimized": True,
    "//": {
        "servingstack": {
            "task": "llm/v1/chat",
            "expectations": [{"name": "answers", "expect": [{"kind": "status", "value": 200}]}],
        }
    },
}
RO_SCORER = {
    **copy.deepcopy(SCORER),
    "name": "demo-ro-scorer",
    "route_optimized": True,
    "//": {
        "servingstack": {
            "sample_request": {"dataframe_records": [{"x": 1.0}]},
            "expectations": [
                {"name": "scores", "expect": [{"kind": "predictions", "value": 1}]},
                {"name": "v2 only", "entities": ["v2"], "expect": [{"kind": "status", "value": 200}]},
            ],
        }
    },
}
PAT_LINE = (
    "route-optimized: it takes queries only on its route-optimized URL and only with an OAuth token, and this "
    "run authenticates with pat: run the check as a service principal with OAuth M2M (DATABRICKS_CLIENT_ID and "
    "DATABRICKS_CLIENT_SECRET, or a profile with client_id and client_secret) or as a user signed in with "
    "`databricks auth login`"
)


@pytest.fixture
def m2m(emu, monkeypatch):
    """The run's identity: a service principal with an OAuth secret (unified auth, from the environment)."""
    settings = emu.oauth_settings()
    monkeypatch.setenv("DATABRICKS_CLIENT_ID", settings["client_id"])
    monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", settings["client_secret"])


def data_plane_queries(emu, name: str) -> int:
    return emu.request_count("POST", f"/{emu.workspace.workspace_id}/serving-endpoints/{name}/invocations")


def test_an_oauth_identity_queries_it_on_its_route_optimized_url(emu, m2m, tmp_path):
    stack = write_stack(tmp_path, ro=RO_CHAT, chat=CHAT)
    deploy(emu, stack)
    emu.reset_request_count()
    report = run_check(stack, host=emu.url, timeout=30, queries=2, stream=True, progress="none")
    assert report.exit_code == 0, json.dumps(report.to_dict(), indent=1)[:3000]
    ro = next(e for e in report.endpoints if e.name == "demo-ro")
    assert ro.query.message.startswith("2/2 answered on the route-optimized URL (built-in request)")
    assert "streaming:" in ro.query.message
    assert [(e.name, e.status) for e in ro.entity_results] == [("llm", "pass")]
    assert "through the endpoint's route-optimized URL (all its traffic)" in ro.entity_results[0].message
    assert [(x.name, x.entity, x.status) for x in ro.expectation_results] == [("answers", "llm", "pass")]
    # Smoke x2, stream, entity, expectation x2: all on the data plane, none on the workspace URL.
    assert data_plane_queries(emu, "demo-ro") == 6
    assert emu.request_count("POST", "/serving-endpoints/demo-ro/") == 0
    # The endpoint that is not route-optimized is queried on the workspace URL as before.
    assert emu.request_count("POST", "/serving-endpoints/demo-chat/invocations") == 3
    assert emu.request_count("POST", "/oidc/v1/token") == 2  # the run's token, then one exchange for demo-ro


def test_a_split_endpoint_is_queried_through_its_url_and_says_what_it_cannot_do(emu, m2m, tmp_path):
    stack = write_stack(tmp_path, ro=RO_SCORER)
    deploy(emu, stack)
    report = run_check(stack, host=emu.url, timeout=30, progress="none")
    endpoint = report.endpoints[0]
    assert report.exit_code == 0, endpoint.steps
    assert endpoint.query.status == "pass" and "route-optimized URL" in endpoint.query.message
    assert [(e.name, e.status) for e in endpoint.entity_results] == [("v1", "skip"), ("v2", "skip")]
    assert endpoint.entity_results[0].message.startswith("route-optimized: no per-entity route is documented")
    assert endpoint.entities.status == "skip"
    runs = {(x.name, x.entity): (x.status, x.message) for x in endpoint.expectation_results}
    assert runs[("scores", "(endpoint URL)")][0] == "pass"
    assert (
        runs[("v2 only", "(endpoint URL)")][0] == "skip" and "limited to v2" in runs[("v2 only", "(endpoint URL)")][1]
    )
    assert emu.request_count("POST", "/serving-endpoints/demo-ro-scorer/") == 0


def test_a_personal_access_token_cannot_query_it_and_the_check_says_why_in_one_line(emu, tmp_path):
    stack = write_stack(tmp_path, ro=RO_CHAT)
    deploy(emu, stack)
    result = CliRunner().invoke(
        check,
        [
            "--stack",
            str(stack),
            "--host",
            emu.url,
            "--token",
            TOKEN,
            "--timeout",
            "30",
            "--json",
            str(tmp_path / "r.json"),
        ],
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and TOKEN not in result.output
    assert f"demo-ro: FAIL query: {PAT_LINE}\n" in result.output  # one line, as it happens
    endpoint = json.loads((tmp_path / "r.json").read_text())["endpoints"][0]
    assert endpoint["steps"]["ready"]["status"] == "pass" and endpoint["steps"]["drift"]["status"] == "pass"
    for step in ("query", "entities", "expectations"):
        assert endpoint["steps"][step] == {"status": "fail", "message": PAT_LINE, "details": [], "seconds": None}
    assert data_plane_queries(emu, "demo-ro") == 0


def test_with_a_pat_one_created_before_2025_09_22_is_queried_on_the_workspace_url(emu, tmp_path):
    stack = write_stack(tmp_path, ro=RO_CHAT)
    deploy(emu, stack)
    emu.set_creation_time("demo-ro", WORKSPACE_URL_CUTOFF_MS - 86_400_000)
    report = run_check(stack, host=emu.url, token=TOKEN, timeout=30, progress="none")
    endpoint = report.endpoints[0]
    assert report.exit_code == 0, endpoint.steps
    assert endpoint.query.message.startswith("1/1 answered (built-in request)")
    assert endpoint.warnings == [
        "route-optimized, created before 2025-09-22: queried on the workspace URL, which it still answers "
        "(its route-optimized URL needs an OAuth token)"
    ]
    assert [e.status for e in endpoint.entity_results] == ["pass"]  # the workspace's per-entity route


def test_server_errors_on_the_data_plane_are_retried_like_any_other(emu, m2m, tmp_path):
    stack = write_stack(tmp_path, ro=RO_CHAT)
    deploy(emu, stack)
    emu.break_entity("demo-ro", "llm", status=503)
    report = run_check(stack, host=emu.url, timeout=3, progress="none")
    query = report.endpoints[0].query
    assert query.status == "fail" and "gave up after" in query.message and "503" in query.message
