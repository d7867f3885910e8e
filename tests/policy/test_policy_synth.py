"""Policies applied to stacks as Aspects: the example's packs, failures, warnings, suppressions, the report."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

from policy_support import GATEWAY, TAGS, gateway
from servingstack import (
    BaselinePack,
    CustomModel,
    Policy,
    PolicyError,
    ProductionPack,
    ServingApp,
    ServingEndpoint,
    ServingStack,
    ValidationError,
    suppress,
    synthesize,
)
from servingstack.policy import rule

pytestmark = pytest.mark.synth
ROOT = Path(__file__).resolve().parents[2]


def report(outdir: Path, stack: str) -> dict:
    return json.loads((outdir / "stacks" / stack / "policy-findings.json").read_text())


def chat(stack, id="chat", **props):
    props = {"name": id, "served_entities": [CustomModel("ml.chat.model", 1)], "ai_gateway": GATEWAY, **props}
    return ServingEndpoint(stack, id, **props)


def dev_stack(app, **props):
    return ServingStack(app, "dev", environment="dev", default_tags=TAGS, **props)


# ---- the example ----------------------------------------------------------------------------


def test_prod_passes_the_production_pack_and_dev_the_baseline_with_a_report_beside_each_stack(example):
    prod, dev = report(example, "prod"), report(example, "dev")
    assert (prod["packs"], prod["passed"], dev["packs"], dev["passed"]) == (["production"], True, ["baseline"], True)
    assert prod["summary"] == {"endpoints": 6, "errors": 0, "warnings": 0, "suppressed": 1}
    assert dev["summary"] == {"endpoints": 5, "errors": 0, "warnings": 0, "suppressed": 0}
    (suppressed,) = prod["findings"]
    assert (suppressed["rule"], suppressed["path"], suppressed["status"]) == ("SS3", "prod/embeddings", "suppressed")
    assert prod["suppressions"] == [
        {"rule": "SS3", "scope": "prod/embeddings", "matched": 1, "reason": suppressed["suppression"]["reason"]}
    ]
    assert "public product documentation" in suppressed["suppression"]["reason"]


def test_the_production_pack_refuses_the_dev_fleet_listing_every_finding(tmp_path, capsys):
    import main

    def build(app):
        stack = dev_stack(app)
        main.build_fleet(stack, production=False)
        Policy.apply(stack, ProductionPack())

    assert synthesize(build, tmp_path / "cdktf.out") == 1
    err = capsys.readouterr().err
    assert err.startswith("error: policy: 3 findings fail the synth")
    assert [line.split()[:2] for line in err.splitlines() if line.startswith("  SS")] == [
        ["SS3", "dev/assistant"],
        ["SS3", "dev/summarizer"],
        ["SS3", "dev/embeddings"],
    ]
    assert err.count("fix:  Set ai_gateway=AiGateway(inference_table=InferenceTable(") == 3
    assert "Traceback" not in err and not (tmp_path / "cdktf.out").exists()


def test_breaking_a_rule_in_the_example_exits_1_with_rule_path_and_fix_and_keeps_the_old_output(tmp_path):
    outdir = tmp_path / "cdktf.out"
    (outdir / "stacks" / "prod").mkdir(parents=True)
    (outdir / "stacks" / "prod" / "cdk.tf.json").write_text('{"previous": true}')
    app = tmp_path / "app.py"
    app.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "import main\n"
        "from servingstack import synthesize\n"
        "def build(app):\n"
        "    main.build(app)\n"
        "    prod = app.node.find_child('prod')\n"
        "    gateway = next(e for e in prod.endpoints if e.path == 'prod/gateway')\n"
        "    gateway.grant_manage(group='users')\n"
        "sys.exit(synthesize(build))\n"
    )
    result = subprocess.run([sys.executable, str(app)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "error: policy: 2 findings fail the synth" in result.stderr
    assert "SS6 prod/gateway grants[2]: group 'users' has CAN_MANAGE" in result.stderr
    assert "SS7 prod/gateway grants[2]: group 'users' has CAN_MANAGE" in result.stderr
    assert "fix:  Grant CAN_MANAGE only to the owning group" in result.stderr
    assert "Traceback" not in result.stderr
    assert (outdir / "stacks" / "prod" / "cdk.tf.json").read_text() == '{"previous": true}'
    # No staging left behind; the failed synth's findings are kept beside the output, for CI to show.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.py", "cdktf.out", "servingstack-synth.json"]
    synth_report = json.loads((tmp_path / "servingstack-synth.json").read_text())
    assert synth_report["status"] == "policy-failed"
    prod = next(s for s in synth_report["stacks"] if s["stack"] == "prod")
    assert [(f["rule"], f["path"], f["status"]) for f in prod["findings"] if f["status"] == "error"] == [
        ("SS6", "prod/gateway", "error"),
        ("SS7", "prod/gateway", "error"),
    ]
    assert prod["findings"][-1]["declared_at"]["file"] == str(ROOT / "main.py")  # outside the working directory


# ---- enforcement for users who call app.synth() themselves ---------------------------------


def test_app_synth_fails_on_the_policy_error_annotations_and_still_writes_the_report(tmp_path):
    from servingstack.cdk import engine as _cdk

    app = _cdk.App(outdir=str(tmp_path))
    stack = dev_stack(app)
    chat(stack, ai_gateway=gateway(usage_tracking=False))
    Policy.apply(stack, BaselinePack())
    with pytest.raises(Exception) as failure:
        app.synth()
    assert "[dev/chat] SS1 [ai_gateway.usage_tracking_config.enabled]: usage tracking is off" in str(failure.value)
    assert "Fix: Set ai_gateway=AiGateway(usage_tracking=True" in str(failure.value)
    assert report(tmp_path, "dev")["passed"] is False  # kept for CI even though the synth failed


def test_warnings_are_printed_once_recorded_and_do_not_fail(tmp_path, capsys):
    def build(app):
        stack = dev_stack(app)
        chat(stack, served_entities=[CustomModel("ml.chat.model", 1, scale_to_zero=False)])
        Policy.apply(stack, BaselinePack())

    assert synthesize(build, tmp_path) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert warnings == ["warning: policy SS8 dev/chat config.served_entities[0].scale_to_zero_enabled: is false"]
    (finding,) = report(tmp_path, "dev")["findings"]
    assert (finding["rule"], finding["status"]) == ("SS8", "warning")
    annotations = json.loads((tmp_path / "manifest.json").read_text())["stacks"]["dev"]["annotations"]
    assert [(a["constructPath"], a["level"]) for a in annotations] == [("dev/chat", "@cdktf/warn")]


def test_the_synths_warnings_come_together_at_the_end_counted_and_in_the_synth_report(tmp_path, capsys, monkeypatch):
    import warnings

    monkeypatch.chdir(tmp_path)  # this test file is outside it: named by its absolute path
    outdir = tmp_path / "out"

    def build(app):
        stack = dev_stack(app)
        chat(stack, served_entities=[CustomModel("ml.chat.model", 1, scale_to_zero=False)])
        suppress(stack, "SS99", reason="a rule id that no pack has, to be reported")
        Policy.apply(stack, BaselinePack())
        warnings.warn("the app's own deprecation", DeprecationWarning, stacklevel=1)
        line = sys._getframe().f_lineno - 1
        built.append((Path(__file__).resolve(), line))

    built: list = []
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        assert synthesize(build, outdir) == 0
    err = capsys.readouterr().err.splitlines()
    here, line = built[0]
    made_in_chat = inspect.getsourcelines(chat)[1] + 2  # the line in `chat` above that makes the endpoint
    assert f"    at:   {here}:{made_in_chat}" in err
    assert [text for text in err if text.startswith(("warning:", "synth:"))] == [
        "warning: policy SS8 dev/chat config.served_entities[0].scale_to_zero_enabled: is false",
        "warning: policy: dev: a suppression names SS99, which no applied pack has",
        f"warning: DeprecationWarning: the app's own deprecation ({here}:{line})",
        "synth: 3 warnings (1 policy, 1 python, 1 suppression); all of them in servingstack-synth.json",
    ]
    synth_report = json.loads((tmp_path / "servingstack-synth.json").read_text())
    assert synth_report["status"] == "ok"
    policy, suppression, python = synth_report["warnings"]
    assert (policy["kind"], policy["rule"], policy["path"]) == ("policy", "SS8", "dev/chat")
    assert policy["declared_at"]["file"] == str(here)
    assert (suppression["kind"], suppression["rule"]) == ("suppression", "SS99")
    assert python == {
        "kind": "python",
        "category": "DeprecationWarning",
        "message": "the app's own deprecation",
        "declared_at": {"file": str(here), "line": line},
    }
    assert synth_report["stacks"] == [report(outdir, "dev")]


def test_an_endpoint_records_the_line_of_the_app_that_declared_it(tmp_path, monkeypatch):
    app = tmp_path / "app.py"
    app.write_text(
        "import sys\n"
        "from servingstack import *\n"
        "def build(app):\n"
        "    stack = ServingStack(app, 'dev', environment='dev', policy=[BaselinePack()])\n"
        "    ServingEndpoint(\n"
        "        stack, 'chat', name='chat', served_entities=[FoundationModel('system.ai.x', '1')]\n"
        "    )\n"
        "sys.exit(synthesize(build))\n"
    )
    result = subprocess.run([sys.executable, "app.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "      at:   app.py:5" in result.stderr
    findings = json.loads((tmp_path / "servingstack-synth.json").read_text())["stacks"][0]["findings"]
    assert {(f["declared_at"]["file"], f["declared_at"]["line"]) for f in findings} == {("app.py", 5)}


# ---- suppressions ---------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", "because"])
def test_a_suppression_without_a_real_reason_is_refused_naming_where(tmp_path, reason):
    from servingstack.cdk import engine as _cdk

    endpoint = chat(dev_stack(_cdk.App(outdir=str(tmp_path))))
    with pytest.raises(ValidationError, match=r"^dev/chat: suppress\(SS1\): needs a reason of at least 10 characters"):
        suppress(endpoint, "SS1", reason=reason)


def test_suppressions_go_on_endpoints_or_stacks_and_name_a_rule(tmp_path):
    from servingstack.cdk import engine as _cdk

    stack = dev_stack(_cdk.App(outdir=str(tmp_path)))
    bot = ServingApp(stack, "bot", name="dev-bot", query_endpoints={"llm": chat(stack)})
    with pytest.raises(
        ValidationError, match="suppressions go on a ServingEndpoint, a ProvisionedThroughputEndpoint or a ServingStack"
    ):
        suppress(bot, "SS1", reason="a reason long enough")
    with pytest.raises(ValidationError, match="name at least one rule id"):
        suppress(stack, reason="a reason long enough")


def test_suppressions_on_an_endpoint_and_on_a_stack_are_recorded_in_the_report_and_the_manifest(tmp_path, capsys):
    def build(app):
        stack = dev_stack(app)
        untracked = chat(stack, ai_gateway=gateway(usage_tracking=False))
        chat(stack, "batch", ai_gateway=gateway(rate_limits=()))
        chat(stack, "batch2", ai_gateway=gateway(rate_limits=()))
        suppress(untracked, "SS1", reason="usage is metered by the calling gateway")
        suppress(stack, "SS2", reason="dev is reached from the office network only")
        suppress(stack, "SS22", reason="a typo of a rule id, to be reported")
        Policy.apply(stack, BaselinePack())

    assert synthesize(build, tmp_path) == 0
    assert "warning: policy: dev: a suppression names SS22, which no applied pack has" in capsys.readouterr().err
    findings = report(tmp_path, "dev")["findings"]
    assert [(f["rule"], f["path"], f["suppression"]["scope"]) for f in findings] == [
        ("SS1", "dev/chat", "dev/chat"),
        ("SS2", "dev/batch", "dev"),
        ("SS2", "dev/batch2", "dev"),
    ]
    assert [(s["rule"], s["matched"]) for s in report(tmp_path, "dev")["suppressions"]] == [
        ("SS2", 2),
        ("SS22", 0),
        ("SS1", 1),
    ]
    annotations = json.loads((tmp_path / "manifest.json").read_text())["stacks"]["dev"]["annotations"]
    office = "SS2 suppressed [ai_gateway.rate_limits]: dev is reached from the office network only"
    assert {(a["constructPath"], a["level"], a["message"]) for a in annotations} == {
        (
            "dev/chat",
            "@cdktf/info",
            "SS1 suppressed [ai_gateway.usage_tracking_config.enabled]: usage is metered by the calling gateway",
        ),
        ("dev/batch", "@cdktf/info", office),
        ("dev/batch2", "@cdktf/info", office),
    }


# ---- the Policy API -------------------------------------------------------------------------


def test_a_policy_applies_to_a_serving_stack_with_at_least_one_pack(tmp_path):
    from servingstack.cdk import engine as _cdk

    app = _cdk.App(outdir=str(tmp_path))
    with pytest.raises(PolicyError, match="a policy applies to a ServingStack, got App"):
        Policy.apply(app, BaselinePack())
    with pytest.raises(PolicyError, match=r"dev: name at least one pack or rule"):
        Policy.apply(dev_stack(app))


def test_applying_again_adds_rules_to_the_one_policy_of_the_stack_and_a_team_rule_fails_the_synth(tmp_path, capsys):
    @rule(
        "ACME1",
        "Endpoints have a description",
        why="On-call engineers read it.",
        fix="Pass description=... to the endpoint.",
    )
    def has_description(endpoint):
        return None if endpoint.request.get("description") else "no description"

    applied = []

    def build(app):
        stack = dev_stack(app)
        chat(stack)
        applied.extend([Policy.apply(stack, BaselinePack()), Policy.apply(stack, has_description)])

    assert synthesize(build, tmp_path) == 1
    assert "  ACME1 dev/chat: no description\n" in capsys.readouterr().err
    first, second = applied
    assert second is first and first.packs == ("baseline",) and first.rules[-1].id == "ACME1"


def test_a_conflicting_second_pack_leaves_the_policy_as_it_was(tmp_path):
    from servingstack.cdk import engine as _cdk

    stack = dev_stack(_cdk.App(outdir=str(tmp_path)))
    policy = Policy.apply(stack, BaselinePack())
    with pytest.raises(PolicyError, match="rule SS4 is given twice"):
        Policy.apply(stack, ProductionPack(owner_tag="team"))
    assert policy.packs == ("baseline",) and len(policy.rules) == len(BaselinePack().rules)


def test_a_stack_can_take_its_policy_as_a_prop(tmp_path, capsys):
    def build(app):
        stack = dev_stack(app, policy=[BaselinePack()])
        assert Policy.of(stack) is not None and "baseline" in str(Policy.of(stack).packs).lower()
        chat(stack, ai_gateway=gateway(usage_tracking=False))

    assert synthesize(build, tmp_path / "out") == 1
    assert "SS1" in capsys.readouterr().err


def test_the_policy_is_visited_once_per_synth_not_once_per_construct(tmp_path, monkeypatch):
    visits = []
    original = Policy.visit
    monkeypatch.setattr(Policy, "visit", lambda self, node: (visits.append(node), original(self, node))[1])

    def build(app):
        stack = dev_stack(app, policy=[BaselinePack()])
        for index in range(3):
            chat(stack, f"chat{index}").grant_query(group="analysts")

    assert synthesize(build, tmp_path / "out") == 0
    assert len(visits) == 1
