"""The `servingstack` command line: `init`, `emulator ...`, `check`, `plan`, `policy`, `import` and `rollout`.

Subcommands are imported when invoked, so `servingstack --help` stays fast and
neither command pays for the other's imports.
"""

from __future__ import annotations

import importlib

import click

from servingstack import __version__
from servingstack.client import signals

_SUBCOMMANDS = {
    "emulator": ("servingstack.cli.emulator", "emulator"),
    "check": ("servingstack.cli.check", "check"),
    "import": ("servingstack.cli.importer", "import_"),
    "rollout": ("servingstack.cli.rollout", "rollout"),
    "init": ("servingstack.cli.init", "init"),
    "policy": ("servingstack.cli.policy", "policy"),
    "plan": ("servingstack.cli.plan", "plan"),
}


class _LazyGroup(click.Group):
    _as_process = False  # set by __call__: this process runs the command line

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_SUBCOMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in _SUBCOMMANDS:
            return None
        if name == "check" and self._as_process and not ctx.resilient_parsing:
            # From this instant a signal is remembered (and acted on once the command arms its
            # watch), before the command's module loads: `check` ends 130 or 143 from here on.
            # Only as the process's own command: a test calling `main.main()` keeps its handlers.
            signals.watch_from_start()
        module, attr = _SUBCOMMANDS[name]
        return getattr(importlib.import_module(module), attr)

    def __call__(self, *args: object, **kwargs: object) -> object:
        """The process entry point (console script, `python -m`); tests call `main.main()` instead."""
        self._as_process = True
        try:
            return super().__call__(*args, **kwargs)
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
            watch = signals.process_watch()  # only `check` installs one
            if watch is not None and watch.received is not None:
                code = watch.exit_code  # e.g. a signal that came before the command armed its watch
            signals.leave_without_stragglers(code)  # only a check can leave workers behind
            if code != done.code:
                raise SystemExit(code) from None
            raise


EPILOG = """\b
Examples:
  servingstack emulator serve --port 8080 --background
  servingstack check --stack cdktf.out/stacks/dev --host http://127.0.0.1:8080
"""


@click.group(cls=_LazyGroup, epilog=EPILOG)
@click.version_option(version=__version__, prog_name="servingstack")
def main() -> None:
    """Databricks Model Serving as code: plan and check stacks, emulate a workspace."""


if __name__ == "__main__":  # pragma: no cover
    main()
