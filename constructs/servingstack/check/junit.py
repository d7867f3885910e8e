"""JUnit XML (`--junit FILE`) for CI test tabs: one `<testsuite>` for the stack, one `<testcase>`
per endpoint and check (`ready`, `drift`, `query`, `entities`, `expectations`, `permissions`),
one per served entity (`entity <name>`) and one per expectation and entity
(`expect <name> on <entity>`), classname `<stack>.<endpoint>`; one per app and check (`app running`,
`app drift`, `app grants`), classname `<stack>.<app>`. A failed check is a `<failure>`
with the message as attribute and the details as text; a skipped or interrupted one is `<skipped>`."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from servingstack.check.results import AppResult, CheckReport, EndpointResult, StepResult
from servingstack.client.redact import Redactor
from servingstack.client.reports import write_text


def render(report: CheckReport, redactor: Redactor | None = None) -> str:
    clean = redactor.clean if redactor is not None else (lambda text: text)
    cases: list[tuple[EndpointResult | AppResult, str, StepResult]] = []
    for endpoint in report.endpoints:
        cases += [(endpoint, name, step) for name, step in endpoint.steps.items()]
        cases += [
            (endpoint, f"entity {e.name}", StepResult(e.status, e.message, e.details, (e.latency_ms or 0) / 1000))
            for e in endpoint.entity_results
        ]
        cases += [
            (endpoint, f"expect {x.name} on {x.entity}", StepResult(x.status, x.message, x.details, x.seconds))
            for x in endpoint.expectation_results
        ]
    for app in report.apps:
        cases += [(app, f"app {name}", step) for name, step in app.steps.items()]
    suites = ET.Element("testsuites", name="servingstack check")
    suite = ET.SubElement(
        suites,
        "testsuite",
        {
            "name": report.stack,
            "tests": str(len(cases)),
            "failures": str(sum(1 for _, _, step in cases if step.status == "fail")),
            "errors": "0",
            "skipped": str(sum(1 for _, _, step in cases if step.status in ("skip", "pending"))),
            "time": f"{report.seconds:.3f}",
            "timestamp": report.started_at,
        },
    )
    if report.host:
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", name="host", value=clean(report.host))
    for subject, name, step in cases:
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": f"{report.stack}.{subject.name}",
                "name": name,
                "time": f"{step.seconds or 0:.3f}",
            },
        )
        if step.status == "fail":
            kind = "-".join(name.split()[:2]) if name.startswith("app ") else name.split()[0]
            failure = ET.SubElement(case, "failure", message=clean(step.message), type=f"{kind}-check")
            failure.text = clean("\n".join([step.message, *step.details]))
        elif step.status in ("skip", "pending"):
            ET.SubElement(case, "skipped", message=clean(step.message or step.status))
        elif step.message or step.details:
            out = ET.SubElement(case, "system-out")
            out.text = clean("\n".join([step.message, *step.details]))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def write(report: CheckReport, path: str | Path, redactor: Redactor | None = None) -> None:
    write_text(path, render(report, redactor))
