"""Helpers for the rule tests (a plain module: conftest modules are not importable by name)."""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from mec_ws.certificate.document import DecDocument, q
from mec_ws.findings import Finding
from mec_ws.registry import ValidationContext
from mec_ws.rules.base import Rule


def run(rules: Iterable[Rule], root: etree._Element, ctx: ValidationContext) -> list[Finding]:
    doc = DecDocument.from_tree(root)
    return [f for rule in rules for f in rule.run(doc, ctx)]


def codes(findings: Iterable[Finding]) -> list[str]:
    return [f.code for f in findings]


def el(root: etree._Element, path: str) -> etree._Element:
    found = root.find("/".join(q(p) for p in path.split("/")))
    assert found is not None, path
    return found


def subjects(root: etree._Element) -> list[etree._Element]:
    return el(root, "Asignaturas").findall(q("Asignatura"))
