"""Route-optimized endpoints, as the Databricks docs state them ("Query route-optimized serving
endpoints"): created from 2025-09-22 they take queries only on their route-optimized URL and only
with OAuth tokens. The emulator gives them a URL on its data plane (a listener of its own), the
`data_plane_info` the SDK's data-plane client reads, and the OAuth token exchange it performs;
the workspace URL refuses their queries, and the data plane refuses a personal access token."""

from __future__ import annotations

import base64
import json

import pytest
import requests
from databricks.sdk.errors import BadRequest
from databricks.sdk.service.serving import ChatMessage, ChatMessageRole, EndpointCoreConfigInput, ServedEntityInput

from emu_support import TOKEN, create_foundation, wait_ready
from servingstack.facts.route_optimized import WORKSPACE_URL_CUTOFF_MS, authorization_details

HI = [ChatMessage(role=ChatMessageRole.USER, content="hi")]
BODY = {"messages": [{"role": "user", "content": "hi"}]}
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def create_ro(w, name: str = "ro", route_optimized: bool = True):
    config = EndpointCoreConfigInput(
        name=name,
        served_entities=[ServedEntityInput(entity_name="system.ai.llama", entity_version="1", name="llm")],
    )
    w.serving_endpoints.create(name=name, config=config, route_optimized=route_optimized)
    return wait_ready(w, name)


def token(emu, **form) -> requests.Response:
    return requests.post(f"{emu.url}/oidc/v1/token", data=form, timeout=5)


def workspace_oauth_token(emu) -> str:
    basic = base64.b64encode(f"app:{TOKEN}".encode()).decode()
    answer = requests.post(
        f"{emu.url}/oidc/v1/token",
        data={"grant_type": "client_credentials", "scope": "all-apis"},
        headers={"Authorization": f"Basic {basic}"},
        timeout=5,
    )
    return answer.json()["access_token"]


def data_plane_token(emu, endpoint_id: str) -> str:
    exchanged = token(
        emu,
        grant_type=JWT_BEARER,
        authorization_details=authorization_details(endpoint_id),
        assertion=workspace_oauth_token(emu),
    )
    assert exchanged.status_code == 200, exchanged.text
    return exchanged.json()["access_token"]


def post(url: str, bearer: str, body=BODY) -> requests.Response:
    return requests.post(url, json=body, headers={"Authorization": f"Bearer {bearer}"}, timeout=5)


def test_a_route_optimized_endpoint_lives_on_the_data_plane(emu, w):
    endpoint = create_ro(w)
    url = f"{emu.data_plane_url}/{emu.workspace.workspace_id}/serving-endpoints/ro/invocations"
    assert endpoint.route_optimized is True
    assert endpoint.endpoint_url == url and not url.startswith(emu.url)  # another origin, as the service's
    assert endpoint.data_plane_info.query_info.endpoint_url == url
    assert json.loads(endpoint.data_plane_info.query_info.authorization_details) == [
        {
            "type": "workspace_permission",
            "object_type": "serving-endpoints",
            "object_path": f"/serving-endpoints/{endpoint.id}",
            "actions": ["query_inference_endpoint"],
        }
    ]
    plain = create_foundation(w, "plain")
    assert plain.endpoint_url is None and plain.data_plane_info is None


def test_the_sdk_data_plane_client_queries_it_over_oauth_m2m_exactly_as_it_does(emu, w):
    """SDK 0.162 with client id and secret only (no discovery URL): host metadata, OIDC discovery,
    client credentials, the endpoint's get, the jwt-bearer exchange, the data-plane query."""
    create_ro(w)
    emu.reset_request_count()
    oauth = emu.client(oauth=True, retry_timeout_seconds=5)
    answer = oauth.serving_endpoints_data_plane.query("ro", messages=HI)
    assert answer.served_model_name == "llm" and "hi" in answer.choices[0].message.content
    assert emu.request_count("GET", "/.well-known/databricks-config") == 1
    assert emu.request_count("GET", "/oidc/.well-known/oauth-authorization-server") == 1
    assert emu.request_count("POST", "/oidc/v1/token") == 2  # client credentials, then the exchange
    assert emu.request_count("GET", "/api/2.0/serving-endpoints/ro") == 1
    assert emu.request_count("POST", f"/{emu.workspace.workspace_id}/serving-endpoints/ro/invocations") == 1
    assert oauth.config.workspace_id == emu.workspace.workspace_id  # sent as X-Databricks-Workspace-Id


def test_its_workspace_url_refuses_queries_whatever_the_token(emu, w):
    create_ro(w)
    for client in (w, emu.client(oauth=True, retry_timeout_seconds=5)):
        with pytest.raises(BadRequest, match="route-optimized .* query it on its route-optimized URL"):
            client.serving_endpoints.query("ro", messages=HI)
    direct = post(f"{emu.url}/serving-endpoints/ro/served-models/llm/invocations", TOKEN)
    assert direct.status_code == 400 and direct.json()["error_code"] == "BAD_REQUEST"
    openai = requests.post(
        f"{emu.url}/serving-endpoints/chat/completions",
        json={"model": "ro", **BODY},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=5,
    )
    assert openai.status_code == 400


def test_one_created_before_2025_09_22_still_answers_on_the_workspace_url(emu, w):
    create_ro(w)
    emu.set_creation_time("ro", WORKSPACE_URL_CUTOFF_MS - 1)
    assert "hi" in w.serving_endpoints.query("ro", messages=HI).choices[0].message.content
    emu.set_creation_time("ro", WORKSPACE_URL_CUTOFF_MS)
    with pytest.raises(BadRequest):
        w.serving_endpoints.query("ro", messages=HI)


def test_the_data_plane_refuses_a_personal_access_token(emu, w):
    endpoint = create_ro(w)
    refused = post(endpoint.endpoint_url, TOKEN)
    assert refused.status_code == 401
    assert refused.json() == {
        "error_code": "UNAUTHENTICATED",
        "message": "Personal access tokens are not supported: route-optimized endpoints take only OAuth tokens.",
    }
    # The SDK's own data-plane client does not even try with a PAT.
    with pytest.raises(ValueError, match="OAuth tokens are not available for pat authentication"):
        w.serving_endpoints_data_plane.query("ro", messages=HI)


def test_the_data_plane_takes_only_a_token_exchanged_for_that_endpoint(emu, w):
    first, second = create_ro(w, "first"), create_ro(w, "second")
    unexchanged = post(first.endpoint_url, workspace_oauth_token(emu))
    assert unexchanged.status_code == 401 and "exchange it at /oidc/v1/token" in unexchanged.json()["message"]
    for_first = data_plane_token(emu, first.id)
    assert post(first.endpoint_url, for_first).status_code == 200
    other = post(second.endpoint_url, for_first)
    assert other.status_code == 403 and other.json()["error_code"] == "PERMISSION_DENIED"
    # A data-plane token is no workspace token.
    listed = requests.get(
        f"{emu.url}/api/2.0/serving-endpoints", headers={"Authorization": f"Bearer {for_first}"}, timeout=5
    )
    assert listed.status_code == 401
    assert post(first.endpoint_url, "garbage").status_code == 401


def test_the_exchange_refuses_a_pat_and_details_that_name_no_endpoint(emu, w):
    endpoint = create_ro(w)
    details = authorization_details(endpoint.id)
    pat = token(emu, grant_type=JWT_BEARER, authorization_details=details, assertion=TOKEN)
    assert pat.status_code == 400 and pat.json()["error"] == "invalid_grant"
    assert "only OAuth tokens" in pat.json()["error_description"]
    assertion = workspace_oauth_token(emu)
    for bad in (authorization_details("0" * 32), "[]", "not json", json.dumps([{"type": "other"}])):
        answer = token(emu, grant_type=JWT_BEARER, authorization_details=bad, assertion=assertion)
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_authorization_details", bad
    missing = token(emu, grant_type=JWT_BEARER, assertion=assertion)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"


def test_the_data_plane_serves_only_route_optimized_endpoints_and_no_per_entity_route(emu, w):
    endpoint = create_ro(w)
    plain = create_foundation(w, "plain")
    dp = data_plane_token(emu, plain.id)
    base = f"{emu.data_plane_url}/{emu.workspace.workspace_id}/serving-endpoints"
    assert post(f"{base}/plain/invocations", dp).status_code == 404
    mine = data_plane_token(emu, endpoint.id)
    per_entity = post(f"{base}/ro/served-models/llm/invocations", mine)
    assert per_entity.status_code == 404 and per_entity.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    assert post(f"{emu.data_plane_url}/1/serving-endpoints/ro/invocations", mine).status_code == 404


def test_query_faults_reach_the_data_plane(emu, w):
    endpoint = create_ro(w)
    bearer = data_plane_token(emu, endpoint.id)
    emu.throttle(1, retry_after=0, endpoint="ro", scope="query")
    throttled = post(endpoint.endpoint_url, bearer)
    assert throttled.status_code == 429 and throttled.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    assert post(endpoint.endpoint_url, bearer).status_code == 200
    emu.break_entity("ro", "llm", count=1)
    assert post(endpoint.endpoint_url, bearer).status_code == 500
