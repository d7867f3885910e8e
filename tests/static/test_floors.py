"""The floors are enforced, not described: `make test` runs `lint-imports` with the contracts of
pyproject.toml, and an import that goes up a floor or closes a circle breaks it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(package_root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), str(ROOT / "pyproject.toml"), "--no-cache", "--no-logo"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=package_root,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(package_root)},
    )


@pytest.fixture
def copy_of_the_package(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "constructs" / "servingstack", tmp_path / "servingstack", ignore=shutil.ignore_patterns("__pycache__")
    )
    return tmp_path


def add_import(root: Path, module: str, statement: str) -> None:
    path = root / "servingstack" / module
    path.write_text(path.read_text() + f"\n{statement}\n")


def test_the_package_keeps_every_contract(copy_of_the_package):
    result = lint_imports(copy_of_the_package)
    assert result.returncode == 0, result.stdout
    assert "5 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    "module, statement, broken",
    [
        ("facts/rules.py", "import servingstack.cdk.engine", "Floors import only downward"),
        ("policy/view.py", "from servingstack.cdk.stack import ServingStack", "Floors import only downward"),
        ("check/runner.py", "import servingstack.cdk.synth", "Floors import only downward"),
        ("emulator/bodies.py", "import servingstack.model.entities", "The emulator answers as the service does"),
        ("model/spec.py", "import cdktf", "Only the engine adapter imports"),
        ("facts/walk.py", "import servingstack.facts.secrets", "No import circle"),
    ],
)
def test_an_import_up_a_floor_or_around_a_circle_breaks_the_contracts(copy_of_the_package, module, statement, broken):
    add_import(copy_of_the_package, module, statement)
    result = lint_imports(copy_of_the_package)
    assert result.returncode == 1
    assert f"{broken}" in result.stdout and "BROKEN" in result.stdout
