"""Endpoint states: creation, readiness, zero-downtime updates, conflicts and failures."""

from __future__ import annotations

import pytest
from databricks.sdk.errors import ResourceConflict

from emu_support import create_custom, custom_config, wait_ready, wait_until


def test_new_endpoint_is_not_ready_and_in_progress_with_a_pending_config(w):
    created = create_custom(w, "fresh")
    assert created.state.ready.value == "NOT_READY"
    assert created.state.config_update.value == "IN_PROGRESS"
    assert created.config is None
    assert created.pending_config.config_version == 1
    assert created.pending_config.start_time >= created.creation_timestamp
    entity = created.pending_config.served_entities[0]
    assert entity.state.deployment.value == "DEPLOYMENT_CREATING"
    assert entity.state.deployment_state_message


def test_endpoint_becomes_ready_after_the_deployment_time(w):
    create_custom(w, "fresh")
    ready = wait_ready(w, "fresh")
    assert ready.state.ready.value == "READY"
    assert ready.state.config_update.value == "NOT_UPDATING"
    assert ready.pending_config is None
    assert ready.config.config_version == 1
    assert ready.config.served_entities[0].state.deployment.value == "DEPLOYMENT_READY"
    assert ready.last_updated_timestamp >= ready.creation_timestamp


def test_sdk_waiter_sees_not_updating(w):
    from datetime import timedelta

    done = w.serving_endpoints.create(name="waited", config=custom_config("waited")).result(
        timeout=timedelta(seconds=10)
    )
    assert done.state.config_update.value == "NOT_UPDATING"


def test_update_keeps_the_old_config_serving_until_the_new_one_is_deployed(emu, w):
    create_custom(w, "zd")
    wait_ready(w, "zd")
    emu.set_deploy_seconds(60, endpoint="zd")
    updating = w.serving_endpoints.update_config(
        "zd", served_entities=custom_config("zd", "2").served_entities
    ).response
    assert updating.name == "zd"
    assert updating.state.ready.value == "READY"  # the active config still serves
    assert updating.state.config_update.value == "IN_PROGRESS"
    assert updating.config.config_version == 1
    assert [e.name for e in updating.config.served_entities] == ["v1"]
    assert updating.pending_config.config_version == 2
    assert [e.name for e in updating.pending_config.served_entities] == ["v2"]
    emu.set_deploy_seconds(0, endpoint="zd")
    updated = wait_ready(w, "zd")
    assert updated.config.config_version == 2
    assert [e.name for e in updated.config.served_entities] == ["v2"]


def test_update_during_an_update_is_a_conflict(emu, w):
    emu.set_deploy_seconds(60, endpoint="busy")
    create_custom(w, "busy")
    with pytest.raises(ResourceConflict) as caught:
        w.serving_endpoints.update_config("busy", served_entities=custom_config("busy", "2").served_entities)
    assert "busy" in str(caught.value)


def test_deploy_seconds_per_endpoint_staggers_readiness(emu, w):
    emu.set_deploy_seconds(60, endpoint="slow")
    create_custom(w, "quick")
    create_custom(w, "slow")
    wait_ready(w, "quick")
    assert w.serving_endpoints.get("slow").state.ready.value == "NOT_READY"
    emu.set_deploy_seconds(0.0, endpoint="slow")  # also applies to the running deployment
    wait_ready(w, "slow")


def test_default_deploy_seconds_can_change(emu, w):
    emu.set_deploy_seconds(60)
    create_custom(w, "later")
    assert w.serving_endpoints.get("later").state.config_update.value == "IN_PROGRESS"
    emu.set_deploy_seconds(0)
    wait_ready(w, "later")


def test_failed_deployment_of_a_new_endpoint(emu, w):
    emu.fail_deployment(endpoint="broken", message="Model signature could not be loaded")
    create_custom(w, "broken")
    create_custom(w, "healthy")
    failed = wait_until(w, "broken", lambda e: e.state.config_update.value != "IN_PROGRESS")
    assert failed.state.config_update.value == "UPDATE_FAILED"
    assert failed.state.ready.value == "NOT_READY"
    entity = failed.pending_config.served_entities[0]
    assert entity.state.deployment.value == "DEPLOYMENT_FAILED"
    assert entity.state.deployment_state_message == "Model signature could not be loaded"
    logs = w.serving_endpoints.build_logs("broken", "v1").logs
    assert "ERROR" in logs and "Model signature could not be loaded" in logs
    wait_ready(w, "healthy")  # the fault targets one endpoint only


def test_failed_update_keeps_the_old_config_ready(emu, w):
    create_custom(w, "upd")
    wait_ready(w, "upd")
    emu.fail_deployment(endpoint="upd")
    w.serving_endpoints.update_config("upd", served_entities=custom_config("upd", "2").served_entities)
    failed = wait_until(w, "upd", lambda e: e.state.config_update.value != "IN_PROGRESS")
    assert failed.state.config_update.value == "UPDATE_FAILED"
    assert failed.state.ready.value == "READY"
    assert failed.config.config_version == 1
    assert failed.pending_config.served_entities[0].state.deployment.value == "DEPLOYMENT_FAILED"
    # A failed update does not block the next one.
    emu.clear_faults()
    w.serving_endpoints.update_config("upd", served_entities=custom_config("upd", "3").served_entities)
    assert wait_ready(w, "upd").config.config_version == 3


def test_failure_injected_after_a_deployment_finished_does_not_rewrite_history(emu, w):
    emu.set_deploy_seconds(0)
    create_custom(w, "done")
    emu.fail_deployment()  # settles "done" first: its deployment was already due
    assert w.serving_endpoints.get("done").state.ready.value == "READY"


def test_sdk_waiter_raises_on_update_failed(emu, w):
    from datetime import timedelta

    from databricks.sdk.errors import OperationFailed

    emu.fail_deployment()
    with pytest.raises(OperationFailed):
        w.serving_endpoints.create(name="f", config=custom_config("f")).result(timeout=timedelta(seconds=10))


def test_never_ready_stays_in_progress_until_cleared(emu, w):
    emu.never_ready(endpoint="stuck")
    emu.set_deploy_seconds(0)
    create_custom(w, "stuck")
    for _ in range(3):
        stuck = w.serving_endpoints.get("stuck")
        assert stuck.state.ready.value == "NOT_READY"
        assert stuck.state.config_update.value == "IN_PROGRESS"
    emu.clear_faults()
    wait_ready(w, "stuck")


def test_deleted_endpoint_name_can_be_reused_with_a_new_id(w):
    first = create_custom(w, "again")
    w.serving_endpoints.delete("again")
    second = create_custom(w, "again")
    assert second.id != first.id
