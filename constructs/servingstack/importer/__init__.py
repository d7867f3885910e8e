"""`servingstack import`: live serving endpoints -> a servingstack program with import blocks.

`live` reads endpoints and permissions through databricks-sdk, `shapes` maps each live shape
to a typed public value, `program` writes the code (through `source`), `cli` is the command.
"""

from __future__ import annotations

from servingstack.importer.live import LiveEndpoint, read_endpoints
from servingstack.importer.program import Program, build_program

__all__ = ["LiveEndpoint", "Program", "build_program", "read_endpoints"]
