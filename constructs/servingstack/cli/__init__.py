"""The `servingstack` command line: `emulator ...`, `check ...`, `plan ...` and `import ...`.

Subcommands are imported when invoked, so `servingstack --help` stays fast and
neither command pays for the other's imports.
"""

from __future__ import annotations

import importlib
import sys

import click

_SUBCOMMANDS = {
    "emulator": ("servingstack.cli.emulator", "emulator"),
    "check": ("servingstack.cli.check", "check"),
    "import": ("servingstack.cli.importer", "import_"),
    "plan": ("servingstack.cli.plan", "plan"),
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_SUBCOMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in _SUBCOMMANDS:
            return None
        module, attr = _SUBCOMMANDS[name]
        return getattr(importlib.import_module(module), attr)

    def __call__(self, *args: object, **kwargs: object) -> object:
        """The process entry point (console script, `python -m`); tests call `main.main()` instead."""
        try:
            return super().__call__(*args, **kwargs)
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
            if "servingstack.client.signals" in sys.modules:  # only a check can leave workers behind
                sys.modules["servingstack.client.signals"].leave_without_stragglers(code)
            raise


EPILOG = """\b
Examples:
  servingstack emulator serve --port 8080 --background
  servingstack check --stack cdktf.out/stacks/dev --host http://127.0.0.1:8080
"""


@click.group(cls=_LazyGroup, epilog=EPILOG)
@click.version_option(package_name="servingstack")
def main() -> None:
    """Databricks Model Serving as code: plan and check stacks, emulate a workspace."""


if __name__ == "__main__":  # pragma: no cover
    main()
