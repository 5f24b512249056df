"""Fuzzing: no generated spec breaks validate, lint or compile, and the fast YAML path reads like ruamel.

Specs are valid ones (the example, synthetic specs) and mutations of them: wrong types, missing
keys, unknown keys, huge numbers, unicode, deep nesting, and raw text damage. Every command must
exit 0, 1 or 2 without a traceback or "internal error"; when compile accepts, every object it
writes must validate against the Kubernetes / CRD schemas.

CI runs a fixed, derandomized number of examples with a deadline; for a long run:

    MLOPS_FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest tests/test_fuzz.py
"""
from __future__ import annotations

import copy
import datetime
import importlib.util
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import compiler.loader as loader
from bench.synthetic_spec import synthetic_spec, to_yaml
from compiler.cli import main
from compiler.diagnostics import SpecError

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "mlops.yaml.example"
LONG = int(os.environ.get("MLOPS_FUZZ_EXAMPLES", "0"))


def fuzz_settings(ci_examples: int, seconds: float = 10.0):
    """A fixed, derandomized budget in CI; MLOPS_FUZZ_EXAMPLES=N runs N random examples instead."""
    return settings(max_examples=LONG or ci_examples, derandomize=not LONG, deadline=datetime.timedelta(seconds=seconds),
                    database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large, HealthCheck.filter_too_much])


def has_command(name: str) -> bool:
    return importlib.util.find_spec(f"compiler.commands.{name}") is not None


COMMANDS = [name for name in ("validate", "lint", "compile") if has_command(name)]


# --------------------------------------------------------------------------------------------
# 1. The libyaml fast path gives exactly ruamel's data and positions, or steps aside


PLAIN_TOKENS = st.one_of(
    st.sampled_from(["yes", "no", "on", "off", "y", "n", "true", "True", "FALSE", "null", "Null", "~", "1_000",
                     "0x1F", "0o17", "017", "0b101", "1e3", "1E-3", ".5", ".5e+3", ".5e3", "1.", "+1", "-0", "-1.5",
                     ".inf", "-.Inf", ".nan", "2026-10-15", "2026-10-15 10:00:00", "1:30", "=", "12Gi", "500m",
                     "0", "00", "007", "1_0.5", "v1.2", "a.b", "x-y_z", "9" * 30, "1e400"]),
    st.from_regex(r"[A-Za-z0-9][-A-Za-z0-9_.+/]{0,10}", fullmatch=True),
    st.from_regex(r"[-+]?[0-9_]{1,6}(\.[0-9_]{0,4})?([eE][-+]?[0-9]{1,3})?", fullmatch=True).filter(
        lambda s: s not in ("-", "+")),
)
QUOTED = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
KEYS = st.one_of(st.from_regex(r"[a-z][-a-z0-9_]{0,8}", fullmatch=True), st.sampled_from(["1", "true", "null", "~"]),
                 QUOTED.map(lambda s: ("quoted", s)))


def leaves() -> st.SearchStrategy:
    return st.one_of(PLAIN_TOKENS.map(lambda s: ("plain", s)), QUOTED.map(lambda s: ("double", s)),
                     QUOTED.filter(lambda s: "\n" not in s and "\r" not in s).map(lambda s: ("single", s)),
                     st.lists(st.from_regex(r"[ -~]{0,10}", fullmatch=True), min_size=1, max_size=3).map(
                         lambda lines: ("literal", lines)),
                     st.sampled_from([("empty", ""), ("empty", "  # note"), ("empty", " #")]))


trees = st.recursive(leaves(), lambda children: st.one_of(
    st.lists(children, max_size=4).map(lambda items: ("seq", items)),
    st.lists(st.tuples(KEYS, children), max_size=4).map(lambda items: ("map", items)),
    st.lists(children, max_size=3).map(lambda items: ("fseq", items)),
), max_leaves=25)


def _key(key: Any) -> str:
    return json.dumps(key[1], ensure_ascii=False) if isinstance(key, tuple) else key


def _inline(node: tuple) -> str | None:
    kind, value = node
    if kind == "plain":
        return value
    if kind == "double":
        return json.dumps(value, ensure_ascii=False)
    if kind == "single":
        return "'" + value.replace("'", "''") + "'"
    if kind == "empty":
        return value
    if kind == "fseq":
        parts = [_flow(item) for item in value]
        return "[" + ", ".join(parts) + "]"
    if kind in ("seq", "map") and not value:
        return "[]" if kind == "seq" else "{}"
    return None


def _flow(node: tuple) -> str:
    kind, value = node
    if kind in ("seq", "fseq"):
        return "[" + ", ".join(_flow(item) for item in value) + "]"
    if kind == "map":
        return "{" + ", ".join(f"{_key(k)}: {_flow(v)}" for k, v in value) + "}"
    if kind == "literal":
        return json.dumps("\n".join(value) + "\n", ensure_ascii=False)
    if kind == "plain" and (value.startswith(("[", "{", "-", "?", ":")) or any(c in value for c in ",[]{}#")):
        return json.dumps(value)
    if kind == "empty":
        return '""'
    return _inline(node) or '""'


def render(node: tuple, indent: int, out: list[str], prefix: str) -> None:
    """Block YAML for a tree; `prefix` is what precedes the node on its first line ("key:" or "-")."""
    pad = " " * indent
    kind, value = node
    inline = _inline(node)
    if inline is not None:
        out.append(f"{pad}{prefix} {inline}".rstrip() if prefix else f"{pad}{inline or '~'}")
        return
    if kind == "literal":
        out.append(f"{pad}{prefix} |" if prefix else f"{pad}|")
        out.extend(f"{pad}  {line}".rstrip() if line.strip() else "" for line in value)
        return
    if prefix:
        out.append(f"{pad}{prefix}")
        indent += 2
        pad = " " * indent
    if kind == "seq":
        for item in value:
            render(item, indent, out, "-")
    else:
        for key, item in value:
            render(item, indent, out, f"{_key(key)}:")


def document(root: list, crlf: bool, comments: bool) -> str:  # noqa: C901
    out: list[str] = ["# generated"] if comments else []
    for key, item in root:
        render(item, 0, out, f"{_key(key)}:")
        if comments:
            out.append("# a comment")
    text = "\n".join(out) + "\n"
    return text.replace("\n", "\r\n") if crlf else text


def ruamel_load(raw: bytes):
    original = loader._load_fast
    loader._load_fast = lambda text, path: None
    try:
        return loader.load_bytes(raw, "spec.yaml")
    finally:
        loader._load_fast = original


@fuzz_settings(120, seconds=5)
@given(root=st.lists(st.tuples(KEYS, trees), min_size=1, max_size=5), crlf=st.booleans(), comments=st.booleans())
def test_fast_yaml_path_matches_ruamel(root, crlf, comments):
    text = document(root, crlf, comments)
    try:
        yaml.compose(text, Loader=yaml.CBaseLoader)  # a document the renderer got wrong is no test
    except yaml.YAMLError:
        assume(False)
    fast = loader._load_fast(text, "spec.yaml")
    if fast is None:
        return  # stepped aside: ruamel decides, as it always did
    try:
        slow = ruamel_load(text.encode("utf-8"))
    except SpecError as error:
        pytest.fail(f"libyaml accepted what ruamel refuses ({error.diagnostics[0].render()}):\n{text}")
    assert fast[0] == slow.data, text
    assert fast[1].keys == slow.source_map.keys, text
    assert fast[1].values == slow.source_map.values, text


@pytest.mark.parametrize("spec", ["example", "synthetic-12"])
def test_fast_yaml_path_matches_ruamel_on_real_specs(spec):
    raw = EXAMPLE.read_bytes() if spec == "example" else to_yaml(synthetic_spec(12)).encode()
    fast = loader._load_fast(raw.decode(), "spec.yaml")
    assert fast is not None, "the fast path should take every ordinary spec"
    slow = ruamel_load(raw)
    assert (fast[0], fast[1].keys, fast[1].values) == (slow.data, slow.source_map.keys, slow.source_map.values)


# --------------------------------------------------------------------------------------------
# 2. The CLI on valid specs and mutations of them


def _base_specs() -> list[dict]:
    from ruamel.yaml import YAML

    example = json.loads(json.dumps(YAML(typ="safe", pure=True).load(EXAMPLE.read_text())))
    return [example, synthetic_spec(1), synthetic_spec(3)]


BASES = _base_specs()

WRONG_VALUES = st.one_of(
    st.sampled_from([None, True, False, 0, -1, 42, 3.5, "", "text", [], {}, [1, 2], {"x": 1}, "1Gi", "5m", "50%"]),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.sampled_from([10**100, -(10**100), 2**63, 2**64 + 1, 1e308, -1e308, 1e-320]),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.sampled_from(["é", "名前", "🚀", "\u202eevil", "a\u0301", "ǅ", "ﬃ", "İ", "\ufeff", "x" * 300]),
)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _parent(spec: Any, path: tuple) -> Any:
    for part in path[:-1]:
        spec = spec[part]
    return spec


def _nested(depth: int) -> Any:
    value: Any = "deep"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


@st.composite
def mutated_specs(draw) -> tuple[str, dict]:
    spec = copy.deepcopy(draw(st.sampled_from(BASES)))
    applied = []
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        paths = [p for p in _paths(spec) if p]
        path = draw(st.sampled_from(paths))
        parent, last = _parent(spec, path), path[-1]
        operation = draw(st.sampled_from(["wrong", "delete", "unknown", "huge", "unicode", "deep", "rename",
                                          "unicode-key"]))
        applied.append((operation, path))
        if operation == "wrong":
            parent[last] = draw(WRONG_VALUES)
        elif operation == "delete":
            del parent[last]
        elif operation == "unknown":
            target = parent[last] if isinstance(parent[last], dict) else parent
            if isinstance(target, dict):
                target[draw(st.sampled_from(["replica", "colour", "gpu_count", "x", "Kind", "__proto__"]))] = 1
        elif operation == "huge":
            parent[last] = draw(st.sampled_from([10**30, -(10**30), 1e300, 2**63, 99999999999]))
        elif operation == "unicode":
            parent[last] = draw(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30))
        elif operation == "deep":
            parent[last] = _nested(draw(st.integers(min_value=10, max_value=80)))
        elif operation == "rename" and isinstance(parent, dict):
            value = parent.pop(last)
            parent[str(last)[:-1] + draw(st.sampled_from(["s", "_", "-x", "É", ""]))] = value
        elif operation == "unicode-key" and isinstance(parent, dict):
            parent[draw(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=10))] = 1
    return to_yaml(spec), {"mutations": applied}


RAW_DAMAGE = st.one_of(
    st.binary(min_size=1, max_size=8),
    st.sampled_from([b"\x00", b"\xff\xfe", b"\t", b"&a ", b"*a", b"!!python/object:os.system ", b"<<: ", b"[",
                     b"{", b"---\n", b"%YAML 1.1\n", b"\xe2\x80\xa8", b"\r", b": ", b"- ", b"? ", b"|", b"\"",
                     b"'", b"#", b"@", b"`", b"\xef\xbb\xbf"]),
)


@st.composite
def damaged_texts(draw) -> bytes:
    text = to_yaml(copy.deepcopy(draw(st.sampled_from(BASES)))).encode("utf-8")
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        if draw(st.booleans()):
            text = text[:at] + draw(RAW_DAMAGE) + text[at:]
        else:
            text = text[:at]  # truncated
    return text


@pytest.fixture(scope="module")
def schema_validator():
    from tests.k8s_schemas import get_validator

    return get_validator("1.31")


def run_commands(raw: bytes, capsys, validator) -> dict[str, int]:
    work = Path(tempfile.mkdtemp(prefix="mlops-fuzz-"))
    try:
        spec = work / "mlops.yaml"
        spec.write_bytes(raw)
        codes = {}
        for command in COMMANDS:
            argv = {"validate": ["validate", str(spec)],
                    "lint": ["lint", str(spec)],
                    "compile": ["compile", str(spec), "-o", str(work / "build"), "--backend", "all", "--allow-placeholder-models"]}[command]
            codes[command] = code = main(argv)
            out, err = capsys.readouterr()
            assert code in (0, 1, 2), (command, code, err)
            assert "Traceback" not in out + err and "internal error" not in err, (command, err)
            if command == "compile" and code == 0:
                manifests = work / "build" / "base" / "manifests"
                objects = [doc for path in sorted(manifests.rglob("*.yaml")) if path.name != "kustomization.yaml"
                           for doc in yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) if doc]
                assert objects, "compile succeeded but wrote no object"
                problems = [e for obj in objects for e in validator.validate(obj)]
                assert not problems, problems[:5]
        if "validate" in codes and "compile" in codes:
            # Same front end, different scope: validate checks the base and every environment, compile
            # (without --env) the base. What validate accepts compiles; an overlay may break only validate.
            if codes["validate"] == 0:
                assert codes["compile"] == 0, codes
        return codes
    finally:
        shutil.rmtree(work, ignore_errors=True)


@fuzz_settings(25, seconds=20)
@given(case=mutated_specs())
def test_commands_survive_mutated_specs(case, capsys, schema_validator):
    text, _ = case
    run_commands(text.encode("utf-8"), capsys, schema_validator)


@fuzz_settings(20, seconds=20)
@given(raw=damaged_texts())
def test_commands_survive_damaged_text(raw, capsys, schema_validator):
    run_commands(raw, capsys, schema_validator)


def test_unmutated_bases_are_accepted(capsys, schema_validator):
    """The fuzzers start from valid specs: if these stop compiling, the fuzz tests prove little."""
    for base in BASES:
        codes = run_commands(to_yaml(base).encode("utf-8"), capsys, schema_validator)
        assert codes.get("validate") == 0 and codes.get("compile", 0) == 0, codes


# --------------------------------------------------------------------------------------------
# 3. The whole pipeline (fuzz/targets.py, the atheris harnesses' targets): lint, lowering, the Pulumi
#    program and a plan against the example, for mutated specs and locks


@fuzz_settings(15, seconds=30)
@given(case=mutated_specs())
def test_pipeline_survives_mutated_specs(case):
    from fuzz.targets import spec_pipeline

    text, _ = case
    spec_pipeline(text.encode("utf-8"))


LOCK_TEXT = (REPO / "mlops.lock.example").read_text()
LOCK_DAMAGE = st.sampled_from([
    "artifact_uri: /etc/passwd", "artifact_uri: ftp://x/y", "artifact_uri: https://u:p@h/m", "status: FAILED_REGISTRATION",
    "version: 0", "version: 99999999999999", "version: .inf", "version: !!int x", "run_id: [1]", "<<: {a: 1}",
    "lock_version: 2", "models: []", "previous: {}", "lineage: null", 'artifact_uri: "s3://b/m?sig=1"', "? [a]: b",
    "requested: {alias: a, version: 1}", "artifact_uri: \"\\ud800\"",
])


@fuzz_settings(40, seconds=10)
@given(edits=st.lists(st.tuples(st.integers(min_value=0, max_value=60), LOCK_DAMAGE), max_size=3),
       cut=st.integers(min_value=0, max_value=len(LOCK_TEXT)))
def test_lock_reading_survives_damage(edits, cut):
    from fuzz.targets import lock_file

    lines = LOCK_TEXT.splitlines()
    for at, damage in edits:
        index = at % len(lines)
        indent = len(lines[index]) - len(lines[index].lstrip())
        lines[index] = " " * indent + damage
    text = "\n".join(lines) + "\n"
    lock_file(text[:cut].encode() if cut < 200 else text.encode())
