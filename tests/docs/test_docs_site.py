"""The documentation site builds offline with MkDocs in strict mode: every link, anchor and embedded
file resolves, every page is in the navigation, each policy rule of the registry has its page with
why and how to fix it, and the API reference comes from the docstrings. A broken link fails it."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest

from servingstack.policy.rules import ALL_RULES

ROOT = Path(__file__).resolve().parents[2]
MKDOCS = [sys.executable, "-m", "mkdocs", "build", "--strict"]


def build(config: Path, site: Path) -> subprocess.CompletedProcess:
    # From the repository root: pymdownx.snippets reads the embedded examples/ files from there.
    return subprocess.run(
        [*MKDOCS, "--config-file", str(config), "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def text(page: Path) -> str:
    """A built page as plain text (tags dropped, entities decoded, spaces collapsed)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", page.read_text())).split())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site")
    result = build(ROOT / "mkdocs.yml", site)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    return site


def test_every_page_under_docs_is_built(site):
    pages = {p.relative_to(ROOT / "docs").with_suffix("") for p in (ROOT / "docs").rglob("*.md")}
    for page in pages:
        built = site / (page.parent if page.name == "index" else page) / "index.html"
        assert built.is_file(), page


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.id)
def test_every_registered_policy_rule_has_its_page(site, rule):
    page = text(site / "policy" / rule.id / "index.html")
    assert f"{rule.id}: {rule.title}" in page
    for words in (rule.why, rule.fix):  # the registry's own words, as Markdown renders them
        assert " ".join(words.replace("`", "").split()) in page
    assert f'suppress(endpoint, "{rule.id}"' in page


def test_the_policy_index_links_every_rule_page(site):
    index = (site / "policy" / "index.html").read_text()
    linked = set(re.findall(r'href="(SS\d+)/"', index))
    assert linked == {rule.id for rule in ALL_RULES}


def test_the_api_reference_documents_every_public_name_from_its_docstring(site):
    import servingstack
    from servingstack import AiGateway, CustomModel, Rollout, canary

    built = (site / "reference" / "api" / "index.html").read_text()
    documented = set(re.findall(r'id="servingstack\.(\w+)"', built))
    assert documented >= set(servingstack.__all__), set(servingstack.__all__) - documented
    page = text(site / "reference" / "api" / "index.html")
    for value in (CustomModel, AiGateway, Rollout, canary):  # the docstrings' own words (markup aside)
        first = (value.__doc__ or "").strip().split("\n\n")[0]
        assert " ".join(first.replace("`", "").split()) in page, value


def test_the_examples_are_embedded_as_they_are(site):
    page = text(site / "endpoints" / "custom-model" / "index.html")
    assert 'DEPLOYER = "0b7e3f2a-9c41-4d8e-b5a6-1e2f3a4b5c6d"' in page


@pytest.mark.parametrize(
    "breakage, message",
    [
        ("[a page](no-such-page.md)", "no-such-page.md"),
        ("[an anchor](check.md#no-such-heading)", "#no-such-heading"),
        ('```python\n--8<-- "examples/no_such_example.py"\n```', "no_such_example.py"),
    ],
    ids=["page", "anchor", "embedded file"],
)
def test_a_broken_link_fails_the_build(tmp_path, breakage, message):
    docs = tmp_path / "docs"
    subprocess.run(["cp", "-r", str(ROOT / "docs"), str(docs)], check=True)
    (docs / "index.md").write_text((docs / "index.md").read_text() + f"\n{breakage}\n")
    config = (ROOT / "mkdocs.yml").read_text().replace("docs_dir: docs", f"docs_dir: {docs}")
    config = config.replace("- docs/hooks/", f"- {ROOT}/docs/hooks/")
    (tmp_path / "mkdocs.yml").write_text(config)
    result = build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert result.returncode != 0
    assert message in result.stderr
