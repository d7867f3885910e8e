"""Injected faults, from the Python API, the admin route and the command line."""

from __future__ import annotations

import pytest
import requests
from click.testing import CliRunner
from databricks.sdk.errors import InternalError, TemporarilyUnavailable, TooManyRequests

from emu_support import TOKEN, client_for, create_custom, wait_ready, wait_until
from servingstack.cli import main
from servingstack.emulator import FaultSpecError

GET_A = "/api/2.0/serving-endpoints/a"


@pytest.fixture
def ready_a(emu, w):
    create_custom(w, "a")
    create_custom(w, "b")
    wait_ready(w, "a")
    wait_ready(w, "b")
    emu.reset_request_count()
    return w


def test_throttled_requests_get_429_with_retry_after(emu, ready_a):
    emu.throttle(1, retry_after=7)
    response = requests.get(f"{emu.url}{GET_A}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    assert requests.get(f"{emu.url}{GET_A}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5).status_code == 200


def test_retry_after_defaults_to_one_second(emu, ready_a):
    emu.throttle(1)
    response = requests.get(f"{emu.url}{GET_A}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
    assert response.headers["Retry-After"] == "1"


def test_the_sdk_retries_throttling_until_it_wears_off(emu, ready_a):
    emu.throttle(2, retry_after=0)
    assert ready_a.serving_endpoints.get("a").name == "a"
    assert emu.request_count("GET", GET_A) == 3


def test_throttling_beyond_the_retry_budget_surfaces_as_too_many_requests(emu, ready_a):
    w = client_for(emu, retry_seconds=1)
    emu.throttle(1000, retry_after=1)
    with pytest.raises(TimeoutError) as caught:
        w.serving_endpoints.get("a")
    assert isinstance(caught.value.__cause__, TooManyRequests)


def test_503_is_retried_and_500_is_not(emu, ready_a):
    emu.server_errors(1, status=503)
    assert ready_a.serving_endpoints.get("a").name == "a"
    assert emu.request_count("GET", GET_A) == 2
    emu.server_errors(1, status=500)
    with pytest.raises(InternalError):
        ready_a.serving_endpoints.get("a")
    w = client_for(emu, retry_seconds=1)
    emu.server_errors(1000, status=503)
    with pytest.raises(TimeoutError) as caught:
        w.serving_endpoints.get("a")
    assert isinstance(caught.value.__cause__, TemporarilyUnavailable)


def test_dropped_connections_close_without_an_answer(emu, ready_a):
    emu.drop_connections(1)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{emu.url}{GET_A}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
    emu.drop_connections(1)
    assert ready_a.serving_endpoints.get("a").name == "a"  # the SDK retries connection errors
    assert emu.request_count("GET", GET_A) == 3


def test_slow_answers_outlast_a_short_client_timeout(emu, ready_a):
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.core import Config

    impatient = WorkspaceClient(
        config=Config(host=emu.url, token=TOKEN, auth_type="pat", retry_timeout_seconds=10, http_timeout_seconds=1)
    )
    emu.slow(3.0, count=1, endpoint="a")
    assert impatient.serving_endpoints.get("a").name == "a"  # the first attempt timed out, the retry did not
    assert emu.request_count("GET", GET_A) == 2
    assert emu.faults() == []


def test_faults_aimed_at_one_endpoint_spare_the_others(emu, ready_a):
    emu.server_errors(5, status=500, endpoint="a")
    assert ready_a.serving_endpoints.get("b").name == "b"
    assert ready_a.serving_endpoints.query("b", instances=[[1]]).predictions
    with pytest.raises(InternalError):
        ready_a.serving_endpoints.get("a")


def test_query_scope_spares_the_control_plane(emu, ready_a):
    emu.server_errors(1, status=500, scope="query")
    assert ready_a.serving_endpoints.get("a").name == "a"
    with pytest.raises(InternalError):
        ready_a.serving_endpoints.query("a", instances=[[1]])
    assert ready_a.serving_endpoints.query("a", instances=[[1]]).predictions


def test_control_scope_spares_queries(emu, ready_a):
    emu.server_errors(1, status=500, scope="control")
    assert ready_a.serving_endpoints.query("a", instances=[[1]]).predictions
    with pytest.raises(InternalError):
        ready_a.serving_endpoints.get("a")


def test_faulted_queries_are_not_counted_as_served(emu, ready_a):
    emu.server_errors(1, status=500, scope="query")
    with pytest.raises(InternalError):
        ready_a.serving_endpoints.query("a", instances=[[1]])
    assert emu.queries_served("a") == 0


def test_permissions_routes_find_the_endpoint_by_id(emu, ready_a):
    endpoint_id = ready_a.serving_endpoints.get("a").id
    emu.server_errors(1, status=500, endpoint="a")
    with pytest.raises(InternalError):
        ready_a.serving_endpoints.get_permissions(endpoint_id)


def test_create_faults_match_the_name_in_the_body(emu, w):
    emu.server_errors(1, status=500, endpoint="new", scope="control")
    with pytest.raises(InternalError):
        create_custom(w, "new")
    assert create_custom(w, "new").name == "new"


def test_clear_faults(emu, ready_a):
    emu.throttle(100)
    emu.never_ready()
    assert len(emu.faults()) == 2
    emu.clear_faults()
    assert emu.faults() == []
    assert ready_a.serving_endpoints.get("a").name == "a"


@pytest.mark.parametrize(
    "call",
    [
        lambda emu: emu.throttle(0),
        lambda emu: emu.server_errors(1, status=404),
        lambda emu: emu.slow(-1),
        lambda emu: emu.drop_connections(1, scope="everything"),
    ],
)
def test_bad_fault_arguments_are_refused(emu, call):
    with pytest.raises(FaultSpecError):
        call(emu)


# -- admin route -----------------------------------------------------------------------


def admin(emu, method: str, route: str, token: str = TOKEN, **kwargs) -> requests.Response:
    return requests.request(
        method, f"{emu.url}/_emulator/{route}", headers={"Authorization": f"Bearer {token}"}, timeout=5, **kwargs
    )


def test_admin_route_injects_lists_and_clears_faults(emu, ready_a):
    response = admin(
        emu,
        "POST",
        "faults",
        json={"kind": "throttle", "count": 1, "retry_after": 0, "endpoint": "a", "scope": "control"},
    )
    assert response.status_code == 200
    assert response.json()["faults"] == [
        {"kind": "throttle", "endpoint": "a", "scope": "control", "count": 1, "retry_after": 0}
    ]
    assert admin(emu, "GET", "faults").json()["faults"][0]["kind"] == "throttle"
    assert ready_a.serving_endpoints.get("a").name == "a"
    assert emu.request_count("GET", GET_A) == 2
    admin(emu, "POST", "faults", json={"kind": "never_ready"})
    assert admin(emu, "DELETE", "faults").json() == {"faults": []}
    assert emu.faults() == []


def test_admin_route_needs_the_token_and_a_valid_fault(emu):
    assert admin(emu, "GET", "faults", token="wrong").status_code == 401
    bad = admin(emu, "POST", "faults", json={"kind": "meteor"})
    assert bad.status_code == 400
    assert "kind" in bad.json()["message"]


def test_admin_routes_are_not_counted_nor_faulted(emu, ready_a):
    emu.server_errors(10, status=500)
    assert admin(emu, "GET", "faults").status_code == 200
    assert admin(emu, "GET", "requests").json() == {"count": 0}


def test_admin_deploy_seconds_and_request_count(emu, w):
    assert admin(emu, "PUT", "deploy-seconds", json={"seconds": 60, "endpoint": "late"}).status_code == 200
    create_custom(w, "late")
    assert w.serving_endpoints.get("late").state.ready.value == "NOT_READY"
    admin(emu, "PUT", "deploy-seconds", json={"seconds": 0, "endpoint": "late"})
    wait_ready(w, "late")
    count = admin(emu, "GET", "requests", params={"method": "POST", "path_prefix": "/api/2.0/serving-endpoints"}).json()
    assert count == {"count": 1}
    assert admin(emu, "PUT", "deploy-seconds", json={"seconds": -1}).status_code == 400


# -- command line ----------------------------------------------------------------------


def cli(*args: str) -> object:
    return CliRunner().invoke(main, ["emulator", *args], catch_exceptions=False)


def test_fault_command_injects_into_a_running_emulator(emu, ready_a):
    result = cli("fault", "--host", emu.url, "--token", TOKEN, "errors", "1", "--status", "500", "--endpoint", "a")
    assert result.exit_code == 0, result.output
    assert "fault added: errors" in result.output
    with pytest.raises(InternalError):
        ready_a.serving_endpoints.get("a")
    listed = cli("fault", "--host", emu.url, "--token", TOKEN, "list")
    assert listed.exit_code == 0 and listed.output.strip() == "[]"


def test_fault_command_deployment_faults(emu, w):
    assert (
        cli(
            "fault",
            "--host",
            emu.url,
            "--token",
            TOKEN,
            "fail-deployment",
            "--endpoint",
            "f",
            "--message",
            "No GPU capacity",
        ).exit_code
        == 0
    )
    create_custom(w, "f")
    failed = wait_until(w, "f", lambda e: e.state.config_update.value == "UPDATE_FAILED")
    assert failed.pending_config.served_entities[0].state.deployment_state_message == "No GPU capacity"
    assert cli("fault", "--host", emu.url, "--token", TOKEN, "never-ready").exit_code == 0
    assert cli("fault", "--host", emu.url, "--token", TOKEN, "clear").exit_code == 0
    assert emu.faults() == []


@pytest.mark.parametrize(
    "args",
    [
        ("throttle", "0"),
        ("errors", "1", "--status", "404"),
        ("slow", "0"),
        ("drop", "1", "--scope", "sideways"),
    ],
)
def test_fault_command_rejects_bad_input_with_exit_2(emu, args):
    result = cli("fault", "--host", emu.url, "--token", TOKEN, *args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert emu.faults() == []


def test_fault_command_with_the_wrong_token_or_url(emu):
    wrong = cli("fault", "--host", emu.url, "--token", "wrong", "list")
    assert wrong.exit_code == 1
    assert "refused the token" in wrong.output
    assert "wrong" not in wrong.output.replace("refused", "")
    not_a_url = cli("fault", "--host", "localhost:1", "list")
    assert not_a_url.exit_code == 2
