"""Readiness: when an endpoint counts as done, when it has failed, and how often to look."""

from __future__ import annotations

from servingstack.check.readiness import PollPolicy, assess, failure_details


def endpoint(ready="READY", update="NOT_UPDATING", config=1, pending=None, deployment="DEPLOYMENT_READY", message=None):
    def cfg(version):
        return {
            "config_version": version,
            "served_entities": [
                {"name": "llm", "state": {"deployment": deployment, "deployment_state_message": message}}
            ],
        }

    body = {"name": "e", "state": {"ready": ready, "config_update": update}}
    if config is not None:
        body["config"] = cfg(config)
    if pending is not None:
        body["pending_config"] = cfg(pending)
    return body


def test_ready_needs_ready_not_updating_and_no_pending_config():
    assert assess(endpoint()).phase == "ready"
    assert assess(endpoint(ready="NOT_READY")).phase == "waiting"
    assert assess(endpoint(update="IN_PROGRESS")).phase == "waiting"
    # The SDK's waiter would stop here: NOT_UPDATING, yet a pending config is still deploying.
    assert assess(endpoint(pending=2)).phase == "waiting"


def test_a_new_endpoint_without_active_config_is_waiting():
    readiness = assess(
        endpoint(
            ready="NOT_READY",
            update="IN_PROGRESS",
            config=None,
            pending=1,
            deployment="DEPLOYMENT_CREATING",
            message="Building",
        )
    )
    assert readiness.phase == "waiting"
    assert readiness.summary == "NOT_READY/IN_PROGRESS, pending v1, llm: DEPLOYMENT_CREATING (Building)"


def test_failed_update_or_entity_fails_fast():
    assert assess(endpoint(update="UPDATE_FAILED")).phase == "failed"
    assert assess(endpoint(update="UPDATE_CANCELED")).phase == "failed"
    failed = assess(endpoint(update="IN_PROGRESS", pending=2, deployment="DEPLOYMENT_FAILED", message="OOM"))
    assert failed.phase == "failed"
    assert [str(e) for e in failed.failed_entities] == ["llm: DEPLOYMENT_FAILED (OOM)"]
    assert assess(endpoint(deployment="DEPLOYMENT_ABORTED")).phase == "failed"


def test_failure_details_hold_the_message_and_log_tails():
    readiness = assess(endpoint(update="UPDATE_FAILED", deployment="DEPLOYMENT_FAILED", message="bad image"))
    logs = {"build-logs": "\n".join(f"step {i}" for i in range(40)) + "\nERROR: pip failed\n", "logs": None}
    details = failure_details(readiness, lambda entity, kind: logs[kind])
    assert details[0] == "served entity llm: DEPLOYMENT_FAILED (bad image)"
    assert details[1].startswith("  build logs of llm (last 15 lines)")
    assert details[-1] == "    ERROR: pip failed"
    assert not any("logs of llm" in d and "build" not in d for d in details)


def test_poll_interval_grows_with_the_wait_within_bounds():
    policy = PollPolicy(initial=0.2, share_of_elapsed=0.25, cap=5.0, jitter=0.2)
    assert 0.16 <= policy.interval(0) <= 0.24
    assert 0.8 <= policy.interval(4) <= 1.2
    assert 4.0 <= policy.interval(3600) <= 6.0
    # Full looks at each endpoint still deploying are rarer: every 10 s at first, at most every 60 s.
    assert 8.0 <= policy.detail_interval(1) <= 12.0
    assert 48.0 <= policy.detail_interval(3600) <= 72.0
