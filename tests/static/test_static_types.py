"""The public API is typed: mypy reads the constructs' real signatures, so the example app, the programs
in examples/ and the Python of the README and of every documentation page check clean, and a
misspelt keyword fails before anything runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TYPOS = Path(__file__).with_name("typos.py")
# What a documented fragment may use without defining it: the names of the text around it.
PRELUDE = """\
from constructs import Construct
from servingstack import *
from servingstack.policy import rule
app: Construct
stack: ServingStack
embeddings: ServingEndpoint
"""


DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
# A block that only embeds a file of examples/ (pymdownx.snippets): that file is checked itself.
SNIPPET = re.compile(r'^--8<-- "(.*)"$')


def documented_examples(directory: Path) -> list[Path]:
    files = []
    for document in DOCUMENTS:
        blocks = re.findall(r"```python\n(.*?)```", document.read_text(), re.S)
        for index, block in enumerate(blocks):
            embedded = SNIPPET.match(block.strip())
            if embedded:
                assert (ROOT / embedded.group(1)) in EXAMPLES, f"{document.name} embeds {embedded.group(1)}"
                continue
            name = "_".join(document.relative_to(ROOT).with_suffix("").parts).replace("-", "_")
            path = directory / f"{name}_example_{index}.py"
            path.write_text(PRELUDE + block)
            files.append(path)
    return files


def mypy(*files: Path) -> dict[tuple[str, int], list[str]]:
    """mypy's errors by (file name, line)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--no-error-summary",
            "--hide-error-context",
            "--show-error-codes",
            "--check-untyped-defs",  # the examples' `def build(app):` bodies too
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    errors: dict[tuple[str, int], list[str]] = {}
    for line in result.stdout.splitlines():
        match = re.match(r"^(.*?):(\d+): error: (.*)$", line)
        if match:
            errors.setdefault((Path(match.group(1)).name, int(match.group(2))), []).append(match.group(3))
    assert result.returncode in (0, 1), result.stderr
    return errors


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, int], list[str]]:
    """One mypy run over main.py, examples/, every documented example and the file of typos."""
    directory = tmp_path_factory.mktemp("typing")
    return mypy(ROOT / "main.py", *EXAMPLES, *documented_examples(directory), TYPOS)


def test_the_example_apps_and_the_documented_examples_type_check(checked):
    clean = {where: messages for where, messages in checked.items() if where[0] != TYPOS.name}
    assert clean == {}


def test_every_misspelt_or_mistyped_argument_is_caught_on_its_line(checked):
    expected = {
        number: line.split("# expect: ")[1].strip()
        for number, line in enumerate(TYPOS.read_text().splitlines(), 1)
        if "# expect: " in line
    }
    assert len(expected) >= 10
    found = {line: messages for (name, line), messages in checked.items() if name == TYPOS.name}
    for line, fragment in expected.items():
        assert any(fragment in message for message in found.get(line, [])), (line, fragment, found.get(line))
    assert set(found) == set(expected), f"errors on lines without an expectation: {set(found) - set(expected)}"
