"""`SecretScope.adopt()`: a scope made elsewhere is taken into the stack by a Terraform import block
(provider docs resources/secret_scope.md "Import": by the scope name, the stack's prefix included),
which `emulator apply` honours."""

from __future__ import annotations

from servingstack.facts.stackfile import load_stack


def test_an_adopted_scope_carries_an_import_block_by_its_name(one_stack, tmp_path) -> None:
    from servingstack import SecretScope

    document = one_stack(lambda stack: SecretScope(stack, "keys", name="llm-keys").adopt())

    (logical_id,) = document["resource"]["databricks_secret_scope"]
    assert {"to": f"databricks_secret_scope.{logical_id}", "id": "dev-llm-keys"} in [
        {k: v for k, v in block.items() if k in ("to", "id")} for block in document["import"]
    ]
    stack_dir = tmp_path / "cdktf.out" / "stacks" / "dev"
    assert load_stack(stack_dir).imports == {f"databricks_secret_scope.{logical_id}": "dev-llm-keys"}
