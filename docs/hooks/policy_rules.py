"""MkDocs hook: one page per policy rule, written from the rule registry (`servingstack.policy.rules`) at
every build, so no rule lacks a page and no page outlives its rule. Each page says what the rule checks,
why, how to fix it, its options, its packs and how to suppress a finding."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import servingstack
from servingstack.policy.rule import Rule
from servingstack.policy.rules import ALL_RULES, BASELINE_RULES

ROOT = Path(servingstack.__file__).resolve().parents[2]  # constructs/servingstack/__init__.py

EFFECT = {"error": "fails the synth", "warning": "printed and recorded; the synth goes on"}
SECTION = "Policy rules"  # the nav section the pages go under, after its own index


def in_order() -> list[Rule]:
    """SS1, SS2, ... SS17: by number, not by pack."""
    return sorted(ALL_RULES, key=lambda r: int(r.id.removeprefix("SS")))


def page_path(rule: Rule) -> str:
    return f"policy/{rule.id}.md"


def render(rule: Rule) -> str:
    module = inspect.getmodule(rule.check)
    assert module is not None and module.__file__ is not None
    source = Path(module.__file__).resolve().relative_to(ROOT)
    packs = "`BaselinePack` and `ProductionPack`" if rule in BASELINE_RULES else "`ProductionPack`"
    lines = [
        f"# {rule.id}: {rule.title}",
        "",
        f"**Severity:** {rule.severity.value} ({EFFECT[rule.severity.value]}).  ",
        f"**In:** {packs}.  ",
        f"**Source:** `{source}`",
        "",
        (inspect.getdoc(module) or "").strip(),
        "",
        "## Why",
        "",
        rule.why,
        "",
        "## How to fix",
        "",
        rule.fix,
        "",
    ]
    options = {p.name: p.default for p in inspect.signature(rule.check).parameters.values() if p.kind is p.KEYWORD_ONLY}
    if options:
        lines += ["## Options", "", "| option | default |", "|---|---|"]
        lines += [f"| `{name}` | `{default!r}` |" for name, default in options.items()]
        example = ", ".join(f"{name}={default!r}" for name, default in options.items())
        lines += ["", f"Set them with `{rule.id}.configure({example})` (from `servingstack.policy.rules`)"]
        lines += ["or through the pack's keyword arguments (`BaselinePack(...)`, `ProductionPack(...)`).", ""]
    lines += [
        "## Suppressing a finding",
        "",
        "When the rule does not apply, say why (at least 10 characters); the suppression is recorded in",
        "`policy-findings.json` and in the SARIF and Markdown reports:",
        "",
        "```python",
        f'suppress(endpoint, "{rule.id}", reason="...")  # one endpoint, or a whole stack',
        "```",
        "",
        "See [Guardrails: policy packs](index.md) for packs, suppressions and the reports.",
        "",
    ]
    return "\n".join(lines)


def on_config(config: Any) -> Any:
    for item in config["nav"]:
        if isinstance(item, dict) and SECTION in item:
            item[SECTION] = [*item[SECTION], *({rule.id: page_path(rule)} for rule in in_order())]
            return config
    raise ValueError(f"mkdocs.yml: the nav has no {SECTION!r} section for the policy rule pages")


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    for rule in in_order():
        files.append(File.generated(config, page_path(rule), content=render(rule)))
    return files
