"""The emulator's identities (SCIM users, groups, service principals with the service's filter syntax)
and the Unity Catalog and registry reads a plan makes, seeded through every way in: the Python API,
`servingstack emulator seed` against a running server and `serve --seed-file`; all read back through
the unmodified databricks-sdk over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import requests
from click.testing import CliRunner
from databricks.sdk.errors import BadRequest, NotFound
from databricks.sdk.service.catalog import ModelVersionInfoStatus
from databricks.sdk.service.ml import ModelVersionStatus

from emu_support import TOKEN
from servingstack.cli import main
from servingstack.emulator.auth import CURRENT_USER
from servingstack.emulator.identities import FilterError, matches, parse_filter
from servingstack.emulator.objects import ObjectsError

SEED = {
    "users": ["alice@example.com", {"user_name": "bob@example.com", "display_name": "Bob Builder"}],
    "groups": ["data-scientists", {"name": "ml-platform", "members": ["alice@example.com", "0b7e-deployer"]}],
    "service_principals": [{"application_id": "0b7e-deployer", "display_name": "ci-deployer"}, "6f2a-fraud-bot"],
    "catalogs": ["ml"],
    "schemas": ["ml.fraud_serving"],
    "models": {"ml.fraud.scorer": {"3": "READY", "5": "PENDING_REGISTRATION"}, "ml.ads.ranker": [1, 2]},
    "registry_models": {"ads-model": {"1": "READY", "2": "FAILED_REGISTRATION"}},
    "secrets": {"fraud": ["feature-store-token"]},
}


def names(iterable, attribute):
    return sorted(getattr(item, attribute) for item in iterable)


def test_a_fresh_workspace_has_its_own_user_and_the_system_groups(emu, w):
    assert names(w.users.list(), "user_name") == [CURRENT_USER]
    assert names(w.groups.list(), "display_name") == ["admins", "users"]
    assert list(w.service_principals.list()) == []
    admins = next(iter(w.groups.list(filter='displayName eq "admins"')))
    assert [m.display for m in admins.members] == ["servingstack developer"]


def test_scim_filters_find_principals_as_the_provider_looks_them_up(emu, w):
    emu.add_objects(SEED)
    # The provider's own look-ups (scim/data_user.go, groups.go, data_service_principal.go).
    assert names(w.users.list(filter='userName eq "ALICE@example.com"'), "user_name") == ["alice@example.com"]
    assert names(w.groups.list(filter='displayName eq "data-scientists"'), "display_name") == ["data-scientists"]
    found = list(w.service_principals.list(filter='applicationId eq "0b7e-deployer"'))
    assert [(p.application_id, p.display_name, p.active) for p in found] == [("0b7e-deployer", "ci-deployer", True)]
    assert list(w.users.list(filter='userName eq "mallory@example.com"')) == []
    # The other operators and simple and/or expressions.
    assert names(w.users.list(filter='userName sw "b"'), "user_name") == ["bob@example.com"]
    assert names(w.users.list(filter='displayName co "builder"'), "user_name") == ["bob@example.com"]
    assert names(w.groups.list(filter='displayName ne "users" and displayName ne "admins"'), "display_name") == [
        "data-scientists",
        "ml-platform",
    ]
    assert names(w.groups.list(filter='displayName eq "users" or displayName sw "ml-"'), "display_name") == [
        "ml-platform",
        "users",
    ]
    members = next(iter(w.groups.list(filter='displayName eq "ml-platform"'))).members
    assert sorted(m.display for m in members) == ["alice@example.com", "ci-deployer"]
    with pytest.raises(BadRequest, match="Invalid filter"):
        list(w.users.list(filter='userName like "a%"'))


def test_scim_pages_with_start_index_and_count_and_narrows_attributes(emu, w):
    emu.add_objects({"users": [f"user{i:02d}@example.com" for i in range(25)]})
    assert len(list(w.users.list(count=7))) == 26  # the SDK pages through startIndex itself
    headers = {"Authorization": f"Bearer {TOKEN}"}
    page = requests.get(
        f"{emu.url}/api/2.0/preview/scim/v2/Users",
        params={"startIndex": 3, "count": 2, "attributes": "userName", "sortBy": "userName"},
        headers=headers,
        timeout=10,
    ).json()
    assert page["totalResults"] == 26 and page["startIndex"] == 3 and page["itemsPerPage"] == 2
    assert [set(r) for r in page["Resources"]] == [{"id", "userName"}] * 2
    beyond = requests.get(
        f"{emu.url}/api/2.0/preview/scim/v2/Users", params={"startIndex": 99}, headers=headers, timeout=10
    ).json()
    assert "Resources" not in beyond and beyond["totalResults"] == 26
    one = next(iter(w.users.list(filter='userName eq "user07@example.com"')))
    assert w.users.get(one.id).user_name == "user07@example.com"
    with pytest.raises(NotFound):
        w.users.get("424242")


def test_other_parts_of_the_emulator_register_principals_of_their_own(emu, w):
    identities = emu.workspace.identities
    identities.add_service_principal("app-sp-1", display_name="app-support-bot", owner="app:support-bot")
    assert names(w.service_principals.list(filter='displayName eq "app-support-bot"'), "application_id") == ["app-sp-1"]
    assert identities.remove_owned("app:support-bot") == 1
    assert list(w.service_principals.list()) == []


def test_unity_catalog_and_registry_reads_answer_with_status_and_not_found(emu, w):
    emu.add_objects(SEED)
    assert w.catalogs.get("ml").name == "ml"
    assert w.schemas.get("ml.fraud_serving").catalog_name == "ml"
    assert w.schemas.get("ml.fraud").name == "fraud"  # a model brings its schema
    assert w.registered_models.get("ml.fraud.scorer").schema_name == "fraud"
    assert w.model_versions.get("ml.fraud.scorer", 3).status is ModelVersionInfoStatus.READY
    assert w.model_versions.get("ml.fraud.scorer", 5).status is ModelVersionInfoStatus.PENDING_REGISTRATION
    assert w.model_versions.get("ml.ads.ranker", 2).status is ModelVersionInfoStatus.READY
    registry = w.model_registry.get_model_version("ads-model", "2").model_version
    assert registry.status is ModelVersionStatus.FAILED_REGISTRATION
    for missing in (
        lambda: w.catalogs.get("finance"),
        lambda: w.schemas.get("ml.nothing"),
        lambda: w.schemas.get("finance.fraud"),
        lambda: w.registered_models.get("ml.fraud.missing"),
        lambda: w.model_versions.get("ml.fraud.scorer", 4),
        lambda: w.model_registry.get_model_version("ads-model", "3"),
        lambda: w.model_registry.get_model_version("no-model", "1"),
    ):
        with pytest.raises(NotFound):
            missing()
    assert [s.key for s in w.secrets.list_secrets("fraud")] == ["feature-store-token"]


def test_a_seed_document_with_mistakes_adds_nothing_and_names_every_mistake(emu, w):
    bad = {
        "users": ["ok@example.com", 42],
        "schemas": ["no-dot"],
        "models": {"ml.scorer": [1], "ml.fraud.scorer": {"x": "READY", "2": "BROKEN"}},
        "secrets": {"bad scope": ["k"]},
        "clusters": [],
    }
    with pytest.raises(ObjectsError) as raised:
        emu.add_objects(bad)
    text = str(raised.value)
    expected = ("users[1]", "schemas[0]", "models[ml.scorer]", "[x]", "'BROKEN'", "secrets[bad scope]", "clusters")
    assert all(part in text for part in expected), text
    assert list(w.users.list(filter='userName eq "ok@example.com"')) == []


def test_emulator_seed_adds_objects_to_a_running_emulator(emu, w, tmp_path):
    file = tmp_path / "workspace.json"
    file.write_text(json.dumps({"groups": ["fraud-analysts"]}))
    result = CliRunner().invoke(
        main,
        [
            "emulator",
            "seed",
            str(file),
            "--group",
            "ml-platform=alice@example.com",
            "--service-principal",
            "0b7e=ci-deployer",
            "--model",
            "ml.fraud.scorer:3,4,5=PENDING_REGISTRATION",
            "--registry-model",
            "ads-model:1",
            "--secret",
            "fraud/feature-store-token",
            "--host",
            emu.url,
            "--token",
            TOKEN,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "seeded: 1 users" not in result.output and "2 groups" in result.output
    assert names(w.groups.list(filter='displayName sw "f" or displayName sw "ml"'), "display_name") == [
        "fraud-analysts",
        "ml-platform",
    ]
    assert w.model_versions.get("ml.fraud.scorer", 5).status is ModelVersionInfoStatus.PENDING_REGISTRATION
    refused = CliRunner().invoke(
        main, ["emulator", "seed", "--model", "ml.fraud.scorer:7=LOST", "--host", emu.url, "--token", TOKEN]
    )
    assert refused.exit_code == 1 and "'LOST' is not one of" in refused.output
    empty = CliRunner().invoke(main, ["emulator", "seed", "--host", emu.url, "--token", TOKEN])
    assert empty.exit_code == 2 and "nothing to seed" in empty.output


def test_serve_starts_with_a_seed_file_and_refuses_a_bad_one(tmp_path):
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps({"groups": ["data-scientists"], "models": {"ml.fraud.scorer": [3]}}))
    bad.write_text(json.dumps({"models": {"scorer": [3]}}))
    refused = subprocess.run(
        [sys.executable, "-m", "servingstack.cli", "emulator", "serve", "--seed-file", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2 and "catalog.schema.model" in refused.stderr and "Traceback" not in refused.stderr
    process = subprocess.Popen(
        [sys.executable, "-m", "servingstack.cli", "emulator", "serve", "--seed-file", str(good), "--token", TOKEN],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ),
    )
    try:
        url = process.stdout.readline().split()[-1]
        headers = {"Authorization": f"Bearer {TOKEN}"}
        version = requests.get(
            f"{url}/api/2.1/unity-catalog/models/ml.fraud.scorer/versions/3", headers=headers, timeout=10
        ).json()
        assert version["status"] == "READY" and version["version"] == 3
        groups = requests.get(
            f"{url}/api/2.0/preview/scim/v2/Groups",
            params={"filter": 'displayName eq "data-scientists"'},
            headers=headers,
            timeout=10,
        ).json()
        assert groups["totalResults"] == 1
    finally:
        process.terminate()
        process.communicate(timeout=20)


@pytest.mark.parametrize(
    "text",
    ['userName eq "a" and', "userName eq", '(userName eq "a")', 'not userName eq "a"', "userName pr"],
)
def test_filters_the_service_does_not_take_are_refused(text):
    with pytest.raises(FilterError):
        parse_filter(text)


def test_and_binds_tighter_than_or():
    groups = parse_filter('userName eq "a" or userName eq "b" and active eq false')
    assert matches({"userName": "a", "active": True}, groups)
    assert not matches({"userName": "b", "active": True}, groups)
    assert matches({"userName": "B", "active": False}, groups)
