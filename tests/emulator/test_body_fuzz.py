"""Wrong-typed bodies on every route: a 4xx naming the field, and nothing of it stored.

Each request is sent to a workspace holding endpoints of every kind (a route-optimized one, queried
on the data plane with its own token), a secret scope, grants and an app; the workspace is compared
before and after (`body_fuzz.snapshot`). The routes come from the server's route tables, so a route
added later is fuzzed too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import body_fuzz
from emu_support import TOKEN, client_for
from servingstack.emulator import Emulator
from servingstack.emulator.oauth import JWT_BEARER

SAMPLED = body_fuzz.samples({"id": "<id>"})


class Planes:
    """Where each listener is and a session that it takes: the workspace API with the emulator's
    token, the data plane with a token exchanged for the route-optimized endpoint."""

    def __init__(self, emu: Emulator, params: dict[str, str]) -> None:
        assert emu.data_plane_url is not None
        workspace, data_plane = requests.Session(), requests.Session()
        workspace.headers["Authorization"] = f"Bearer {TOKEN}"
        token = body_fuzz.data_plane_token(emu.url, TOKEN, params["ro_id"])
        data_plane.headers["Authorization"] = f"Bearer {token}"
        self.workspace = workspace
        self._planes = {
            body_fuzz.WORKSPACE: (emu.url, workspace),
            body_fuzz.DATA_PLANE: (emu.data_plane_url, data_plane),
        }

    def send(self, plane: str, method: str, path: str, raw: bytes) -> requests.Response:
        url, session = self._planes[plane]
        return session.request(method, url + path, data=raw, headers={"Content-Type": "application/json"}, timeout=30)


@pytest.fixture
def fuzz_emu() -> Iterator[tuple[Emulator, dict[str, str], Planes]]:
    """An emulator whose deployments finish at once (so nothing settles between two snapshots)."""
    with Emulator(token=TOKEN, deploy_seconds=0, seed=0) as emu:
        params = body_fuzz.setup(client_for(emu))
        yield emu, params, Planes(emu, params)


def send(planes: Planes, method: str, path: str, raw: bytes) -> requests.Response:
    """To the workspace API."""
    return planes.send(body_fuzz.WORKSPACE, method, path, raw)


def test_every_route_that_reads_a_body_has_a_sample() -> None:
    """A new route is fuzzed field by field once it has a sample body in body_fuzz.samples."""
    missing = [
        f"{method} {route}"
        for method, route in body_fuzz.routes()
        if method not in body_fuzz.BODYLESS_METHODS
        and (method, route) not in body_fuzz.BODYLESS_ROUTES
        and (method, route) not in SAMPLED
    ]
    assert missing == [], f"add a valid sample body for these routes to tests/emulator/body_fuzz.py: {missing}"
    assert {key for key, sample in SAMPLED.items() if sample.plane == body_fuzz.DATA_PLANE} == {
        key for key in body_fuzz.routes() if body_fuzz.plane_of(*key) == body_fuzz.DATA_PLANE
    }


@pytest.mark.parametrize("method, route", body_fuzz.routes(), ids=lambda value: str(value))
def test_bodies_no_route_could_take_leave_the_workspace_as_it_was(fuzz_emu, method: str, route: str) -> None:
    emu, params, planes = fuzz_emu
    plane = body_fuzz.plane_of(method, route)
    # A DELETE names nothing that exists: it must not delete anything whatever its body.
    path = body_fuzz.fill(route, {**params, "name": "fz-unknown"} if method == "DELETE" else params, plane)
    for what, raw in body_fuzz.generic_bodies():
        before = body_fuzz.snapshot(emu.workspace)
        answer = planes.send(plane, method, path, raw)
        assert answer.status_code < 500, (what, answer.text)
        if method not in body_fuzz.BODYLESS_METHODS:  # refused: as not JSON, or for what its path names
            assert 400 <= answer.status_code < 500, (what, answer.status_code, answer.text)
        assert body_fuzz.snapshot(emu.workspace) == before, what


@pytest.mark.parametrize("method, route", sorted(SAMPLED), ids=lambda value: str(value))
def test_a_field_of_the_wrong_type_is_a_400_naming_it_and_nothing_is_stored(fuzz_emu, method: str, route: str) -> None:
    emu, params, planes = fuzz_emu
    sample = body_fuzz.samples(params)[(method, route)]
    tried = 0
    for what, raw in body_fuzz.field_mutations(sample):
        before = body_fuzz.snapshot(emu.workspace)
        answer = planes.send(sample.plane, method, sample.path, raw)
        assert 400 <= answer.status_code < 500, (what, answer.status_code, answer.text)
        if sample.form:  # form fields are all text: a JSON body is no form at all
            assert answer.json()["error"] == "unsupported_grant_type", (what, answer.text)
        else:
            assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE", (what, answer.text)
            field = what.split(" = ")[0].rsplit(".", 1)[-1].split("[")[0]
            assert field in answer.json()["message"], (what, answer.text)
        assert body_fuzz.snapshot(emu.workspace) == before, what
        tried += 1
    for what, raw in body_fuzz.raw_mutations(sample) if not sample.form else ():
        before = body_fuzz.snapshot(emu.workspace)
        answer = planes.send(sample.plane, method, sample.path, raw)
        assert answer.status_code == 400 and answer.json()["error_code"] == "MALFORMED_REQUEST", (what, answer.text)
        assert body_fuzz.snapshot(emu.workspace) == before, what
    assert tried >= 3
    # The sample itself is right: each refusal above came from the one field that was changed.
    before = body_fuzz.snapshot(emu.workspace)
    if sample.form:
        answer = planes.workspace.post(
            emu.url + sample.path, data={**sample.body, "client_id": "c", "client_secret": TOKEN}
        )
    else:
        answer = planes.send(sample.plane, method, sample.path, json.dumps(sample.body).encode())
    assert answer.status_code == 200, answer.text
    query = sample.plane == body_fuzz.DATA_PLANE or sample.path.startswith("/serving-endpoints/")
    if method != "POST" or not query:  # a query changes nothing but metrics
        assert body_fuzz.snapshot(emu.workspace) != before


def test_a_config_update_naming_its_model_with_a_number_leaves_the_endpoint_readable(fuzz_emu) -> None:
    """It used to answer 500 after storing the deployment, whose every read then failed until the
    endpoint was deleted."""
    emu, _, planes = fuzz_emu
    config = body_fuzz.custom_config()
    config["served_entities"][0]["entity_name"] = 7
    answer = send(planes, "PUT", f"/api/2.0/serving-endpoints/{body_fuzz.CUSTOM}/config", json.dumps(config).encode())
    assert answer.status_code == 400
    assert answer.json() == {
        "error_code": "INVALID_PARAMETER_VALUE",
        "message": "served_entities[0].entity_name: must be a string, not a number",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "field_violations": [
                    {"field": "served_entities[0].entity_name", "description": "must be a string, not a number"}
                ],
            }
        ],
    }
    shown = client_for(emu).serving_endpoints.get(body_fuzz.CUSTOM)
    assert shown.pending_config is None and shown.config.config_version == 1


def test_every_wrong_field_is_named_at_once(fuzz_emu) -> None:
    emu, _, planes = fuzz_emu
    body = {
        "name": "fz-two-mistakes",
        "config": {"served_entities": [{"entity_name": "ml.a.b", "entity_version": 1, "scale_to_zero_enabled": "yes"}]},
        "tags": [{"key": "team", "value": 5}],
    }
    answer = send(planes, "POST", "/api/2.0/serving-endpoints", json.dumps(body).encode())
    assert answer.status_code == 400
    fields = [v["field"] for v in answer.json()["details"][0]["field_violations"]]
    assert fields == [
        "config.served_entities[0].entity_version",
        "config.served_entities[0].scale_to_zero_enabled",
        "tags[0].value",
    ]


@pytest.mark.parametrize(
    "raw, message",
    [
        (
            b'{"name": "x", "config": {"served_entities": [{"entity_name": "m", "scale_to_zero_enabled": 1e999}]}}',
            "1e999",
        ),
        (b'{"name": NaN}', "NaN is not a JSON number"),
        (b'{"name": ' + b"9" * 5000 + b"}", "not valid JSON"),
        (b"[" * 101 + b"]" * 101, "nested too deeply: more than 100 levels"),
    ],
)
def test_numbers_no_json_parser_should_take_and_deep_nesting_are_malformed(fuzz_emu, raw: bytes, message: str) -> None:
    emu, _, planes = fuzz_emu
    answer = send(planes, "POST", "/api/2.0/serving-endpoints", raw)
    assert answer.status_code == 400 and answer.json()["error_code"] == "MALFORMED_REQUEST"
    assert message in answer.json()["message"]


def test_a_body_nested_to_the_limit_is_still_read(fuzz_emu) -> None:
    """100 levels (a tensor of rank 99) are a body like any other: a custom model answers it."""
    emu, _, planes = fuzz_emu
    row = json.loads("[" * 98 + "1" + "]" * 98)
    answer = send(
        planes, "POST", f"/serving-endpoints/{body_fuzz.CUSTOM}/invocations", json.dumps({"inputs": row}).encode()
    )
    assert answer.status_code == 200, answer.text


# -- the data plane's token exchange ---------------------------------------------------------

AUTHORIZATION = body_fuzz.authorization("<id>")
EXCHANGE_DETAILS = [
    ("not JSON", "[{type: 1}]"),
    ("nested 100000 deep", "[" * 100_000 + "]" * 100_000),
    ("NaN", "NaN"),
    ("a huge integer", body_fuzz.HUGE_TEXT),
    ("a number", "7"),
    ("an empty list", "[]"),
    ("an object, not a list", json.dumps(AUTHORIZATION)),
    ("type a number", json.dumps([{**AUTHORIZATION, "type": 7}])),
    ("object_path a number", json.dumps([{**AUTHORIZATION, "object_path": 7}])),
    ("actions a string", json.dumps([{**AUTHORIZATION, "actions": "query_inference_endpoint"}])),
    ("actions nested", json.dumps([{**AUTHORIZATION, "actions": [["query_inference_endpoint"]]}])),
    ("no endpoint of the workspace", json.dumps([AUTHORIZATION])),
]


@pytest.mark.parametrize("details", [d for _, d in EXCHANGE_DETAILS], ids=[w for w, _ in EXCHANGE_DETAILS])
def test_an_exchange_whose_authorization_details_are_of_another_shape_issues_nothing(fuzz_emu, details: str) -> None:
    """The form field holds JSON text (the SDK's `json.dumps` of the details): whatever it holds, a
    token is issued only for endpoints the details name in the documented shape."""
    emu, params, planes = fuzz_emu
    workspace_token = planes.workspace.post(
        emu.url + "/oidc/v1/token",
        data={"grant_type": "client_credentials", "client_id": "c", "client_secret": TOKEN},
        timeout=30,
    ).json()["access_token"]
    before = body_fuzz.snapshot(emu.workspace)
    answer = requests.post(
        emu.url + "/oidc/v1/token",
        data={"grant_type": JWT_BEARER, "assertion": workspace_token, "authorization_details": details},
        timeout=30,
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_authorization_details", answer.text
    assert body_fuzz.snapshot(emu.workspace) == before


# -- any JSON value anywhere -------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
JSON_ROUTES = sorted(key for key, sample in SAMPLED.items() if not sample.form and not sample.keeps_acting)


def everything_reads(emu: Emulator, session: requests.Session) -> None:
    """Every endpoint, its permissions and query API document, every secret scope and every app answer."""
    listed = session.get(f"{emu.url}/api/2.0/serving-endpoints", timeout=30)
    assert listed.status_code == 200, listed.text
    for endpoint in listed.json().get("endpoints", []):
        for path in (
            f"/api/2.0/serving-endpoints/{endpoint['name']}",
            f"/api/2.0/serving-endpoints/{endpoint['name']}/openapi",
            f"/api/2.0/serving-endpoints/{endpoint['name']}/metrics",
            f"/api/2.0/permissions/serving-endpoints/{endpoint['id']}",
        ):
            answer = session.get(emu.url + path, timeout=30)
            assert answer.status_code == 200, (path, answer.text)
    scopes = session.get(f"{emu.url}/api/2.0/secrets/scopes/list", timeout=30)
    assert scopes.status_code == 200, scopes.text
    for scope in scopes.json().get("scopes", []):
        for path in ("/api/2.0/secrets/list", "/api/2.0/secrets/acls/list"):
            answer = session.get(emu.url + path, params={"scope": scope["name"]}, timeout=30)
            assert answer.status_code == 200, (path, answer.text)
    apps = session.get(f"{emu.url}/api/2.0/apps", timeout=30)
    assert apps.status_code == 200, apps.text
    for app in apps.json().get("apps", []):
        for suffix in ("", "/update", "/deployments"):
            answer = session.get(f"{emu.url}/api/2.0/apps/{app['name']}{suffix}", timeout=30)
            assert answer.status_code == 200, (app["name"], suffix, answer.text)


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_json_anywhere_never_fails_the_server_nor_poisons_what_it_holds(fuzz_emu, data) -> None:
    """A refused body changes nothing; an accepted one leaves every endpoint and scope readable."""
    emu, params, planes = fuzz_emu
    method, route = data.draw(st.sampled_from(JSON_ROUTES), label="route")
    sample = body_fuzz.samples(params)[(method, route)]
    path = data.draw(st.sampled_from([p for p, _ in body_fuzz.paths(sample.body) if p]), label="field")
    body = body_fuzz.replaced(sample.body, path, data.draw(JSON_VALUES, label="value"))
    emu.clear_faults()  # one an earlier example injected would answer this one in its place
    before = body_fuzz.snapshot(emu.workspace)
    answer = planes.send(sample.plane, method, sample.path, json.dumps(body).encode())
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert body_fuzz.snapshot(emu.workspace) == before
    everything_reads(emu, planes.workspace)
