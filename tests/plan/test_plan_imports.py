"""Import blocks in a plan: the stack adopts a live endpoint, secret scope or app made elsewhere (as
`servingstack import` and `.adopt()` write them), predicted by the rule `emulator apply` applies
(deploy/owned.py `decide`): adopted and then brought to the declaration, not a name taken; an import
of something that does not exist, or of another object than the resource declares, fails as the apply
fails. Real HTTP, the unmodified databricks-sdk, the emulator."""

from __future__ import annotations

import copy
from typing import Any

from databricks.sdk.service.serving import EndpointCoreConfigInput, ServedEntityInput

from plan_support import SEARCH, change, codes, deploy, document, finding, plan

OTHER = {"s": {"name": "demo-other"}}  # something the stack applied first, so that it has a state


def adopting(doc: dict[str, Any], *blocks: tuple[str, str]) -> dict[str, Any]:
    return {**doc, "import": [{"to": to, "id": import_id} for to, import_id in blocks]}


def made_by_hand(emu, name: str = "demo-search") -> None:
    entity = ServedEntityInput(name="v1", entity_name="ml.search.ranker", entity_version="2", workload_size="Small")
    emu.client().serving_endpoints.create_and_wait(
        name=name, config=EndpointCoreConfigInput(name=name, served_entities=[entity])
    )


def test_an_import_block_adopts_a_live_endpoint_instead_of_a_create_that_fails(emu, tmp_path):
    deploy(emu, tmp_path, document({}, databricks_secret_scope=OTHER))
    made_by_hand(emu)
    declared = document({"search": SEARCH}, databricks_secret_scope=OTHER)  # version 1: the live one serves 2
    assert finding(plan(emu, tmp_path, declared), "name_taken", "demo-search").severity == "error"
    report = plan(emu, tmp_path, adopting(declared, ("databricks_model_serving.search", "demo-search")))
    search = change(report, "databricks_model_serving.search")
    assert search.action == "update" and search.owned is True
    assert search.effects[0].startswith("import (import block): Terraform takes the live endpoint into its state")
    assert "imported: the stack's import block adopts the live one" in search.notes
    assert "name_taken" not in codes(report) and report.exit_code() == 0


def test_an_import_block_that_cannot_work_fails_as_the_apply_does(emu, tmp_path):
    deploy(emu, tmp_path, document({}, databricks_secret_scope=OTHER))
    made_by_hand(emu)
    other = copy.deepcopy(SEARCH)
    other["name"] = "demo-nowhere"
    report = plan(
        emu,
        tmp_path,
        adopting(
            document({"search": SEARCH, "nowhere": other}, databricks_secret_scope=OTHER),
            ("databricks_model_serving.search", "demo-something-else"),
            ("databricks_model_serving.nowhere", "demo-nowhere"),
        ),
    )
    mismatch = finding(report, "import_mismatch", "demo-search")
    assert 'adopts the endpoint "demo-something-else", but the resource declares "demo-search"' in mismatch.message
    missing = finding(report, "import_missing", "demo-nowhere")
    assert missing.message.startswith("Cannot import non-existent remote object")
    assert change(report, "databricks_model_serving.nowhere").action == "create"
    assert report.exit_code() == 1


def test_an_import_block_adopts_a_secret_scope_made_elsewhere(emu, tmp_path):
    deploy(emu, tmp_path, document({"search": SEARCH}))
    emu.client().secrets.create_scope("demo-keys")
    declared = document({"search": SEARCH}, databricks_secret_scope={"keys": {"name": "demo-keys"}})
    assert finding(plan(emu, tmp_path, declared), "name_taken", "demo-keys").severity == "error"
    report = plan(emu, tmp_path, adopting(declared, ("databricks_secret_scope.keys", "demo-keys")))
    scope = change(report, "databricks_secret_scope.keys")
    assert scope.action == "unchanged" and scope.owned is True and "name_taken" not in codes(report)
