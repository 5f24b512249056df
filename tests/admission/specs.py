"""The compiles the admission kit runs on: every spec the tests compile, as `Objects` per compile.

- the example, in the base and every environment, without a lock and with the fixed test lock
  (which has previous versions, so canaries and rollback files are exercised);
- every focused spec under tests/cases/, in the base and every environment;
- every lint-case spec (tests/lint/cases/<CODE>.yaml) that validates, except the failing cases of
  rules whose default severity is error: those specs exist to show what lint refuses to let
  through (a failing SCHED001 case is a pod no node can hold, on purpose).
"""
from __future__ import annotations

import functools
from pathlib import Path

from ruamel.yaml import YAML

from compiler.checked_spec import check_bytes
from compiler.diagnostics import SpecError
from compiler.lint.registry import BY_CODE
from compiler.overlays import environment_names
from tests.compile_support import CASES, EXAMPLE, EXAMPLES, created_objects, example_lock

from . import Objects

REPO_ROOT = Path(__file__).resolve().parents[2]
LINT_CASES = sorted((REPO_ROOT / "tests" / "lint" / "cases").glob("*.yaml"))


def compile_text(text: str, path: str = "mlops.yaml", env: str | None = None, lock=None) -> Objects:
    """Every object (manifests and rollback files) one spec text compiles to, for one environment."""
    from backends.kubernetes import lower_files

    checked = check_bytes(text.encode("utf-8"), path, env)
    files = lower_files(checked, lock)
    # with what resource templates create at run time (a distributed step's TrainJob); a created
    # Workflow (the retraining gate's) is checked in its template by argo-resource-templates
    created = [made for objects in files.values() for top in objects for made in created_objects(top)
               if made.get("kind") != "Workflow"]
    return Objects([obj for objects in files.values() for obj in objects] + created,
                   label=f"{path} ({env or 'base'})")


def _environments(text: str, path: str) -> list[str | None]:
    from compiler.loader import load_bytes

    return [None, *environment_names(load_bytes(text.encode("utf-8"), path).data)]


@functools.cache
def compiles() -> tuple[tuple[str, str, str | None, bool], ...]:
    """(id, spec text, env, with lock) of every compile the kit checks."""
    found: list[tuple[str, str, str | None, bool]] = []
    text = EXAMPLE.read_text(encoding="utf-8")
    for env in _environments(text, str(EXAMPLE)):
        for locked in (False, True):
            found.append((f"example-{env or 'base'}{'-locked' if locked else ''}", text, env, locked))
    for path in CASES:
        text = path.read_text(encoding="utf-8")
        for env in _environments(text, str(path)):
            found.append((f"case-{path.stem}-{env or 'base'}", text, env, False))
    for path in EXAMPLES:
        text = path.read_text(encoding="utf-8")
        for env in _environments(text, str(path)):
            found.append((f"examples-{path.parent.name}-{env or 'base'}", text, env, False))
    yaml = YAML(typ="safe")
    for path in LINT_CASES:
        fixture = yaml.load(path.read_text(encoding="utf-8"))
        for name, case in (fixture.get("cases") or {}).items():
            spec = case.get("spec")
            if not isinstance(spec, str):
                continue
            try:
                check_bytes(spec.encode("utf-8"), "mlops.yaml")
            except SpecError:
                continue  # a case about an invalid spec compiles nothing
            if case.get("expect") and BY_CODE[path.stem].severity == "error":
                continue
            found.append((f"lint-{path.stem}-{name}", spec, None, False))
    return tuple(found)


def objects_of(compile_id: str) -> Objects:
    for identifier, text, env, locked in compiles():
        if identifier == compile_id:
            lock = example_lock() if locked else None
            if identifier.startswith("examples-"):
                path = str(next(p for p in EXAMPLES if identifier.startswith(f"examples-{p.parent.name}-")))
            elif identifier.startswith("example"):
                path = str(EXAMPLE)
            else:
                path = f"{identifier}.yaml"
            return compile_text(text, path, env, lock)
    raise KeyError(compile_id)
