"""The manual's per-operation fault table (``OPERATION_FAULTS``) against the code that raises them.

A static call graph of the ``mec_ws`` package (``ast``; module functions, class methods, names
resolved through imports) is walked from each operation's :class:`MecApp` method; every
:class:`mec_ws.errors.MecError` subclass constructed on the way gives a fault code.  The codes the
table lists for an operation must be exactly those (beyond the common ones every operation can
answer), so a new ``raise`` in a service or a stale line in the table fails here.
"""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import mec_ws
from mec_ws import errors
from mec_ws.config import Settings
from mec_ws.documents.manual import COMMON_FAULTS, OPERATION_FAULTS, build_manual, describe_wsdl
from mec_ws.services.app import MecApp

PACKAGE = Path(mec_ws.__file__).parent
# Codes every operation can answer whatever its path: login, the envelope, the service itself.
ALWAYS = {"Autenticacion", "CuentaBloqueada", "Interno"}


@dataclass
class Function:
    module: str
    calls: set[str] = field(default_factory=set)


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


class _Index:
    """Every function of the package and, per module, what its top-level names refer to."""

    def __init__(self) -> None:
        self.functions: dict[str, Function] = {}
        self.aliases: dict[str, dict[str, str]] = {}  # module -> local name -> qualified name
        self.modules: set[str] = set()
        for path in sorted(PACKAGE.rglob("*.py")):
            module = _module_name(path)
            self.modules.add(module)
            tree = ast.parse(path.read_text(encoding="utf-8"))
            self._imports(module, tree, path.name == "__init__.py")
            self._defs(module, tree)

    def _imports(self, module: str, tree: ast.Module, is_package: bool) -> None:
        names = self.aliases.setdefault(module, {})
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    names[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    pkg = module if is_package else module.rpartition(".")[0]
                    for _ in range(node.level - 1):
                        pkg = pkg.rpartition(".")[0]
                    base = f"{pkg}.{base}" if base else pkg
                for a in node.names:
                    names[a.asname or a.name] = f"{base}.{a.name}"
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                pass
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names[node.name] = f"{module}.{node.name}"

    def _defs(self, module: str, tree: ast.Module) -> None:
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self._function(module, f"{module}.{node.name}", node, None)
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                        self._function(module, f"{module}.{node.name}.{item.name}", item, node.name)

    def _function(self, module: str, qualname: str, node: ast.AST, cls: str | None) -> None:
        fn = self.functions.setdefault(qualname, Function(module))
        for sub in ast.walk(node):
            if not isinstance(sub, ast.Call):
                continue
            target = sub.func
            if isinstance(target, ast.Name):
                fn.calls.add(f"{module}:{target.id}")
            elif isinstance(target, ast.Attribute):
                chain = []
                cur: ast.expr = target
                while isinstance(cur, ast.Attribute):
                    chain.append(cur.attr)
                    cur = cur.value
                if isinstance(cur, ast.Name):
                    chain.append(cur.id)
                    chain.reverse()
                    if chain[0] in ("self", "cls") and cls is not None:
                        fn.calls.add(f"{module}.{cls}.{'.'.join(chain[1:])}")
                    else:
                        fn.calls.add(f"{module}:{'.'.join(chain)}")

    def resolve(self, ref: str) -> str | None:
        """The qualified name a call refers to (``module:name.attr`` or already qualified)."""
        for _ in range(10):
            if ":" in ref:
                module, _, dotted = ref.partition(":")
                head, _, rest = dotted.partition(".")
                target = self.aliases.get(module, {}).get(head)
                if target is None:
                    return None
                ref = f"{target}.{rest}" if rest else target
                continue
            if ref in self.functions:
                return ref
            # a re-export: "pkg.name" where pkg imports name from elsewhere
            for i in range(ref.count("."), 0, -1):
                module, tail = ".".join(ref.split(".")[:i]), ref.split(".")[i:]
                if module in self.modules and tail and tail[0] in self.aliases.get(module, {}):
                    new = ".".join([self.aliases[module][tail[0]], *tail[1:]])
                    if new != ref:
                        ref = new
                        break
            else:
                return ref
        return ref


def _error_codes() -> dict[str, str]:
    return {
        f"mec_ws.errors.{name}": cls.codigo
        for name, cls in vars(errors).items()
        if inspect.isclass(cls) and issubclass(cls, errors.MecError) and cls.codigo in errors.FAULT_CODES
    }


def raised_codes(index: _Index, entry: str) -> set[str]:
    codes = _error_codes()
    found: set[str] = set()
    seen: set[str] = set()
    todo = [entry]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        fn = index.functions.get(name)
        if fn is None:
            continue
        for call in fn.calls:
            target = index.resolve(call)
            if target is None:
                continue
            if target in codes:
                found.add(codes[target])
            elif target in index.functions:
                todo.append(target)
            elif f"{target}.__init__" in index.functions:
                todo.append(f"{target}.__init__")
    return found


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@pytest.fixture(scope="module")
def index() -> _Index:
    return _Index()


@pytest.fixture(scope="module")
def operations() -> list[str]:
    from mec_ws.soap.app import build_wsdl

    return [op.name for op in describe_wsdl(build_wsdl(Settings.from_env({}))).operations]


def test_the_table_lists_every_operation_of_the_wsdl_and_no_other(operations: list[str]) -> None:
    assert sorted(OPERATION_FAULTS) == sorted(operations)


def test_every_operation_has_a_mec_app_method(operations: list[str]) -> None:
    for op in operations:
        assert callable(getattr(MecApp, _snake(op), None)), op


def test_the_codes_listed_per_operation_are_those_its_service_path_raises(
    index: _Index, operations: list[str]
) -> None:
    common = {code for code, _ in COMMON_FAULTS}
    problems = []
    for op in operations:
        raised = raised_codes(index, f"mec_ws.services.app.MecApp.{_snake(op)}") - ALWAYS
        listed = {code for code, _ in OPERATION_FAULTS[op]}
        if listed != raised:
            problems.append(f"{op}: listed {sorted(listed)}, raised {sorted(raised)}")
        assert not (listed - set(errors.FAULT_CODES)), op
    assert not problems, "\n".join(problems)
    # the common ones are codes of the contract, and every contract code is answered somewhere
    assert common <= set(errors.FAULT_CODES)
    everywhere = common | {code for faults in OPERATION_FAULTS.values() for code, _ in faults}
    assert everywhere == set(errors.FAULT_CODES)


def test_the_call_graph_finds_a_raise_behind_a_helper(index: _Index) -> None:
    # upload.folio_not_found *returns* FolioInexistente and status raises it: still found
    assert "FolioInexistente" in raised_codes(index, "mec_ws.services.status.consulta_estatus_carga")
    assert "FolioInexistente" not in raised_codes(index, "mec_ws.services.documents.descarga_documento")


def test_the_manual_lists_each_operations_faults_under_it(operations: list[str]) -> None:
    manual = build_manual(Settings.from_env({})).decode("utf-8")
    for op in operations:
        section = manual.split(f"\n### {op}\n", 1)[1].split("\n### ", 1)[0]
        assert "**Fallas**" in section, op
        for code, when in OPERATION_FAULTS[op]:
            assert f"- `{code}`: {when}." in section, (op, code)
        for code, _ in COMMON_FAULTS:
            assert f"`{code}`" in section, (op, code)
