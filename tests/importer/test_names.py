"""`servingstack import` writes a program that runs for every valid endpoint name: names starting
with a digit or a dash, names that differ only in '-' and '_' or in case, Python keywords, names
that are another endpoint's output names or the stack's own children. Each gets a distinct valid
construct id and variable, and the round trip (apply -> import -> synth -> apply) changes nothing."""

from __future__ import annotations

import json
import keyword
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from import_support import TOKEN, client_for, wait_all_ready
from servingstack.cli import main
from servingstack.facts.rules import NAME_PATTERN
from servingstack.importer.naming import OUTPUT_SUFFIXES, output_key
from servingstack.importer.program import build_program
from test_generator import LLAMA, live
from test_round_trip import run_import, synthesize

# Valid endpoint names (letters, digits, '-' and '_': SDK ServingEndpointsAPI.create `name`) that
# trip up a naive mapping to Python names and construct ids.
AWKWARD = [
    "1chat",
    "9",
    "-chat",
    "_chat",
    "chat",
    "Chat",
    "a-b",
    "a_b",
    "a--b",
    "A-b",
    "class",
    "app",
    "stack",
    "endpoint_1chat",  # what "1chat" normalises to
    "chat_name",  # chat's output name
    "chat-url",
    "Default",
    "databricks",  # the stack's provider
    "x" * 63,
]


def test_every_awkward_name_gets_a_distinct_valid_variable_and_construct_id() -> None:
    assert all(NAME_PATTERN.match(name) for name in AWKWARD)
    program = build_program([live(name, [LLAMA]) for name in AWKWARD])
    variables = [e.variable for e in program.endpoints]
    ids = [e.construct_id for e in program.endpoints]
    assert len(set(variables)) == len(set(ids)) == len(AWKWARD)
    assert all(v.isidentifier() and not keyword.iskeyword(v) for v in variables)
    # Terraform identifiers: a letter or '_' first; cdktf keeps [A-Za-z0-9_-] of an id.
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", i) for i in ids)
    outputs = [f"{output_key(i)}_{suffix}" for i in ids for suffix in OUTPUT_SUFFIXES]
    assert len(set(outputs)) == len(outputs) and not set(outputs) & set(ids)
    # A name that is already a good identifier keeps it.
    named = {e.live.name: (e.variable, e.construct_id) for e in program.endpoints}
    assert named["chat"] == ("chat", "chat") and named["a_b"] == ("a_b", "a_b")
    assert named["1chat"][1][0].isalpha() and named["-chat"][1] != "chat"


def stack_of(names: list[str]) -> dict:
    """A stack as `cdktf synth` writes it: one endpoint per name, each with a grant."""
    resources: dict[str, dict] = {"databricks_model_serving": {}, "databricks_permissions": {}}
    for index, name in enumerate(names):
        resources["databricks_model_serving"][f"e{index}"] = {
            "name": name,
            "config": {
                "served_entities": [
                    {"name": "llm", "entity_name": "system.ai.meta_llama_3_3_70b_instruct", "entity_version": "1"}
                ]
            },
        }
        resources["databricks_permissions"][f"e{index}_permissions"] = {
            "serving_endpoint_id": f"${{databricks_model_serving.e{index}.serving_endpoint_id}}",
            "access_control": [{"group_name": "data-scientists", "permission_level": "CAN_QUERY"}],
        }
    return {"resource": resources}


def apply(emu, stack_dir: Path):
    return CliRunner().invoke(
        main,
        ["emulator", "apply", "--stack", str(stack_dir), "--host", emu.url, "--token", TOKEN],
        catch_exceptions=False,
    )


@pytest.mark.parametrize("environment", [None, "prod"])
def test_awkward_names_survive_apply_import_synth_apply(emu, tmp_path: Path, environment: str | None) -> None:
    names = [f"{environment}-{name}" if environment else name for name in AWKWARD if len(name) < 50]
    original = tmp_path / "original" / "cdktf.out" / "stacks" / "awkward"
    original.mkdir(parents=True)
    (original / "cdk.tf.json").write_text(json.dumps(stack_of(names)))
    first = apply(emu, original)
    assert first.exit_code == 0, first.output
    wait_all_ready(client_for(emu), names)

    out = tmp_path / "adopted.py"
    imported = run_import(emu, out, *(("--environment", environment) if environment else ()))
    assert imported.exit_code == 0, imported.output
    synth = synthesize(out, tmp_path / "cdktf.out")
    assert synth.returncode == 0, synth.stderr
    stack_dir = tmp_path / "cdktf.out" / "stacks" / "imported"
    document = json.loads((stack_dir / "cdk.tf.json").read_text())
    assert sorted(b["name"] for b in document["resource"]["databricks_model_serving"].values()) == sorted(names)

    again = apply(emu, stack_dir)
    assert again.exit_code == 0, again.output
    last = again.output.strip().splitlines()[-1]
    assert last == f"No changes: {2 * len(names)} resources unchanged, {2 * len(names)} imported into the state.", (
        again.output
    )
    assert apply(emu, stack_dir).output.strip().splitlines()[-1] == f"No changes: {2 * len(names)} resources unchanged."
