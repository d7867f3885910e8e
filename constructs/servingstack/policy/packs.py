"""Rule packs: named sets of rules applied together. servingstack ships two:

- `BaselinePack`: for every environment (SS1 SS2 SS4 SS5 SS6 SS8 SS9 SS10 SS12 SS13 SS14 SS15 SS16 SS17).
- `ProductionPack`: the baseline plus SS3 (inference table), SS7 (no grants to broad groups)
  and SS11 (no PII behavior NONE).

A team adds its own rules with `extra_rules=[...]`, `pack.including(rule)`, its own
`Pack("acme", [...])`, or by passing rules straight to `Policy.apply`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from servingstack.policy.errors import PolicyError
from servingstack.policy.rule import Rule
from servingstack.policy.rules import BASELINE_RULES, BROAD_GROUPS, PRODUCTION_RULES


class Pack:
    """A named set of rules, each id at most once."""

    def __init__(self, name: str, rules: Iterable[Rule]):
        if not (isinstance(name, str) and name.strip()):
            raise PolicyError(f"a pack needs a name, got {name!r}")
        rules = tuple(rules)
        for item in rules:
            if not isinstance(item, Rule):
                raise PolicyError(f"pack {name!r}: {item!r} is not a Rule (make one with the @rule decorator)")
        ids = [r.id for r in rules]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise PolicyError(f"pack {name!r} has rule {', '.join(duplicates)} more than once")
        self.name = name
        self.rules = rules

    def including(self, *rules: Rule) -> Pack:
        """This pack with more rules: `ProductionPack().including(my_rule)`."""
        return Pack(self.name, self.rules + rules)

    def rule(self, id: str) -> Rule:
        for item in self.rules:
            if item.id == id:
                return item
        raise KeyError(f"pack {self.name!r} has no rule {id!r}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}: {' '.join(r.id for r in self.rules)})"


class BaselinePack(Pack):
    """The rules for every environment.

    - `owner_tag`, `cost_tag`: the tag names SS4 requires; default `owner` and `cost-center`.
    - `broad_groups`: the groups SS6 keeps from CAN_MANAGE; default `users` and `account users`.
    - `extra_rules`: a team's own rules, added to the pack; default none.
    """

    def __init__(
        self,
        *,
        owner_tag: str = "owner",
        cost_tag: str = "cost-center",
        broad_groups: Sequence[str] = BROAD_GROUPS,
        extra_rules: Iterable[Rule] = (),
    ) -> None:
        options = _options(owner_tag=owner_tag, cost_tag=cost_tag, broad_groups=broad_groups)
        super().__init__("baseline", _configured(BASELINE_RULES, options) + tuple(extra_rules))


class ProductionPack(Pack):
    """The baseline plus the production rules; the same options as `BaselinePack`, and SS7
    uses `broad_groups` too."""

    def __init__(
        self,
        *,
        owner_tag: str = "owner",
        cost_tag: str = "cost-center",
        broad_groups: Sequence[str] = BROAD_GROUPS,
        extra_rules: Iterable[Rule] = (),
    ) -> None:
        options = _options(owner_tag=owner_tag, cost_tag=cost_tag, broad_groups=broad_groups)
        super().__init__("production", _configured(BASELINE_RULES + PRODUCTION_RULES, options) + tuple(extra_rules))


def _options(*, owner_tag: str, cost_tag: str, broad_groups: Sequence[str]) -> dict[str, Any]:
    for name, value in (("owner_tag", owner_tag), ("cost_tag", cost_tag)):
        if not (isinstance(value, str) and value.strip()):
            raise PolicyError(f"{name} must be a tag name, got {value!r}")
    if isinstance(broad_groups, str) or not all(isinstance(g, str) and g.strip() for g in broad_groups):
        raise PolicyError(f"broad_groups must be a list of group names, got {broad_groups!r}")
    return {"owner_tag": owner_tag, "cost_tag": cost_tag, "broad_groups": tuple(broad_groups)}


def _configured(rules: Iterable[Rule], options: dict[str, Any]) -> tuple[Rule, ...]:
    configured = []
    for item in rules:
        own = {k: v for k, v in options.items() if k in item.option_names()}
        configured.append(item.configure(**own) if own else item)
    return tuple(configured)


def combine(sources: Iterable[Pack | Rule]) -> tuple[tuple[Rule, ...], tuple[str, ...]]:
    """The rules of several packs and loose rules, each id once, and the names of the packs.

    A rule in two packs is kept once when it is configured alike in both; configured
    differently it is an error, since only one of the settings could win.
    """
    rules: dict[str, Rule] = {}
    packs: list[str] = []
    for source in sources:
        if isinstance(source, Pack):
            packs.append(source.name)
            members: tuple[Rule, ...] = source.rules
        elif isinstance(source, Rule):
            members = (source,)
        else:
            raise PolicyError(f"{source!r} is neither a Pack nor a Rule")
        for item in members:
            known = rules.get(item.id)
            if known is not None and (known.options != item.options or known.check is not item.check):
                raise PolicyError(
                    f"rule {item.id} is given twice with different settings "
                    f"({_settings(known)} and {_settings(item)}): configure it in one pack only"
                )
            rules.setdefault(item.id, item)
    return tuple(rules.values()), tuple(dict.fromkeys(packs))


def _settings(item: Rule) -> str:
    options = ", ".join(f"{k}={v!r}" for k, v in sorted(item.options.items()))
    return f"{item.check.__module__}.{item.check.__qualname__}({options})"
