"""The in-process `Emulator`: lifecycle and counters."""

from __future__ import annotations

import socket
import threading

import pytest
import requests

from emu_support import TOKEN, client_for, create_custom, wait_ready
from servingstack.emulator import Emulator


def test_start_binds_loopback_on_a_free_port_and_stop_is_idempotent():
    emulator = Emulator(token=TOKEN)
    emulator.stop()  # never started: nothing to do
    emulator.start()
    try:
        assert emulator.url.startswith("http://127.0.0.1:")
        assert emulator.start() is emulator  # already running
        assert requests.get(f"{emulator.url}/.well-known/databricks-config", timeout=5).status_code == 200
    finally:
        emulator.stop()
        emulator.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{emulator.url}/.well-known/databricks-config", timeout=5)
    assert not any(t.name == "servingstack-emulator" and t.is_alive() for t in threading.enumerate())


def test_start_on_a_busy_port_raises():
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        with pytest.raises(OSError):
            Emulator(token=TOKEN, port=held.getsockname()[1]).start()


def test_stop_does_not_wait_for_a_slow_request(emu):
    emu.slow(30)
    outcome: list[object] = []

    def stuck_call():
        try:
            outcome.append(
                requests.get(
                    f"{emu.url}/api/2.0/serving-endpoints", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60
                )
            )
        except requests.RequestException as error:
            outcome.append(error)

    caller = threading.Thread(target=stuck_call)
    caller.start()
    while emu.request_count("GET", "/api/2.0/serving-endpoints") == 0:
        threading.Event().wait(0.01)
    emu.stop()
    caller.join(timeout=30)
    assert not caller.is_alive()
    assert isinstance(outcome[0], requests.RequestException)


def test_request_count_by_method_and_path(emu, w):
    emu.reset_request_count()
    create_custom(w, "counted")
    wait_ready(w, "counted")
    w.serving_endpoints.list()
    assert emu.request_count("POST") == 1
    assert emu.request_count("get", "/api/2.0/serving-endpoints/counted") >= 1
    assert emu.request_count(path_prefix="/api/2.0/serving-endpoints") == emu.request_count("POST") + emu.request_count(
        "GET", "/api/2.0/serving-endpoints"
    )
    before = emu.request_count()
    client_for(emu)  # a new client asks for the host metadata
    assert emu.request_count("GET", "/.well-known/databricks-config") >= 1
    assert emu.request_count() == before + 1


def test_emulators_are_independent():
    with Emulator(token=TOKEN, deploy_seconds=0) as first, Emulator(token=TOKEN, deploy_seconds=0) as second:
        assert first.url != second.url
        create_custom(client_for(first), "only-here")
        assert [e.name for e in client_for(second).serving_endpoints.list()] == []
