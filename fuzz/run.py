"""Coverage-guided fuzzing of mlops with atheris (libFuzzer): `python fuzz/run.py TARGET [libFuzzer flags]`.

TARGET is `spec` (a spec through load, validate, lint, compile and plan), `lock` (a lock file read
and used) or `promql` (business queries against promql-parser); see fuzz/targets.py. The seed corpus
is the project's own specs, locks and queries, written to the first corpus directory given (created
if needed); crashes are written where libFuzzer's -artifact_prefix says. Not collected by pytest.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import atheris

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# Everything the targets import lazily is imported here, inside the block, so that it is instrumented.
with atheris.instrument_imports(include=["compiler", "backends", "fuzz"]):
    import backends.kubernetes  # noqa: F401
    import backends.kubernetes.files  # noqa: F401
    import backends.pulumi.emitted  # noqa: F401
    import compiler.checked_spec  # noqa: F401
    import compiler.commands.compile  # noqa: F401
    import compiler.lint  # noqa: F401
    import compiler.lint.registry  # noqa: F401
    import compiler.lock  # noqa: F401
    import compiler.plan.build  # noqa: F401
    import compiler.plan.json_report  # noqa: F401
    import compiler.plan.markdown  # noqa: F401
    import compiler.spec  # noqa: F401
    from fuzz import targets


def seeds(target: str) -> list[bytes]:
    specs = [REPO / "mlops.yaml.example", *sorted((REPO / "tests" / "cases").glob("*.yaml")),
             *sorted((REPO / "tests" / "bad_inputs").glob("*.yaml"))]
    if target == "spec":
        return [path.read_bytes() for path in specs]
    if target == "lock":
        return [(REPO / "mlops.lock.example").read_bytes()]
    queries = {m.group(1).encode() for path in specs
               for m in re.finditer(r'query: "((?:[^"\\]|\\.)*)"', path.read_text(encoding="utf-8", errors="replace"))}
    return sorted(queries) + [b'sum(rate(x{a="(("}[5m])) or vector(0)', b"up) or (vector(1)", b"`raw`"]


YAML_TOKENS = ["<<: ", "&a ", "*a", "!!str ", "!!int ", "---\n", "...\n", "? ", ": ", "- ", "|\n", ">-\n", "{", "}", "[",
               "]", "#", "'", '"', "\\u00e9", "\\ud800", ".inf", ".nan", "-.inf", "0x1F", "1e400", "~", "null",
               "${MLFLOW_TRACKING_URI}", "${HOME}", "kube-system", "MLOPS_STEP", ") or vector(1) or (", "9" * 40]


def dictionary(path: Path) -> Path:
    """A libFuzzer dictionary: every key of the spec's JSON Schema and YAML's punctuation."""
    import json

    keys: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            keys.update(node.get("properties", {}))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads((REPO / "schemas" / "mlops.schema.json").read_text()))
    entries = [f"{key}: " for key in sorted(keys)] + YAML_TOKENS
    path.write_text("".join(f'"{_escaped(entry)}"\n' for entry in entries))
    return path


def _escaped(entry: str) -> str:
    """libFuzzer's dictionary syntax: printable ASCII, with \\xNN for everything else and for quotes."""
    return "".join(chr(b) if 32 <= b < 127 and b not in b'"\\' else f"\\x{b:02X}" for b in entry.encode())


def one_input(target: str):
    if target == "spec":
        return lambda data: targets.spec_pipeline(data)
    if target == "lock":
        return lambda data: targets.lock_file(data)

    def promql(data: bytes) -> None:
        targets.promql_embedding(atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(len(data)))

    return promql


def main() -> None:
    target = sys.argv[1] if len(sys.argv) > 1 else ""
    if target not in ("spec", "lock", "promql"):
        sys.exit(__doc__)
    corpus = next((Path(arg) for arg in sys.argv[2:] if not arg.startswith("-")), None)
    if corpus is not None:
        corpus.mkdir(parents=True, exist_ok=True)
        for index, seed in enumerate(seeds(target)):
            (corpus / f"seed-{index:03d}").write_bytes(seed)
    flags = sys.argv[2:]
    if target == "spec" and corpus is not None and not any(flag.startswith("-dict=") for flag in flags):
        flags.append(f"-dict={dictionary(corpus.parent / (corpus.name + '.dict'))}")
    atheris.Setup([sys.argv[0], *flags], one_input(target))
    atheris.Fuzz()


if __name__ == "__main__":
    main()
