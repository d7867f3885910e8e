"""Each rule of servingstack's packs on a compliant and a non-compliant endpoint: pure Python, no Node."""

from __future__ import annotations

import copy
import importlib
import re
from dataclasses import replace

import pytest

from policy_support import gateway, spec, view
from servingstack import (
    CustomModel,
    CustomProvider,
    ExternalModel,
    Guardrail,
    OpenAI,
    Plaintext,
    ProvisionedThroughput,
    canary,
    secret,
)
from servingstack.policy import ALL_RULES, BASELINE_RULES, PRODUCTION_RULES, Severity
from servingstack.policy.rules import SS4, SS5, SS6, SS7, SS8, SS12, SS13

FRAUD = [CustomModel("ml.fraud.scorer", 3, name="v3"), CustomModel("ml.fraud.scorer", 4, name="v4")]


def two_entities_without_split():
    request = spec(served_entities=FRAUD, traffic=canary("v3", "v4", 10)).request("prod-")
    del request["config"]["traffic_config"]
    return view(request=request)


def provisioned_scaling_to_zero():
    reserved = ProvisionedThroughput("system.ai.llama", 2, provisioned_model_units=50)
    request = spec(served_entities=[reserved]).request("prod-")
    request["config"]["served_entities"][0]["scale_to_zero_enabled"] = True
    return view(request=request)


# rule id -> (a non-compliant endpoint, the field the finding names)
VIOLATIONS = {
    "SS1": (lambda: view(spec(ai_gateway=gateway(usage_tracking=False))), "ai_gateway.usage_tracking_config.enabled"),
    "SS2": (lambda: view(spec(ai_gateway=gateway(rate_limits=()))), "ai_gateway.rate_limits"),
    "SS3": (lambda: view(spec(ai_gateway=gateway(inference_table=None))), "ai_gateway.inference_table_config.enabled"),
    "SS4": (lambda: view(spec(tags={"owner": "ml-platform"})), "tags"),
    "SS5": (
        lambda: view(
            spec(
                served_entities=[ExternalModel("gpt-4o", OpenAI(api_key=Plaintext("k")))], allow_plaintext_secrets=True
            )
        ),
        "config.served_entities[0].external_model.openai_config.openai_api_key_plaintext",
    ),
    "SS6": (lambda: view(grants=[{"group_name": "users", "permission_level": "CAN_MANAGE"}]), "grants[0]"),
    "SS7": (lambda: view(grants=[{"group_name": "account users", "permission_level": "CAN_QUERY"}]), "grants[0]"),
    "SS8": (
        lambda: view(spec(served_entities=[CustomModel("ml.a.b", 1, scale_to_zero=False)])),
        "config.served_entities[0].scale_to_zero_enabled",
    ),
    "SS9": (provisioned_scaling_to_zero, "config.served_entities[0].scale_to_zero_enabled"),
    "SS10": (two_entities_without_split, "config.traffic_config"),
    "SS11": (
        lambda: view(spec(ai_gateway=gateway(output_guardrail=Guardrail(pii="NONE")))),
        "ai_gateway.guardrails.output.pii.behavior",
    ),
    "SS12": (lambda: view(environment=None), "name"),
    "SS13": (
        lambda: view(spec(served_entities=[CustomModel("ml.a.b", 1, environment_vars={"API_TOKEN": "t0ps3cret"})])),
        "config.served_entities[0].environment_vars[API_TOKEN]",
    ),
    "SS14": (
        lambda: view(spec(served_entities=[CustomModel("ml.a.b", 1, workload_type="GPU_MEDIUM_8")])),
        "config.served_entities[0].workload_type",
    ),
    "SS15": (
        lambda: replace(view(), secret_scopes=frozenset({"other-keys"})),
        "config.served_entities[0].external_model.openai_config.openai_api_key",
    ),
    "SS16": (
        lambda: replace(view(), secret_scope_acls={"llm": {"ml-platform": "MANAGE", "users": "READ"}}),
        "config.served_entities[0].external_model.openai_config.openai_api_key",
    ),
    "SS17": (
        lambda: view(spec(ai_gateway=gateway(input_guardrail=Guardrail(safety=True, invalid_keywords=["password"])))),
        "ai_gateway.guardrails.input.invalid_keywords",
    ),
}
RULES = {r.id: r for r in ALL_RULES}


def test_every_rule_has_a_case_here():
    assert set(VIOLATIONS) == set(RULES)


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.id)
def test_a_compliant_endpoint_passes_every_rule(rule):
    assert rule(view()) == []


@pytest.mark.parametrize("rule_id", VIOLATIONS)
def test_a_non_compliant_endpoint_breaks_the_rule_in_the_named_field(rule_id):
    make, field = VIOLATIONS[rule_id]
    problems = RULES[rule_id](make())
    assert [p.field for p in problems] == [field]
    assert problems[0].message


@pytest.mark.parametrize("rule_id", VIOLATIONS)
def test_a_violation_breaks_only_its_own_rule(rule_id):
    make, _ = VIOLATIONS[rule_id]
    endpoint = make()
    broken = {r.id for r in ALL_RULES if r(endpoint)}
    # Managing is also being granted something: in production SS7 covers every grant to a broad group.
    assert broken == ({"SS6", "SS7"} if rule_id == "SS6" else {rule_id})


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.id)
def test_each_rule_is_a_small_module_of_its_own_with_an_id_title_severity_why_and_fix(rule):
    module = importlib.import_module(rule.check.__module__)
    assert re.fullmatch(rf"servingstack\.policy\.rules\.{rule.id.lower()}_[a-z0-9_]+", module.__name__)
    assert "\n" not in rule.title and len(rule.title) < 80
    assert rule.why.strip() and rule.fix.strip() and rule.severity in (Severity.ERROR, Severity.WARNING)


def test_rule_ids_are_unique_and_only_provider_quirks_the_guesses_and_undeclared_scopes_are_warnings():
    assert len({r.id for r in ALL_RULES}) == len(ALL_RULES)
    assert [r.id for r in ALL_RULES if r.severity is Severity.WARNING] == ["SS8", "SS13", "SS14", "SS15", "SS17"]
    assert {r.id for r in PRODUCTION_RULES} == {"SS3", "SS7", "SS11"}
    assert not {r.id for r in PRODUCTION_RULES} & {r.id for r in BASELINE_RULES}


# ---- the nuances of single rules -------------------------------------------------------------


def test_owner_and_cost_tags_are_configurable_and_must_not_be_empty():
    team_tags = view(spec(tags={"team": "fraud", "budget": "cc-1"}))
    assert [p.message for p in SS4(team_tags)] == ["tag 'owner' is missing", "tag 'cost-center' is missing"]
    assert SS4.configure(owner_tag="team", cost_tag="budget")(team_tags) == []
    assert [p.message for p in SS4(view(spec(tags={"owner": " ", "cost-center": "cc"})))] == ["tag 'owner' is empty"]


def test_plaintext_secrets_are_found_in_every_place_a_key_can_hide():
    request = spec(
        served_entities=[
            CustomModel(
                "ml.a.b",
                1,
                environment_vars={
                    "DB_PASSWORD": "hunter2hunter2",
                    "LOG_LEVEL": "INFO",
                    "SERVICE_TOKEN": secret("s", "token"),
                },
            )
        ]
    ).request("prod-")
    request["description"] = "call with dapi0123456789abcdef0123456789abcdef"
    plaintext_key = external(OpenAI(api_key=Plaintext("sk-live-0123456789abcdefghij")))
    literal_key = external(OpenAI(api_key="not-a-reference-value"))
    bearer = external(CustomProvider("https://llm.example.com", bearer_token=Plaintext("bearer-value-123456")))
    assert [p.field for p in SS5(view(request=request))] == ["description"]  # a name is no secret: SS13 warns
    assert [p.field for p in SS5(plaintext_key)] == [
        "config.served_entities[0].external_model.openai_config.openai_api_key_plaintext"
    ]
    assert [p.field for p in SS5(literal_key)] == [
        "config.served_entities[0].external_model.openai_config.openai_api_key"
    ]
    assert [p.field for p in SS5(bearer)] == [
        "config.served_entities[0].external_model.custom_provider_config.bearer_token_auth.token_plaintext"
    ]


def external(provider):
    """An endpoint serving one external model of `provider`, plaintext keys allowed by its props."""
    return view(spec(served_entities=[ExternalModel("gpt-4o", provider)], allow_plaintext_secrets=True))


def test_plaintext_findings_never_quote_the_secret():
    problems = SS5(external(OpenAI(api_key=Plaintext("sk-live-0123456789abcdefghij"))))
    assert problems and "sk-live" not in str(problems)


def test_broad_groups_are_matched_whatever_their_case_and_spacing_and_are_configurable():
    assert SS6(view(grants=[{"group_name": "Account  Users", "permission_level": "CAN_MANAGE"}]))
    assert SS6(view(grants=[{"group_name": "users", "permission_level": "CAN_QUERY"}])) == []
    assert SS6(view(grants=[{"user_name": "users", "permission_level": "CAN_MANAGE"}])) == []  # a user, not the group
    everyone = [{"group_name": "everyone", "permission_level": "CAN_QUERY"}]
    assert SS7(view(grants=everyone)) == [] and SS7.configure(broad_groups=["everyone"])(view(grants=everyone))


def test_scale_to_zero_false_warns_but_true_and_unset_do_not():
    assert SS8(view(spec(served_entities=[CustomModel("ml.a.b", 1, scale_to_zero=True)]))) == []
    assert SS8(view(spec(served_entities=[CustomModel("ml.a.b", 1)]))) == []


def test_a_name_with_its_environment_spelt_in_needs_no_prefix():
    assert SS12(view(spec(name="prod-chat"), environment="prod", name_prefix="")) == []
    assert SS12(view(spec(name="chat_prod-eu"), environment="prod-eu", name_prefix="")) == []
    assert SS12(view(spec(name="production-chat"), environment="prod", name_prefix=""))
    assert SS12(view(name_prefix="team-a-", environment=None)) == []


def test_rules_never_change_the_request_they_read():
    endpoint = VIOLATIONS["SS10"][0]()
    before = copy.deepcopy(endpoint.request)
    for rule in ALL_RULES:
        rule(endpoint)
    assert endpoint.request == before


def test_a_secret_looking_name_is_only_a_warning_and_plain_settings_pass():
    """Issue 9: TOKENIZERS_PARALLELISM and PRIMARY_KEY_COLUMN are settings, not secrets; a secret-looking
    name with a literal value is a warning (SS13), never an error."""
    assert SS13.severity == Severity.WARNING
    settings = view(
        spec(
            served_entities=[
                CustomModel(
                    "ml.a.b", 1, environment_vars={"DB_PASSWORD": "{{secrets/db/password}}", "MODEL_CACHE": "/tmp"}
                )
            ]
        )
    )
    assert SS13(settings) == [] and SS5(settings) == []
    named = view(spec(served_entities=[CustomModel("ml.a.b", 1, environment_vars={"TOKENIZERS_PARALLELISM": "false"})]))
    assert [p.field for p in SS13(named)] == ["config.served_entities[0].environment_vars[TOKENIZERS_PARALLELISM]"]
    assert SS5(named) == []


def test_ss15_accepts_a_key_from_a_scope_its_stack_declares_or_names_as_external():
    from servingstack.policy.rules import SS15

    assert SS15(replace(view(), secret_scopes=frozenset({"llm"}))) == []
    assert SS15(view()) == []  # a view built without its stack: nothing is known, nothing is said
    (problem,) = SS15(replace(view(), secret_scopes=frozenset()))
    assert "'llm' is neither declared in this stack nor named as external" in problem.message


def test_ss16_looks_only_at_the_scopes_the_endpoint_uses_and_honours_the_broad_groups_option():
    from servingstack.policy.rules import SS16

    other_scope_open = replace(view(), secret_scope_acls={"llm": {"ml-platform": "MANAGE"}, "misc": {"users": "READ"}})
    assert SS16(other_scope_open) == []
    (problem,) = SS16(replace(view(), secret_scope_acls={"llm": {"Account  Users": "READ"}}))
    assert problem.message == "its secret scope 'llm' gives 'Account  Users' READ"
    everyone = SS16.configure(broad_groups=("everyone",))
    assert everyone(replace(view(), secret_scope_acls={"llm": {"users": "READ"}})) == []
