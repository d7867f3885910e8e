"""Synthesize an app into `cdktf.out` all or nothing.

The app is synthesized into a staging directory beside the output directory, and
only a complete synthesis replaces the previous output: a stack with a mistake, or one
that fails its policy, leaves the last good `cdktf.out` as it was and exits non-zero with
the message, no traceback.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Callable

from .errors import ValidationError
from .policy.errors import PolicyError

DEFAULT_OUTDIR = "cdktf.out"


def synthesize(build: Callable[[object], None], outdir: str | os.PathLike[str] | None = None) -> int:
    """Build the app with `build(app)`, synthesize, and swap the result into place.

    Returns the process exit code: 0, or 1 with the problems printed on stderr.
    `outdir` defaults to `$CDKTF_OUTDIR` (set by `cdktf synth`), else `cdktf.out`.
    Every stack's policy (see `Policy.apply`) is checked before anything is synthesized:
    policy warnings are printed, and error findings of all stacks are listed at once.
    """
    target = Path(outdir or os.environ.get("CDKTF_OUTDIR") or DEFAULT_OUTDIR).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        from . import _cdk
        from .policy.enforce import enforce

        app = _cdk.App(outdir=str(staging))
        build(app)
        enforce(app, sys.stderr)
        app.synth()
    except (ValidationError, PolicyError) as error:
        shutil.rmtree(staging, ignore_errors=True)
        print(f"error: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # a synth failure reported by cdktf (e.g. error annotations)
        shutil.rmtree(staging, ignore_errors=True)
        print(f"error: synthesis failed: {_first_lines(str(error))}", file=sys.stderr)
        return 1
    _replace(target, staging)
    return 0


def _replace(target: Path, staging: Path) -> None:
    previous = target.with_name(f".{target.name}.previous")
    shutil.rmtree(previous, ignore_errors=True)
    if target.exists():
        target.rename(previous)
    staging.rename(target)
    shutil.rmtree(previous, ignore_errors=True)


def _first_lines(message: str, count: int = 20) -> str:
    """jsii errors carry a JavaScript stack after the message; users need the message."""
    lines = [line for line in message.splitlines() if not line.lstrip().startswith("at ")]
    return "\n".join(lines[:count])
