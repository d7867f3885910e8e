"""Requests without a valid token cost nothing that lasts: no entry in the request log, no
bookkeeping per token or path, nothing stored, however many there are and whatever they ask, on the
workspace API or on the data plane."""

from __future__ import annotations

import gc
import random
import sys
import types

import requests

import body_fuzz
from emu_support import TOKEN, client_for
from servingstack.emulator import Emulator

_SHARED = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.CodeType)


def held_bytes(root: object) -> int:
    """The bytes of every object the workspace holds (its stores, logs, tokens, faults), code and
    modules aside: whatever a request leaves behind in the workspace shows up here."""
    seen: set[int] = set()
    stack = [root]
    total = 0
    while stack:
        value = stack.pop()
        if id(value) in seen or isinstance(value, _SHARED):
            continue
        seen.add(id(value))
        total += sys.getsizeof(value)
        stack += gc.get_referents(value)
    return total


def unauthenticated(emu: Emulator, session: requests.Session, count: int, rng: random.Random) -> list[int]:
    """`count` requests, each without a token, with a wrong one or a wrong scheme, to a path of its
    own (long and random), by every method, on either listener; token requests with a wrong client
    secret."""
    statuses = []
    for index in range(count):
        noise = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789-", k=400))
        kind = index % 6
        if kind == 5:  # the public token endpoint, with a wrong secret
            answer = session.post(
                f"{emu.url}/oidc/v1/token",
                data={"grant_type": "client_credentials", "client_id": noise, "client_secret": noise},
                timeout=30,
            )
        elif kind == 4:  # a public prefix, no such route
            answer = session.get(f"{emu.url}/oidc/{noise}", timeout=30)
        else:
            headers = [{}, {"Authorization": f"Bearer {noise}"}, {"Authorization": f"Basic {noise}"}][kind % 3]
            method = ("GET", "POST", "PUT", "PATCH", "DELETE")[index % 5]
            workspace_id = emu.workspace.workspace_id
            url = rng.choice(
                [
                    f"{emu.url}/api/2.0/serving-endpoints/{noise}",
                    f"{emu.url}/api/2.0/secrets/{noise}",
                    f"{emu.url}/{noise}",
                    f"{emu.url}/_emulator/faults",
                    f"{emu.data_plane_url}/{workspace_id}/serving-endpoints/{noise}/invocations",
                    f"{emu.data_plane_url}/{workspace_id}/serving-endpoints/{body_fuzz.RO}/invocations",
                ]
            )
            answer = session.request(method, url, headers=headers, data=b'{"name": "x"}', timeout=30)
        statuses.append(answer.status_code)
    return statuses


def test_many_requests_without_a_valid_token_leave_nothing_behind() -> None:
    rng = random.Random(7)
    with Emulator(token=TOKEN, deploy_seconds=0, seed=0) as emu:
        body_fuzz.setup(client_for(emu))
        emu.reset_request_count()
        session = requests.Session()
        unauthenticated(emu, session, 60, rng)  # warm-up: whatever is built once, on first use
        before, held = body_fuzz.snapshot(emu.workspace), held_bytes(emu.workspace)

        statuses = unauthenticated(emu, session, 1200, rng)

        assert set(statuses) <= {400, 401, 404}, sorted(set(statuses))
        assert statuses.count(401) >= 800  # every request to the API itself is refused for its token
        assert emu.request_count() == 0
        assert body_fuzz.snapshot(emu.workspace) == before
        # 1200 paths of 400 characters: keeping any part of each would hold hundreds of kilobytes.
        assert held_bytes(emu.workspace) == held

        # With the token, a request is counted: the count above could have seen them.
        authorized = requests.Session()
        authorized.headers["Authorization"] = f"Bearer {TOKEN}"
        assert authorized.get(f"{emu.url}/api/2.0/serving-endpoints/fz-missing", timeout=30).status_code == 404
        assert emu.request_count() == 1 and held_bytes(emu.workspace) > held
