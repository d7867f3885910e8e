"""`synthesize()` is all or nothing: whatever goes wrong (the app's own exception, no stack,
Ctrl-C, SIGTERM), the previous cdktf.out stays as it was, no staging directory is left behind,
no traceback of servingstack's insides is printed, and the exit code says what happened."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from servingstack import FoundationModel, ServingEndpoint, ServingStack, synthesize

ROOT = Path(__file__).resolve().parents[2]
PREVIOUS = {"previous": "synthesis"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project directory whose cdktf.out holds a previous synthesis."""
    previous = tmp_path / "cdktf.out" / "stacks" / "old" / "cdk.tf.json"
    previous.parent.mkdir(parents=True)
    previous.write_text(json.dumps(PREVIOUS))
    return tmp_path


def assert_previous_output_intact(project: Path) -> None:
    assert json.loads((project / "cdktf.out" / "stacks" / "old" / "cdk.tf.json").read_text()) == PREVIOUS
    assert [p.name for p in project.iterdir() if p.name.startswith(".cdktf.out")] == []  # no staging, no backup


def run_app(project: Path, source: str, **popen: object) -> subprocess.Popen:
    (project / "main.py").write_text(textwrap.dedent(source))
    return subprocess.Popen(
        [sys.executable, "main.py"], cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen
    )


def test_an_exception_in_the_apps_own_code_names_its_file_and_line(project):
    process = run_app(
        project,
        """\
        import sys
        from servingstack import FoundationModel, ServingEndpoint, ServingStack, synthesize

        MODELS = {"chat": "system.ai.llama"}

        def model_for(kind):
            return MODELS[kind]

        def build(app):
            stack = ServingStack(app, "dev", environment="dev")
            ServingEndpoint(stack, "chat", name="chat", served_entities=[FoundationModel(model_for("chta"), "1")])

        sys.exit(synthesize(build))
        """,
    )
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1, err
    lines = err.splitlines()
    assert lines[0] == "error: the app raised KeyError: 'chta'"
    assert 'File "main.py", line 11, in build' in err
    assert 'File "main.py", line 7, in model_for' in err
    assert "return MODELS[kind]" in err
    assert "Traceback" not in err and "servingstack" not in err.replace("from servingstack", "")
    assert_previous_output_intact(project)


def test_a_validation_error_says_where_the_app_declared_it(project):
    process = run_app(
        project,
        """\
        import sys
        from servingstack import ServingEndpoint, ServingStack, synthesize

        def build(app):
            stack = ServingStack(app, "dev", environment="dev")
            ServingEndpoint(stack, "chat", name=None, served_entities="system.ai.llama")

        sys.exit(synthesize(build))
        """,
    )
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1
    lines = err.splitlines()
    assert lines[:2] == ["error: dev/chat: 2 problems", "  - name: expected str, got None"]
    assert lines[2].startswith("  - served_entities: expected a served entity (FoundationModel, ")
    assert lines[2].endswith(" or ExternalModel), a list or None, got str")
    assert lines[3:] == ["  (declared at main.py, line 6, in build)"]
    assert_previous_output_intact(project)


def test_an_app_without_stacks_is_an_error_that_keeps_the_previous_output(project, capsys):
    assert synthesize(lambda app: None, project / "cdktf.out") == 1
    assert capsys.readouterr().err == (
        "error: the app has no stack: build(app) must create at least one "
        "ServingStack(app, ...); the previous output was left as it was\n"
    )
    assert_previous_output_intact(project)


def test_the_output_has_ordinary_permissions(project):
    def build(app):
        ServingEndpoint(
            ServingStack(app, "dev", environment="dev"),
            "chat",
            name="chat",
            served_entities=[FoundationModel("system.ai.llama", "1")],
        )

    mask = os.umask(0o022)
    try:
        assert synthesize(build, project / "cdktf.out") == 0
    finally:
        os.umask(mask)
    out = project / "cdktf.out"
    assert out.stat().st_mode & 0o777 == 0o755  # not mkdtemp's private 0700
    assert (out / "stacks" / "dev" / "cdk.tf.json").stat().st_mode & 0o777 == 0o644
    assert not (out / "stacks" / "old").exists()
    assert [p.name for p in project.iterdir() if p.name.startswith(".cdktf.out")] == []


@pytest.mark.parametrize(
    "signum, to_group, code",
    [
        (signal.SIGINT, True, 130),  # Ctrl-C in a terminal: the whole process group, the jsii kernel too
        (signal.SIGTERM, False, 143),  # a CI runner cancelling the job
        (signal.SIGTERM, True, 143),
    ],
)
def test_an_interrupted_synthesis_keeps_the_previous_output(project, signum, to_group, code):
    ready = project / "ready"
    process = run_app(
        project,
        f"""\
        import sys, time
        from pathlib import Path
        from servingstack import FoundationModel, ServingEndpoint, ServingStack, synthesize

        def build(app):
            stack = ServingStack(app, "dev", environment="dev")
            ServingEndpoint(stack, "chat", name="chat", served_entities=[FoundationModel("system.ai.llama", "1")])
            Path({str(ready)!r}).write_text("building")
            time.sleep(120)

        sys.exit(synthesize(build))
        """,
        start_new_session=True,
    )
    try:
        while not ready.exists() and process.poll() is None:
            time.sleep(0.05)
        assert [p for p in project.iterdir() if p.name.startswith(".cdktf.out.")]  # it was staging
        if to_group:
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == code, err
    assert "Traceback" not in err
    assert f"interrupted ({signal.Signals(signum).name}): synthesis stopped; cdktf.out was left as it was" in err
    assert_previous_output_intact(project)


def test_staging_and_backup_directories_are_ignored_by_git():
    for path in (
        ".cdktf.out.k2j4h1x9/stacks/dev/cdk.tf.json",
        ".cdktf.out.previous/stacks/dev/cdk.tf.json",
        "cdktf.out/stacks/dev/cdk.tf.json",
    ):
        result = subprocess.run(["git", "check-ignore", "--no-index", "-q", path], cwd=ROOT)
        assert result.returncode == 0, f"{path} is not ignored by .gitignore"


def test_an_output_directory_that_cannot_be_made_is_an_error_not_a_traceback(tmp_path, capsys):
    (tmp_path / "a-file").write_text("not a directory")
    assert synthesize(lambda app: None, tmp_path / "a-file" / "cdktf.out") == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot write {tmp_path / 'a-file' / 'cdktf.out'}: ")
    assert "Traceback" not in err


def test_a_misspelt_value_type_argument_names_the_apps_line_once(project):
    process = run_app(
        project,
        """\
        import sys
        from servingstack import CustomModel, ServingEndpoint, ServingStack, synthesize

        def build(app):
            stack = ServingStack(app, "dev", environment="dev")
            ServingEndpoint(stack, "fraud", name="fraud",
                            served_entities=[CustomModel("ml.fraud.scorer", 3, wrokload_size="Small")])

        sys.exit(synthesize(build))
        """,
    )
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1
    assert err == (
        "error: CustomModel (main.py, line 7): wrokload_size: is not an argument of CustomModel; "
        "did you mean 'workload_size'?\n"
    )
    assert_previous_output_intact(project)


def test_a_build_that_is_not_a_function(project, capsys):
    assert synthesize(None, project / "cdktf.out") == 1
    assert capsys.readouterr().err == (
        "error: synthesize(build) takes the function that builds the app, "
        "build(app); got NoneType (pass `build`, not `build()`)\n"
    )
    assert_previous_output_intact(project)
