"""Import blocks (`adopt()`): every adopted resource gets its block, and cdktf's Terraform version
check (`terraform version`, run at synth for each `import_from`) runs once per stack, not once per
block: 0.1 s or more each, it made an imported stack of 200 endpoints synthesize several times
slower than the same stack written by hand (bench/import_synth.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROGRAM = """
import sys
from servingstack import FoundationModel, SecretScope, ServingEndpoint, ServingStack, synthesize

def build(app):
    stack = ServingStack(app, "dev", environment="dev")
    for index in range(3):
        endpoint = ServingEndpoint(stack, f"chat{index}", name=f"chat{index}",
                                   served_entities=[FoundationModel("system.ai.meta_llama_3_3_70b_instruct")])
        endpoint.grant_query(group="ds")
        endpoint.adopt(f"id-{index}")
    SecretScope(stack, "keys", name="llm-keys").adopt()

sys.exit(synthesize(build))
"""


def test_every_adopted_resource_has_its_block_and_terraform_is_asked_its_version_once(tmp_path: Path) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    calls = tmp_path / "terraform-calls"
    (fake / "terraform").write_text(f'#!/bin/sh\necho "$@" >> {calls}\necho "Terraform v1.9.8"\n')
    (fake / "terraform").chmod(0o755)
    (tmp_path / "main.py").write_text(PROGRAM)
    env = {**os.environ, "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}", "CDKTF_OUTDIR": str(tmp_path / "out")}
    result = subprocess.run(
        [sys.executable, "main.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240
    )
    assert result.returncode == 0, result.stderr

    document = json.loads((tmp_path / "out" / "stacks" / "dev" / "cdk.tf.json").read_text())
    blocks = {block["to"]: block["id"] for block in document["import"]}
    resources = {f"{kind}.{name}" for kind, named in document["resource"].items() for name in named}
    assert set(blocks) <= resources
    endpoints = {to: id for to, id in blocks.items() if to.startswith("databricks_model_serving.")}
    assert sorted(endpoints.values()) == ["dev-chat0", "dev-chat1", "dev-chat2"]
    permissions = sorted(id for to, id in blocks.items() if to.startswith("databricks_permissions."))
    assert permissions == ["/serving-endpoints/id-0", "/serving-endpoints/id-1", "/serving-endpoints/id-2"]
    assert [id for to, id in blocks.items() if to.startswith("databricks_secret_scope.")] == ["dev-llm-keys"]
    assert len(document["import"]) == 7
    assert calls.read_text().splitlines() == ["version"]  # once for the stack, not once per block


def test_acls_built_at_synth_get_their_blocks_whatever_was_adopted_first(one_stack) -> None:
    """A scope's ACLs are built at synth, after the stack's other import blocks may have been
    written: theirs join the list all the same, also when an ACL is the stack's first import."""
    from servingstack import SecretScope

    def fill(stack) -> None:
        SecretScope(stack, "plain", name="plain-keys").adopt()  # the stack's first import, before any grant
        keys = SecretScope(stack, "keys", name="llm-keys")
        keys.grant_read(group="ds")
        keys.adopt()
        shared = SecretScope.from_name(stack, "shared", name="shared-keys", reason="made by the security team")
        shared.grant_read(group="ops")
        shared.adopt()

    def only_acls(stack) -> None:
        shared = SecretScope.from_name(stack, "shared", name="shared-keys", reason="made by the security team")
        shared.grant_read(group="ops")
        shared.grant_manage(user="lead@example.com")
        shared.adopt()

    for build, expected in (
        (fill, {"databricks_secret_scope": 2, "acls": ["dev-llm-keys|||ds", "shared-keys|||ops"]}),
        (only_acls, {"databricks_secret_scope": 0, "acls": ["shared-keys|||lead@example.com", "shared-keys|||ops"]}),
    ):
        document = one_stack(build)
        blocks = {block["to"]: block["id"] for block in document["import"]}
        resources = {f"{kind}.{name}" for kind, named in document["resource"].items() for name in named}
        assert set(blocks) <= resources and len(blocks) == len(document["import"])
        assert sorted(id for to, id in blocks.items() if to.startswith("databricks_secret_acl.")) == expected["acls"]
        scopes = [to for to in blocks if to.startswith("databricks_secret_scope.")]
        assert len(scopes) == expected["databricks_secret_scope"]
