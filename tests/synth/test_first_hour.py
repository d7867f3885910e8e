"""A new user's first hour: the commands of the README and of every documentation page are real,
`cdktf synth` prints no [ERROR] lines, and the demo says what it wrote."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import warnings
from pathlib import Path

import click
import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
# The README and the documentation site's pages: what users copy commands from.
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def sh_blocks() -> list[tuple[str, str]]:
    """(where, block) for every shell block of the documents."""
    return [
        (f"{path.relative_to(ROOT)}:{block.splitlines()[0].strip()[:40]}", block)
        for path in DOCUMENTS
        for block in re.findall(r"```sh\n(.*?)```", path.read_text(), re.S)
    ]


def test_the_documents_have_shell_blocks_to_check():
    where = {w.split(":")[0] for w, _ in sh_blocks()}
    assert {"README.md", "docs/check.md", "docs/emulator.md", "docs/ci.md", "docs/quickstart.md"} <= where


def commands(block: str) -> list[list[str]]:
    """The block's commands as the shell would split them: continuation lines joined, comments dropped."""
    joined = block.replace("\\\n", " ")
    return [words for line in joined.splitlines() if (words := shlex.split(line, comments=True))]


def makefile_targets() -> set[str]:
    return set(re.findall(r"^([A-Za-z][\w-]*):", (ROOT / "Makefile").read_text(), re.M))


def parse_servingstack(args: list[str], env: dict[str, str]) -> None:
    """Parse a command line as the `servingstack` command would, without running it: an unknown
    option, a missing argument or a bad value fails as a click.UsageError."""
    from servingstack.cli import main

    args = [_expand(a, env) for a in args]
    try:
        _parse(main, args)
    except click.exceptions.Exit as done:  # --help, --version
        assert done.exit_code == 0


def _parse(command: click.Command, args: list[str]) -> None:
    ctx = command.make_context("servingstack", list(args), resilient_parsing=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        while isinstance(command, click.Group):
            rest = [*ctx.protected_args, *ctx.args]
            if not rest:
                return
            name, command, rest = command.resolve_command(ctx, rest)
            assert command is not None, f"no command {name!r}"
            ctx = command.make_context(name, rest, parent=ctx)


def _expand(word: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), m.group(0)), word)


@pytest.mark.parametrize("block", [b for _, b in sh_blocks()], ids=[w for w, _ in sh_blocks()])
def test_every_documented_command_is_one_the_project_has(block, monkeypatch):
    env: dict[str, str] = {}
    for words in commands(block):
        while words and re.match(r"^\w+=", words[0]):  # VAR=value before a command
            name, _, value = words.pop(0).partition("=")
            env[name] = _expand(value, env)
        program, *args = words
        if program == "export":
            for assignment in args:
                name, _, value = assignment.partition("=")
                env[name] = _expand(value, env)
        elif program == "make":
            targets = [a for a in args if "=" not in a and not a.startswith("-")]  # not VAR=value, not options
            assert set(targets) <= makefile_targets(), f"make {args}: no such target"
        elif program == "npx":
            assert args[0] in ("cdktf", "cdktn") and f"{args[0]}-cli" in (ROOT / "package.json").read_text()
        elif program == "pipenv":
            assert args[0] in ("run", "shell"), words
            if args[:2] == ["run", "servingstack"]:
                parse_servingstack(args[2:], env)
        elif program in ("servingstack", ".venv/bin/servingstack"):
            for name, value in env.items():
                monkeypatch.setenv(name, value)
            parse_servingstack(args, env)
        elif program in ("databricks", "terraform", "pip", "cd"):
            continue  # another tool's command (the Databricks CLI, Terraform, pip) or the shell's: not ours to parse
        else:
            pytest.fail(f"the docs run {program!r}, which this test does not know: {' '.join(words)}")


def test_the_readme_says_how_to_run_servingstack():
    assert ".venv/bin/servingstack" in README
    assert "pipenv run servingstack" in README
    assert "pipenv shell" in README
    assert (ROOT / ".venv" / "bin" / "servingstack").exists()  # what `make install` puts there


def test_cdktf_synth_prints_no_error_lines(tmp_path):
    """`make cdktf-synth` runs `npx cdktf synth` with what the cdktf CLI needs to stay quiet: no
    call home (CHECKPOINT_DISABLE, which fails with [ERROR] offline) and a terraform CLI config
    that exists (terraform warns about a missing one, and cdktf prints that as [ERROR])."""
    from servingstack.cdk import engine as _cdk

    engine = getattr(_cdk, "ENGINE", None)  # the cdktf CLI runs the Pipfile's (cdktf) environment
    if engine is not None and engine.name != "cdktf":
        pytest.skip(f"`make cdktf-synth` runs the cdktf CLI; this run's engine is {engine.name}")
    if not (ROOT / "node_modules" / ".bin" / "cdktf").exists():
        pytest.fail("node_modules/.bin/cdktf is missing: run `make test`, which installs it with npm ci")
    env = {k: v for k, v in os.environ.items() if k not in ("CHECKPOINT_DISABLE", "MAKEFLAGS", "MFLAGS")}
    env["TF_CLI_CONFIG_FILE"] = str(tmp_path / "no-such.tfrc")  # as on a machine whose config is gone
    outdir = tmp_path / "out"
    # -o: the environment is installed already (`make test` did); never reinstall it from inside a test.
    result = subprocess.run(
        [
            "make",
            "-s",
            "-o",
            ".venv/.installed",
            "-o",
            "node_modules/.installed",
            "cdktf-synth",
            f"CDKTF_SYNTH_FLAGS=--output {outdir}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "[ERROR]" not in output, output[-3000:]
    assert "Generated Terraform code for the stacks: dev, prod" in output
    assert json.loads((outdir / "stacks" / "dev" / "cdk.tf.json").read_text())["resource"]


def test_the_demo_says_which_stacks_it_wrote(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "from servingstack.demo import wrote; print(wrote('out'))"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "wrote no stack into out"
    for stack in ("prod", "dev"):
        (tmp_path / "out" / "stacks" / stack).mkdir(parents=True)
        (tmp_path / "out" / "stacks" / stack / "cdk.tf.json").write_text("{}")
    result = subprocess.run(
        [sys.executable, "-c", "from servingstack.demo import wrote; print(wrote('out'))"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.stdout.strip() == "wrote stacks dev, prod: out/stacks/dev/cdk.tf.json, out/stacks/prod/cdk.tf.json"
