"""Evaluating rules over endpoints: suppressions, the findings report and the messages users read.
Pure Python, no Node."""

from __future__ import annotations

import json

from policy_support import gateway, spec, view
from servingstack import ExternalModel, OpenAI, Plaintext
from servingstack.policy import BaselinePack, ProductionPack, Suppression, evaluate, report_document, rule
from servingstack.policy.report import format_failure

NO_USAGE_TRACKING = spec(ai_gateway=gateway(usage_tracking=False))


def test_a_compliant_stack_passes_with_no_findings():
    result = evaluate([view()], ProductionPack().rules, stack="prod", environment="prod")
    assert result.passed and result.findings == []


def test_an_endpoint_suppression_covers_that_endpoint_only():
    endpoints = [view(NO_USAGE_TRACKING, path="prod/chat"), view(NO_USAGE_TRACKING, path="prod/chatbot")]
    quiet = Suppression("SS1", "prod/chat", "usage is metered upstream by the gateway")
    result = evaluate(endpoints, BaselinePack().rules, [quiet])
    assert [(f.path, f.suppression) for f in result.findings] == [("prod/chat", quiet), ("prod/chatbot", None)]
    assert [f.path for f in result.errors] == ["prod/chatbot"] and not result.passed


def test_a_stack_suppression_covers_every_endpoint_of_the_stack_and_the_closest_reason_wins():
    endpoints = [view(NO_USAGE_TRACKING, path="prod/chat"), view(NO_USAGE_TRACKING, path="prod/embed")]
    stack_wide = Suppression("SS1", "prod", "usage is metered upstream for this whole stack")
    own = Suppression("SS1", "prod/embed", "embeddings are metered by the search service")
    result = evaluate(endpoints, BaselinePack().rules, [stack_wide, own])
    assert [f.suppression for f in result.findings] == [stack_wide, own]
    assert result.passed and result.matches(stack_wide) == 1 and result.matches(own) == 1


def test_a_suppression_of_a_rule_no_pack_has_is_reported_as_unknown():
    typo = Suppression("SS33", "prod/chat", "a reason long enough")
    result = evaluate([view()], BaselinePack().rules, [typo])
    assert result.unknown_suppressions() == [typo] and result.matches(typo) == 0


def test_warnings_are_recorded_but_do_not_fail():
    from servingstack import CustomModel

    result = evaluate(
        [view(spec(served_entities=[CustomModel("ml.a.b", 1, scale_to_zero=False)]))], ProductionPack().rules
    )
    assert result.passed and [f.rule.id for f in result.warnings] == ["SS8"]


def test_the_report_lists_rules_findings_and_suppressions_with_their_reasons():
    quiet = Suppression("SS1", "prod/chat", "usage is metered upstream by the gateway")
    result = evaluate(
        [view(NO_USAGE_TRACKING), view(spec(tags={}), path="prod/other")],
        ProductionPack().rules,
        [quiet],
        stack="prod",
        environment="prod",
        packs=["production"],
    )
    report = json.loads(json.dumps(report_document(result)))
    assert {k: report[k] for k in ("report", "version", "stack", "environment", "packs", "passed", "summary")} == {
        "report": "servingstack-policy",
        "version": 1,
        "stack": "prod",
        "environment": "prod",
        "packs": ["production"],
        "passed": False,
        "summary": {"endpoints": 2, "errors": 2, "warnings": 0, "suppressed": 1},
    }
    assert [r["id"] for r in report["rules"]] == [r.id for r in ProductionPack().rules]
    assert report["rules"][2] == {
        "id": "SS4",
        "title": "Endpoints name their owner and cost centre in tags",
        "severity": "error",
        "options": {"cost_tag": "cost-center", "owner_tag": "owner"},
    }
    suppressed, *errors = report["findings"]
    assert suppressed == {
        "rule": "SS1",
        "title": "Usage tracking is enabled",
        "severity": "error",
        "status": "suppressed",
        "path": "prod/chat",
        "endpoint": "prod-chat",
        "field": "ai_gateway.usage_tracking_config.enabled",
        "message": "usage tracking is off",
        "why": suppressed["why"],
        "fix": "Set ai_gateway=AiGateway(usage_tracking=True, ...) on the endpoint.",
        "suppression": {"scope": "prod/chat", "reason": "usage is metered upstream by the gateway"},
        "declared_at": None,  # a view made by hand; the constructs record the app's file and line
    }
    assert [(e["rule"], e["status"], e["path"], e["message"]) for e in errors] == [
        ("SS4", "error", "prod/other", "tag 'owner' is missing"),
        ("SS4", "error", "prod/other", "tag 'cost-center' is missing"),
    ]
    assert report["suppressions"] == [
        {"rule": "SS1", "scope": "prod/chat", "reason": "usage is metered upstream by the gateway", "matched": 1}
    ]


def test_the_failure_message_says_which_rule_where_what_and_how_to_fix():
    result = evaluate([view(NO_USAGE_TRACKING)], BaselinePack().rules)
    assert format_failure(result.errors).splitlines() == [
        "policy: 1 finding fails the synth",
        "  SS1 prod/chat ai_gateway.usage_tracking_config.enabled: usage tracking is off",
        "      rule: Usage tracking is enabled (error)",
        "      fix:  Set ai_gateway=AiGateway(usage_tracking=True, ...) on the endpoint.",
        'Fix each one, or suppress it with a reason: suppress(construct, "<rule id>", reason="...").',
    ]


def test_a_team_rule_that_quotes_a_secret_has_it_masked_in_the_finding():
    key = "sk-live-0123456789abcdefghij"

    @rule("LEAKY1", "Quotes what it sees", why="w", fix="f")
    def leaky(endpoint):
        settings = endpoint.served_entities[0]["external_model"]["openai_config"]
        yield f"key {settings['openai_api_key_plaintext']} is in plaintext"

    endpoint = view(
        spec(served_entities=[ExternalModel("gpt-4o", OpenAI(api_key=Plaintext(key)))], allow_plaintext_secrets=True)
    )
    result = evaluate([endpoint], [leaky])
    assert key not in json.dumps(report_document(result)) and key not in format_failure(result.errors)
    assert result.findings[0].message == "key *** is in plaintext"
