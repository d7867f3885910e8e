"""One served entity, queried directly and broken on purpose: the route as the service serves it
(404 for an unknown entity, the entity's own answer and `served-model-name`), and the
`broken_entity` fault from the Python API, the admin route and the command line."""

from __future__ import annotations

from collections import Counter

import pytest
import requests
from click.testing import CliRunner

from emu_support import TOKEN, create_custom, wait_ready
from servingstack.cli import main
from servingstack.emulator import FaultSpecError
from servingstack.emulator.faults import Fault

ROW = {"instances": [[1.0]]}


def post(emu, path: str, body=ROW) -> requests.Response:
    return requests.post(f"{emu.url}{path}", json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)


def entity_route(endpoint: str, entity: str) -> str:
    return f"/serving-endpoints/{endpoint}/served-models/{entity}/invocations"


@pytest.fixture
def canary(w):
    create_custom(w, "canary", "1", "2", routes={"v1": 90, "v2": 10})
    wait_ready(w, "canary")
    return w


def test_each_entity_answers_on_its_own_route_whatever_its_share(emu, canary):
    for entity in ("v1", "v2"):
        response = post(emu, entity_route("canary", entity))
        assert response.status_code == 200
        assert response.headers["served-model-name"] == entity
        assert len(response.json()["predictions"]) == 1
    assert emu.queries_served("canary", "v2") == 1


def test_an_unknown_entity_is_404_resource_does_not_exist(emu, canary):
    response = post(emu, entity_route("canary", "v9"))
    assert response.status_code == 404
    assert response.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert "v9" in response.json()["message"]


def test_a_broken_entity_fails_its_own_queries_every_time_and_the_others_answer(emu, canary):
    emu.break_entity("canary", "v2")
    for _ in range(5):
        broken = post(emu, entity_route("canary", "v2"))
        assert broken.status_code == 500 and broken.json()["error_code"] == "INTERNAL_ERROR"
        assert broken.headers["served-model-name"] == "v2"
        assert post(emu, entity_route("canary", "v1")).status_code == 200
    # Through the endpoint, the traffic split sends about one query in ten to the broken entity.
    outcomes = Counter(post(emu, "/serving-endpoints/canary/invocations").status_code for _ in range(100))
    assert outcomes[500] > 0 and outcomes[200] > outcomes[500]
    emu.clear_faults()
    assert post(emu, entity_route("canary", "v2")).status_code == 200


def test_a_counted_broken_entity_recovers_and_can_answer_503(emu, canary):
    emu.break_entity("canary", "v2", status=503, count=1, message="model server restarting")
    first = post(emu, entity_route("canary", "v2"))
    assert first.status_code == 503 and first.json()["message"] == "model server restarting"
    assert post(emu, entity_route("canary", "v2")).status_code == 200


def test_request_faults_can_target_one_entity(emu, canary):
    emu.throttle(1, endpoint="canary", entity="v1")
    assert post(emu, entity_route("canary", "v2")).status_code == 200
    assert post(emu, entity_route("canary", "v1")).status_code == 429
    assert emu.faults() == []


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"kind": "broken_entity", "endpoint": "canary"}, "entity: broken_entity needs"),
        ({"kind": "broken_entity", "entity": "v2"}, "endpoint: a fault on one served entity"),
        ({"kind": "never_ready", "endpoint": "canary", "entity": "v2"}, "applies to a whole endpoint"),
        ({"kind": "broken_entity", "endpoint": "canary", "entity": "v2", "status": 404}, "status: must be"),
    ],
)
def test_entity_fault_specs_are_checked(spec, message):
    with pytest.raises(FaultSpecError, match=message):
        Fault.from_dict(spec)


def test_admin_route_and_cli_break_one_entity(emu, canary):
    response = requests.post(
        f"{emu.url}/_emulator/faults",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=5,
        json={"kind": "broken_entity", "endpoint": "canary", "entity": "v1", "count": 1},
    )
    assert response.status_code == 200
    assert response.json()["faults"] == [
        {
            "kind": "broken_entity",
            "endpoint": "canary",
            "entity": "v1",
            "count": 1,
            "status": 500,
            "message": "The model server failed to answer the request (emulated broken entity).",
        }
    ]
    assert post(emu, entity_route("canary", "v1")).status_code == 500

    result = CliRunner().invoke(
        main,
        ["emulator", "fault", "--host", emu.url, "--token", TOKEN, "broken-entity", "canary", "v2", "--status", "503"],
    )
    assert result.exit_code == 0, result.output
    assert "fault added: broken-entity" in result.output
    assert post(emu, entity_route("canary", "v2")).status_code == 503
    assert CliRunner().invoke(main, ["emulator", "fault", "broken-entity", "--help"]).exit_code == 0


def test_a_broken_entity_also_fails_on_the_openai_compatible_route(emu, w):
    """An app that queries through `get_open_ai_client()` reaches the same served entity, so a broken
    entity answers it with the same error (the route names the endpoint in `model`)."""
    from emu_support import create_foundation

    create_foundation(w, "chat")
    entity = wait_ready(w, "chat").config.served_entities[0].name
    body = {"model": "chat", "messages": [{"role": "user", "content": "hi"}]}
    assert post(emu, "/serving-endpoints/chat/completions", body).status_code == 200
    emu.break_entity("chat", entity)
    response = post(emu, "/serving-endpoints/chat/completions", body)
    assert response.status_code == 500
    assert response.json()["error_code"] == "INTERNAL_ERROR"
    assert response.headers["served-model-name"] == entity
