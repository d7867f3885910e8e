"""The endpoint's metrics as the service exports them (per-window gauges, a latency histogram, errors),
a served entity that degrades only once it takes real traffic, config updates with their own timing,
and simulated callers: each through the SDK over HTTP, from Python and from the command line."""

from __future__ import annotations

import math
import re
import time

import pytest
from click.testing import CliRunner
from databricks.sdk.errors import InternalError, InvalidParameterValue
from databricks.sdk.service.serving import Route, TrafficConfig

from emu_support import TOKEN, client_for, create_custom, custom_config, wait_ready
from servingstack.cli import main
from servingstack.emulator import Emulator

WINDOW = 0.4
_LINE = re.compile(r"^(?P<name>[a-z_0-9]+)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+) (?P<stamp>\d+)$")


@pytest.fixture
def emu_windowed():
    with Emulator(token=TOKEN, deploy_seconds=0.2, seed=3, metrics_window_seconds=WINDOW) as emulator:
        yield emulator


def samples(text: str) -> dict[tuple[str, str], tuple[float, int]]:
    """{(metric, labels): (value, stamp)} of every sample line; every line is one."""
    found = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = _LINE.match(line)
        assert match, line
        found[(match["name"], match["labels"] or "")] = (float(match["value"]), int(match["stamp"]))
    return found


def next_window() -> None:
    """Sleep to just after the next window boundary."""
    time.sleep(WINDOW - math.fmod(time.time(), WINDOW) + 0.02)


def test_the_last_window_counts_requests_errors_and_latency_for_the_endpoint(emu_windowed):
    w = client_for(emu_windowed)
    create_custom(w, "m", "1", "2", routes={"v1": 100, "v2": 0})
    wait_ready(w, "m")
    emu_windowed.break_entity("m", "v2", count=1)
    next_window()
    for _ in range(3):
        w.serving_endpoints.query("m", instances=[[1]])
    with pytest.raises(InvalidParameterValue):
        w.serving_endpoints.query("m", instances=[[1]], inputs=[[1]])  # 400 before any entity
    with pytest.raises(InternalError):  # v2 on its own route, broken once
        w.api_client.do("POST", "/serving-endpoints/m/served-models/v2/invocations", body={"instances": [[1]]})
    next_window()
    response = w.api_client.do("GET", "/api/2.0/serving-endpoints/m/metrics", raw=True)
    text = response["contents"].read().decode()
    assert "# TYPE request_count_total gauge" in text and "# TYPE request_latency_ms histogram" in text
    got = samples(text)
    stamps = {stamp for _, stamp in got.values()}
    assert len(stamps) == 1 and stamps.pop() % int(WINDOW * 1000) == 0  # the window's end, epoch ms
    assert got[("request_count_total", "")][0] == 5
    assert got[("request_4xx_count_total", "")][0] == 1
    assert got[("request_5xx_count_total", "")][0] == 1
    assert got[("request_latency_ms_count", "")][0] == 5 and got[("request_latency_ms_sum", "")][0] > 0
    assert got[("request_latency_ms_bucket", 'le="+Inf"')][0] == 5
    # The next window saw nothing: the gauges count one window, they are no counters.
    next_window()
    later = samples(w.serving_endpoints.export_metrics("m").contents.read().decode())
    assert later[("request_count_total", "")][0] == 0
    assert emu_windowed.queries_served("m") == 3  # answered, since it was created (Python API)


def test_per_entity_series_when_asked_for():
    with Emulator(token=TOKEN, deploy_seconds=0.1, metrics_window_seconds=WINDOW, metrics_per_entity=True) as emu:
        w = client_for(emu)
        create_custom(w, "m", "1", "2", routes={"v1": 100, "v2": 0})
        wait_ready(w, "m")
        next_window()
        for _ in range(2):
            w.serving_endpoints.query("m", instances=[[1]])
        next_window()
        got = samples(w.serving_endpoints.export_metrics("m").contents.read().decode())
        assert got[("request_count_total", 'served_entity_name="v1"')][0] == 2
        assert got[("request_count_total", 'served_entity_name="v2"')][0] == 0
        assert got[("request_latency_ms_bucket", 'served_entity_name="v1",le="+Inf"')][0] == 2


def test_a_degraded_entity_answers_well_until_it_takes_its_share(emu_windowed):
    w = client_for(emu_windowed)
    create_custom(w, "d", "1", "2", routes={"v1": 100, "v2": 0})
    wait_ready(w, "d")
    emu_windowed.degrade("d", "v2", error_rate=1.0, seconds=0.05, from_percent=25)
    direct = "/serving-endpoints/d/served-models/v2/invocations"
    started = time.perf_counter()
    w.api_client.do("POST", direct, body={"instances": [[1]]})  # 0%: fine, and fast
    assert time.perf_counter() - started < 0.05
    for percent, fails in ((10, False), (25, True)):
        w.serving_endpoints.update_config(
            "d",
            served_entities=custom_config("d", "1", "2").served_entities,
            traffic_config=TrafficConfig(
                routes=[
                    Route(served_model_name="v1", traffic_percentage=100 - percent),
                    Route(served_model_name="v2", traffic_percentage=percent),
                ]
            ),
        )
        wait_ready(w, "d")
        if fails:
            with pytest.raises(InternalError, match="failed under load"):
                w.api_client.do("POST", direct, body={"instances": [[1]]})
        else:
            w.api_client.do("POST", direct, body={"instances": [[1]]})
    assert [f["kind"] for f in emu_windowed.faults()] == ["degrade"]


def test_simulated_callers_follow_the_split_and_meet_the_degradation(emu_windowed):
    w = client_for(emu_windowed)
    create_custom(w, "s", "1", "2", routes={"v1": 50, "v2": 50})
    wait_ready(w, "s")
    emu_windowed.degrade("s", "v2", error_rate=0.5, seconds=0.3)
    emu_windowed.simulate_traffic("s", 500)
    next_window()
    next_window()
    got = samples(w.serving_endpoints.export_metrics("s").contents.read().decode())
    emu_windowed.simulate_traffic("s", 0)
    requests, errors = got[("request_count_total", "")][0], got[("request_5xx_count_total", "")][0]
    assert 150 <= requests <= 250  # 500/s over a 0.4 s window
    assert 0.15 < errors / requests < 0.35  # half of the half that v2 answers
    slow = requests - got[("request_latency_ms_bucket", 'le="250"')][0]  # v2's answers take 300 ms more
    assert 0.35 < slow / requests < 0.65
    assert emu_windowed.workspace.callers == {}


def test_config_updates_take_their_own_time(emu_windowed):
    w = client_for(emu_windowed)
    emu_windowed.set_update_seconds(1.5, endpoint="u")
    create_custom(w, "u", "1")
    wait_ready(w, "u", timeout=1.0)  # the create: deploy_seconds (0.2)
    w.serving_endpoints.update_config("u", served_entities=custom_config("u", "1").served_entities)
    time.sleep(0.5)
    assert w.serving_endpoints.get("u").state.config_update.value == "IN_PROGRESS"
    wait_ready(w, "u", timeout=3.0)


def test_the_command_line_degrades_an_entity_and_starts_callers(emu_windowed):
    w = client_for(emu_windowed)
    create_custom(w, "c", "1", "2", routes={"v1": 90, "v2": 10})
    wait_ready(w, "c")
    common = ["--host", emu_windowed.url, "--token", TOKEN]
    added = CliRunner().invoke(
        main, ["emulator", "fault", "degrade", "c", "v2", "--error-rate", "0.3", "--from-percent", "5", *common]
    )
    assert added.exit_code == 0, added.output
    (fault,) = emu_windowed.faults()
    assert fault == {
        "kind": "degrade",
        "endpoint": "c",
        "entity": "v2",
        "error_rate": 0.3,
        "seconds": 0.0,
        "from_percent": 5,
        "status": 500,
        "message": "The model server failed under load (emulated degraded entity).",
    }
    started = CliRunner().invoke(main, ["emulator", "traffic", "c", "40", *common])
    assert started.exit_code == 0 and "simulated callers: c 40/s" in started.output
    assert emu_windowed.workspace.callers == {"c": 40.0}
    stopped = CliRunner().invoke(main, ["emulator", "traffic", "c", "0", *common])
    assert stopped.exit_code == 0 and "simulated callers: none" in stopped.output
    refused = CliRunner().invoke(main, ["emulator", "fault", "degrade", "c", "v2", *common])
    assert refused.exit_code == 2 and "degrade needs error_rate > 0, seconds > 0 or both" in refused.output
