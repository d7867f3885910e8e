"""servingstack's own rules, one small module each (`ss<N>_<what>.py`)."""

from __future__ import annotations

from servingstack.policy.rule import Rule
from servingstack.policy.rules._groups import BROAD_GROUPS
from servingstack.policy.rules.ss1_usage_tracking import usage_tracking as SS1
from servingstack.policy.rules.ss2_rate_limits import rate_limits as SS2
from servingstack.policy.rules.ss3_inference_table import inference_table as SS3
from servingstack.policy.rules.ss4_owner_tags import owner_tags as SS4
from servingstack.policy.rules.ss5_plaintext_secrets import plaintext_secrets as SS5
from servingstack.policy.rules.ss6_broad_manage import broad_manage as SS6
from servingstack.policy.rules.ss7_broad_grants import broad_grants as SS7
from servingstack.policy.rules.ss8_scale_to_zero_false import scale_to_zero_false as SS8
from servingstack.policy.rules.ss9_provisioned_scale_to_zero import provisioned_scale_to_zero as SS9
from servingstack.policy.rules.ss10_traffic_split import traffic_split as SS10
from servingstack.policy.rules.ss11_pii_in_production import pii_in_production as SS11
from servingstack.policy.rules.ss12_environment_prefix import environment_prefix as SS12
from servingstack.policy.rules.ss13_secret_named_variables import secret_named_variables as SS13
from servingstack.policy.rules.ss14_workload_type import workload_type as SS14
from servingstack.policy.rules.ss15_undeclared_secret_scope import undeclared_secret_scope as SS15
from servingstack.policy.rules.ss16_broad_secret_access import broad_secret_access as SS16
from servingstack.policy.rules.ss17_deprecated_guardrail_fields import deprecated_guardrail_fields as SS17

# Every environment: hygiene, ownership, cost control and what breaks a deploy.
BASELINE_RULES: tuple[Rule, ...] = (SS1, SS2, SS4, SS5, SS6, SS8, SS9, SS10, SS12, SS13, SS14, SS15, SS16, SS17)
# Production adds these on top of the baseline.
PRODUCTION_RULES: tuple[Rule, ...] = (SS3, SS7, SS11)
ALL_RULES: tuple[Rule, ...] = BASELINE_RULES + PRODUCTION_RULES

__all__ = [
    "ALL_RULES",
    "BASELINE_RULES",
    "BROAD_GROUPS",
    "PRODUCTION_RULES",
    "SS1",
    "SS2",
    "SS3",
    "SS4",
    "SS5",
    "SS6",
    "SS7",
    "SS8",
    "SS9",
    "SS10",
    "SS11",
    "SS12",
    "SS13",
    "SS14",
    "SS15",
    "SS16",
    "SS17",
]
