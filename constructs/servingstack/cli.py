"""The `servingstack` command line: `emulator ...` and `check ...`.

Subcommands are imported when invoked, so `servingstack --help` stays fast and
neither command pays for the other's imports.
"""
from __future__ import annotations

import importlib

import click

_SUBCOMMANDS = {
    "emulator": ("servingstack.emulator.cli", "emulator"),
    "check": ("servingstack.check.cli", "check"),
    "import": ("servingstack.importer.cli", "import_"),
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_SUBCOMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in _SUBCOMMANDS:
            return None
        module, attr = _SUBCOMMANDS[name]
        return getattr(importlib.import_module(module), attr)


@click.group(cls=_LazyGroup)
@click.version_option(package_name="servingstack")
def main() -> None:
    """Databricks Model Serving as code: check deployed stacks, emulate a workspace."""


if __name__ == "__main__":  # pragma: no cover
    main()
