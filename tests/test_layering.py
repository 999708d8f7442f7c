"""Packages depend one way: edges (soap, web, portal, cli) → services → domain → models.

Every ``import``/``from … import`` in the source tree (module level or inside functions) is read
with :mod:`ast`; an import against the direction fails the test with file, line and target.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EDGES = ("soap", "web", "portal", "cli")
DOMAIN = ("certificate", "rules", "programs", "batches", "reports", "catalogs")
# Plain modules directly under mec_ws/ (config, errors, registry, registry_source, cancellations, …)
# are domain too: they may use models and each other, never services or the edges.

# Known exceptions, each with its reason.  Keep this empty unless a move is truly impossible.
ALLOWED: frozenset[tuple[str, str]] = frozenset()


def _imports(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the file's package
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            found.extend((node.lineno, f"{target}.{alias.name}") for alias in node.names)
    return found


def _forbidden(module: str) -> tuple[str, ...]:
    """Prefixes ``module`` (dotted, e.g. ``mec_ws.batches.worker``) must not import."""
    parts = module.split(".")
    if parts[:2] == ["models", "alembic"]:
        return ()  # Alembic's runtime environment (reads the settings, makes the engine), not models
    if parts[0] == "models":
        return ("mec_ws",)
    if parts[0] != "mec_ws" or len(parts) < 2:
        return ()
    top = parts[1]
    edges = tuple(f"mec_ws.{e}" for e in EDGES)
    if top in EDGES or top in ("testdata", "documents"):
        return ()  # edges may import anything below; test data and the manual builder are tooling
    if top == "services":
        return edges
    if top in DOMAIN or len(parts) == 2:  # a domain package or a plain module under mec_ws/
        return ("mec_ws.services", *edges)
    return ()


def _violations(root: Path = ROOT) -> list[str]:
    problems: list[str] = []
    for path in sorted([*root.joinpath("mec_ws").rglob("*.py"), *root.joinpath("models").rglob("*.py")]):
        rel = path.relative_to(root)
        module = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
        forbidden = _forbidden(module)
        for line, target in _imports(path, root):
            bad = any(target == p or target.startswith(p + ".") for p in forbidden)
            if bad and (str(rel), target) not in ALLOWED:
                problems.append(f"{rel}:{line}: {module} imports {target}")
    return problems


def test_packages_depend_one_way() -> None:
    assert _violations() == []


@pytest.mark.parametrize(
    ("module", "target", "bad"),
    [
        ("models.batches", "mec_ws.services.dto", True),
        ("models.batches", "models.enums", False),
        ("mec_ws.batches.worker", "mec_ws.services.cancellation", True),
        ("mec_ws.reports.export", "mec_ws.services.dto", True),
        ("mec_ws.reports.export", "models.enums", False),
        ("mec_ws.registry_source", "mec_ws.services", True),
        ("mec_ws.services.query", "mec_ws.reports.pdf", False),
        ("mec_ws.services.query", "mec_ws.soap.faults", True),
        ("mec_ws.soap.service", "mec_ws.services.query", False),
    ],
)
def test_the_rule_itself(module: str, target: str, bad: bool) -> None:
    """The checker catches what it must (so an empty violation list means something)."""
    assert any(target == p or target.startswith(p + ".") for p in _forbidden(module)) is bad


def test_imports_are_found_everywhere_and_relative_ones_resolved(tmp_path: Path) -> None:
    pkg = tmp_path / "mec_ws" / "batches"
    pkg.mkdir(parents=True)
    (pkg / "x.py").write_text(
        "from ..services import dto\nfrom . import storage\n"
        "def f():\n    import mec_ws.soap.app\n    from mec_ws.web import wsgi\n"
    )
    targets = {t for _, t in _imports(pkg / "x.py", tmp_path)}
    assert {"mec_ws.services.dto", "mec_ws.batches.storage", "mec_ws.soap.app", "mec_ws.web.wsgi"} <= targets
