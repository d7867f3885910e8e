"""All problems at once: `synthesize()` lists every construct's problems of the whole app in one
run (a refused construct builds nothing and the build goes on), exits 1 and writes nothing; used
directly, outside `synthesize()`, a construct still raises at once."""

from __future__ import annotations

import json

import pytest

from servingstack import (
    CustomModel,
    ExternalModel,
    FoundationModel,
    OpenAI,
    SecretScope,
    ServingApp,
    ServingEndpoint,
    ServingStack,
    ValidationError,
    synthesize,
)
from servingstack.cdk.problems import is_collecting

LLAMA = FoundationModel("system.ai.llama", "1")


def broken(stack, id, **props):
    return ServingEndpoint(stack, id, **{"name": id, "served_entities": [LLAMA], **props})


def stderr_of(capsys) -> list[str]:
    return capsys.readouterr().err.splitlines()


def test_two_broken_endpoints_in_two_stacks_are_both_reported_and_nothing_is_written(tmp_path, capsys):
    outdir = tmp_path / "cdktf.out"

    def build(app):
        for environment in ("dev", "prod"):
            stack = ServingStack(app, environment, environment=environment)
            broken(stack, "chat", name="bad name")
            broken(stack, "fraud", served_entities=[CustomModel("ml.fraud.scorer", 3, workload_type="gpu small")])
            broken(stack, "fine")

    assert synthesize(build, outdir) == 1
    lines = stderr_of(capsys)
    paths = [line.split(":")[1].strip() for line in lines if line.startswith("error: ") and "/" in line]
    assert paths == ["dev/chat", "dev/fraud", "prod/chat", "prod/fraud"]
    assert "error: dev/chat: name: 'dev-bad name' may contain only letters, digits, '-' and '_'" in lines
    assert sum(line.startswith("  (declared at ") for line in lines) == 4
    assert lines[-1] == "error: 4 constructs have problems; nothing was written"
    # No output, no staging left behind: only the synth report, which says it failed.
    assert not outdir.exists() and [p.name for p in tmp_path.iterdir()] == ["servingstack-synth.json"]
    assert json.loads((tmp_path / "servingstack-synth.json").read_text())["status"] == "failed"
    assert not is_collecting()  # only while synthesize() builds


def test_used_directly_a_construct_still_raises_at_once(synth):
    def build(app):
        stack = ServingStack(app, "dev")
        with pytest.raises(ValidationError, match="dev/chat: name:"):
            broken(stack, "chat", name="bad name")
        with pytest.raises(ValidationError, match="dev/keys: name:"):
            SecretScope(stack, "keys", name="bad name")
        with pytest.raises(ValidationError, match="dev/ok: grant: a grant names exactly one"):
            broken(stack, "ok").grant_query()
        # The refused endpoint claimed nothing: the same id and name work once fixed.
        broken(stack, "chat", name="chat")

    assert "chat" in synth(build)["dev"]["resource"]["databricks_model_serving"]


def test_what_uses_a_refused_construct_is_checked_for_its_own_problems_only(tmp_path, capsys):
    def build(app):
        stack = ServingStack(app, "dev", environment="dev")
        keys = SecretScope(stack, "keys", name="bad keys", initial_manage_principal="admins")
        # The refused scope still hands out references: the endpoint is checked, and is fine.
        ServingEndpoint(
            stack, "chat", name="chat", served_entities=[ExternalModel("gpt-4o", OpenAI(api_key=keys.secret("openai")))]
        )
        keys.grant_read(group="data-scientists").grant_read()  # the second grant is a problem of the scope
        fraud = broken(stack, "fraud", served_entities=[CustomModel("ml.fraud.scorer", "three")])
        fraud.grant_query(group="analysts").adopt()  # no crash, nothing built
        # An app that queries a refused endpoint is not built, and adds no problem of its own...
        ServingApp(stack, "bot", name="bot", query_endpoints={"llm": fraud})
        # ...unless it has one.
        ServingApp(stack, "bad-bot", name="Bad Bot", query_endpoints={"llm": fraud})

    assert synthesize(build, tmp_path / "out") == 1
    err = "\n".join(stderr_of(capsys))
    assert "error: dev/keys: 3 problems" in err
    assert "initial_manage_principal" in err and "'dev-bad keys'" in err and "grant: a grant names exactly one" in err
    assert "error: dev/fraud: config.served_entities[0].entity_version: 'three' is not a model version number" in err
    assert "error: dev/bad-bot: name: 'dev-Bad Bot' may contain only lowercase letters" in err
    assert "dev/chat" not in err and "dev/bot:" not in err
    assert err.splitlines()[-1] == "error: 3 constructs have problems; nothing was written"


def test_constructs_inside_a_stack_that_could_not_be_built_are_not_checked(tmp_path, capsys):
    def build(app):
        stack = ServingStack(app, "", environment="dev")  # no id: nothing to build a stack on
        broken(stack, "chat", name="bad name")
        good = ServingStack(app, "prod", environment="prod")
        broken(good, "chat", name="bad name")

    assert synthesize(build, tmp_path / "out") == 1
    err = stderr_of(capsys)
    assert [line for line in err if line.startswith("error: ")] == [
        "error: : id: expected a non-empty str, got str",
        "error: prod/chat: name: 'prod-bad name' may contain only letters, digits, '-' and '_'",
        "error: 2 constructs have problems; nothing was written",
    ]


def test_a_stack_with_bad_props_is_still_built_so_its_endpoints_are_checked(tmp_path, capsys):
    def build(app):
        stack = ServingStack(app, "dev", environment="Dev!", default_tags={"": "x"})
        broken(stack, "chat", name="bad name")
        # Its names are claimed apart: no false collision with another stack's.
        ServingStack(app, "prod", name_prefix="")
        broken(ServingStack.of(app.node.find_child("prod")), "chat", name="bad-name")

    assert synthesize(build, tmp_path / "out") == 1
    err = "\n".join(stderr_of(capsys))
    assert "error: dev: 2 problems" in err and "environment: 'Dev!'" in err and "default_tags['']" in err
    assert "error: dev/chat: name: 'bad name' may contain only" in err  # checked, with the stand-in prefix ""
    assert "prod/chat" not in err


def test_a_value_error_or_an_exception_after_refused_constructs_is_listed_after_them(tmp_path, capsys):
    def value_error(app):
        stack = ServingStack(app, "dev")
        broken(stack, "chat", name="bad name")
        CustomModel("ml.a.b", 1, wrokload_size="Small")  # raised in the app's own expression: the build stops

    assert synthesize(value_error, tmp_path / "out") == 1
    err = [line for line in stderr_of(capsys) if line.startswith("error: ")]
    assert err[0].startswith("error: dev/chat: name:")
    assert err[1].startswith("error: CustomModel (") and "wrokload_size: is not an argument" in err[1]
    assert err[2] == "error: 2 constructs have problems; nothing was written"

    def crash(app):
        broken(ServingStack(app, "dev"), "chat", name="bad name")
        raise KeyError("chta")

    assert synthesize(crash, tmp_path / "out") == 1
    err = stderr_of(capsys)
    assert err[0].startswith("error: dev/chat: name:")
    assert "error: the app raised KeyError: 'chta'" in err


def test_the_exit_code_and_message_of_a_program_with_two_broken_endpoints(tmp_path):
    import subprocess
    import sys

    program = tmp_path / "main.py"
    program.write_text(
        "import sys\n"
        "from servingstack import *\n"
        "def build(app):\n"
        "    stack = ServingStack(app, 'dev', environment='dev')\n"
        "    ServingEndpoint(stack, 'a', name='a', served_entities=[FoundationModel('ml.not.foundation')])\n"
        "    llama = FoundationModel('system.ai.x')\n"
        "    ServingEndpoint(stack, 'b', name='b', served_entities=[llama], traffic={'y': 100})\n"
        "sys.exit(synthesize(build))\n"
    )
    result = subprocess.run([sys.executable, str(program)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: dev/a: config.served_entities[0].entity_name: 'ml.not.foundation'")
    assert lines[1] == "  (declared at main.py, line 5, in build)"
    assert lines[2].startswith("error: dev/b: config.traffic_config.routes[0].served_model_name: 'y'")
    assert lines[3] == "  (declared at main.py, line 7, in build)"
    assert lines[4:] == ["error: 2 constructs have problems; nothing was written"]
    assert "Traceback" not in result.stderr and not (tmp_path / "cdktf.out").exists()


def test_a_policy_applied_wrongly_is_listed_after_the_constructs_problems(tmp_path, capsys):
    from servingstack import Policy

    def build(app):
        stack = ServingStack(app, "dev")
        broken(stack, "chat", name="bad name")
        Policy.apply(stack)  # no pack: a PolicyError, raised in the app's own code

    assert synthesize(build, tmp_path / "out") == 1
    err = [line for line in stderr_of(capsys) if line.startswith("error: ")]
    assert err[0].startswith("error: dev/chat: name:")
    assert err[1].startswith("error: dev: name at least one pack or rule")
