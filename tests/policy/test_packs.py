"""Packs, a team's own rules and how packs combine: pure Python, no Node."""

from __future__ import annotations

import pytest

from policy_support import spec, view
from servingstack import Problem
from servingstack.policy import BaselinePack, Pack, PolicyError, ProductionPack, Severity, rule
from servingstack.policy.packs import combine


@rule(
    "ACME1",
    "Endpoints have a description",
    severity="warning",
    why="On-call engineers read it when the endpoint pages them.",
    fix="Pass description=... to the endpoint.",
)
def has_description(endpoint):
    if not endpoint.request.get("description"):
        yield Problem("description", "is not set")


def ids(pack):
    return [r.id for r in pack.rules]


def test_the_production_pack_is_the_baseline_plus_the_production_rules():
    assert ids(BaselinePack()) == [
        "SS1",
        "SS2",
        "SS4",
        "SS5",
        "SS6",
        "SS8",
        "SS9",
        "SS10",
        "SS12",
        "SS13",
        "SS14",
        "SS15",
        "SS16",
        "SS17",
    ]
    assert ids(ProductionPack()) == ids(BaselinePack()) + ["SS3", "SS7", "SS11"]


def test_pack_options_reach_the_rules_that_take_them():
    pack = ProductionPack(owner_tag="team", cost_tag="budget", broad_groups=["everyone"])
    assert pack.rule("SS4").options == {"owner_tag": "team", "cost_tag": "budget"}
    assert pack.rule("SS6").options == pack.rule("SS7").options == {"broad_groups": ("everyone",)}
    assert pack.rule("SS1").options == {}


@pytest.mark.parametrize(
    "options, message",
    [
        ({"owner_tag": ""}, "owner_tag must be a tag name"),
        ({"broad_groups": "users"}, "broad_groups must be a list of group names"),
    ],
)
def test_bad_pack_options_are_refused_by_name(options, message):
    with pytest.raises(PolicyError, match=message):
        BaselinePack(**options)


def test_a_team_rule_made_with_the_decorator_is_a_rule_like_any_other():
    assert (has_description.id, has_description.severity) == ("ACME1", Severity.WARNING)
    assert has_description(view()) == [Problem("description", "is not set")]
    assert has_description(view(spec(description="chat for support"))) == []
    pack = ProductionPack(extra_rules=[has_description])
    assert ids(pack)[-1] == "ACME1" and ids(BaselinePack().including(has_description))[-1] == "ACME1"
    assert ids(Pack("acme", [has_description])) == ["ACME1"]


@pytest.mark.parametrize(
    "result, expected",
    [
        (None, []),
        (True, []),
        ([], []),
        ("no owner", [Problem("", "no owner")]),
        (Problem("tags", "no owner"), [Problem("tags", "no owner")]),
        (False, [Problem("", "does not comply")]),
    ],
)
def test_a_check_may_return_nothing_a_message_a_problem_or_a_verdict(result, expected):
    check = rule("ACME2", "t", why="w", fix="f")(lambda endpoint: result)
    assert check(view()) == expected


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"id": "has space"}, "rule id 'has space' must be letters"),
        ({"severity": "fatal"}, "severity 'fatal' is not one of 'error', 'warning'"),
        ({"fix": " "}, "rule ACME3: fix must be a non-empty text"),
    ],
)
def test_a_badly_declared_rule_is_refused_with_what_is_wrong(arguments, message):
    declared = {"id": "ACME3", "title": "t", "why": "w", "fix": "f", **arguments}
    with pytest.raises(PolicyError, match=message):
        rule(declared.pop("id"), declared.pop("title"), **declared)(lambda endpoint: None)


def test_only_the_options_a_check_declares_can_be_configured():
    with pytest.raises(PolicyError, match=r"rule SS4 has no option owner \(its options: owner_tag, cost_tag\)"):
        ProductionPack().rule("SS4").configure(owner="team")


def test_a_crashing_rule_names_itself_and_the_endpoint():
    broken = rule("ACME4", "t", why="w", fix="f")(lambda endpoint: endpoint.request["nope"])
    with pytest.raises(PolicyError, match=r"rule ACME4 failed on prod/chat: KeyError: 'nope'"):
        broken(view())


def test_a_pack_holds_each_rule_once_and_only_rules():
    with pytest.raises(PolicyError, match="has rule ACME1 more than once"):
        Pack("acme", [has_description, has_description])
    with pytest.raises(PolicyError, match="is not a Rule"):
        Pack("acme", [lambda endpoint: None])


def test_packs_combine_into_each_rule_once():
    rules, packs = combine([BaselinePack(), ProductionPack(), has_description])
    assert [r.id for r in rules] == ids(ProductionPack()) + ["ACME1"]
    assert packs == ("baseline", "production")


def test_a_rule_configured_two_ways_is_an_error_not_a_silent_choice():
    with pytest.raises(PolicyError, match=r"rule SS4 is given twice with different settings .*owner_tag='team'"):
        combine([BaselinePack(owner_tag="team"), ProductionPack()])
    imposter = rule("SS1", "t", why="w", fix="f")(lambda endpoint: None)
    with pytest.raises(PolicyError, match="rule SS1 is given twice"):
        combine([BaselinePack(), imposter])


def test_rules_packs_and_suppressions_import_without_either_engine_or_jsii():
    import subprocess
    import sys

    code = (
        "import sys, servingstack, servingstack.policy; from servingstack import BaselinePack, suppress; "
        "engines = ('cdktf', 'cdktn', 'jsii', 'constructs', 'cdktf_cdktf_provider_databricks', "
        "'cdktn_provider_databricks'); print(any(m.split('.')[0] in engines for m in sys.modules))"
    )
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
        == "False"
    )
