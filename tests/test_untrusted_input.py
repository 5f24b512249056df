"""Specs, locks and file names an attacker wrote: each is refused with a message, in bounded time and
memory, and never reaches an internal error (issue 14, items 8-11).

Every command runs in a subprocess where a hang or a crash could happen (FIFOs, devices, terminals).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.cli import main
from tests.compile_support import CASES, EXAMPLE

REPO = Path(__file__).resolve().parent.parent
MLOPS = [sys.executable, "-m", "compiler.cli"]
HEADER = "apiVersion: mlops/v1\nkind: System\nmetadata: {name: fraud, namespace: fraud-ml}\n"


def run(*args, timeout: float = 60, env: dict | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess:
    result = subprocess.run([*MLOPS, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, **(env or {})}, cwd=cwd)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    return result


# --- 9. unbounded input: devices, FIFOs, sockets ----------------------------------------------------

@pytest.mark.parametrize("command", ["validate", "lint", "compile", "graph"])
def test_a_spec_that_is_dev_zero_is_refused_at_once(tmp_path, command):
    """Before: read_bytes() on /dev/zero grew without bound (stat says size 0)."""
    spec = tmp_path / "mlops.yaml"
    spec.symlink_to("/dev/zero")
    result = run(command, spec, timeout=20)
    assert result.returncode == 2
    assert "is a character device, expected an mlops.yaml file" in result.stderr


@pytest.mark.parametrize("command", ["validate", "lint", "compile"])
def test_a_spec_that_is_a_fifo_does_not_hang(tmp_path, command):
    """Before: opening a FIFO for reading waited forever for a writer."""
    spec = tmp_path / "mlops.yaml"
    os.mkfifo(spec)
    result = run(command, spec, timeout=20)
    assert result.returncode == 2 and "is a FIFO (named pipe)" in result.stderr, result.stderr


def test_a_spec_that_is_a_socket(tmp_path):
    import socket

    path = tmp_path / "mlops.yaml"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        result = run("validate", path, timeout=20)
    assert result.returncode == 2 and "is a socket" in result.stderr


@pytest.mark.parametrize("where", ["lock", "base-spec"])
def test_a_lock_or_base_spec_that_is_dev_zero_or_a_fifo(tmp_path, where):
    spec = tmp_path / "mlops.yaml"
    spec.write_bytes(EXAMPLE.read_bytes())
    if where == "lock":
        os.mkfifo(tmp_path / "mlops.lock")
        for args in (["compile", spec, "-o", tmp_path / "out"], ["lint", spec]):
            result = run(*args, timeout=20)
            assert result.returncode == 2 and "mlops.lock: is a FIFO (named pipe)" in result.stderr, result.stderr
    else:
        (tmp_path / "old.yaml").symlink_to("/dev/zero")
        result = run("plan", spec, "--base-spec", tmp_path / "old.yaml", timeout=20)
        assert result.returncode == 2 and "is a character device" in result.stderr, result.stderr


def test_lint_refuses_a_lockfile_outside_the_spec_directory(tmp_path):
    """A committed `requirements.lock -> /proc/self/environ` must not make lint read the machine's files."""
    spec = tmp_path / "mlops.yaml"
    text = EXAMPLE.read_text()
    assert "lockfile: requirements/serve.lock" in text  # serving runtimes' lockfiles are what lint reads
    spec.write_text(text.replace("lockfile: requirements/serve.lock", "lockfile: reqs.lock", 1))
    (tmp_path / "reqs.lock").symlink_to("/proc/self/environ")
    result = run("lint", spec, timeout=20)
    assert result.returncode == 1 and "resolves outside the spec's directory" in result.stdout + result.stderr
    (tmp_path / "reqs.lock").unlink()
    os.mkfifo(tmp_path / "reqs.lock")
    result = run("lint", spec, timeout=20)
    assert result.returncode == 1 and "is a FIFO" in result.stdout + result.stderr


def test_at_most_a_hundred_diagnostics_are_printed(tmp_path):
    spec = tmp_path / "mlops.yaml"
    spec.write_text(HEADER + "runtimes:\n" + "".join(f"  r{i}: {{image: 1}}\n" for i in range(5000)))
    result = run("validate", spec)
    assert result.returncode == 1
    assert result.stderr.count(": error: ") == 100
    assert "... and 4900 more errors (the first 100 are shown, by position)" in result.stderr
    result = run("lint", spec)
    assert result.stdout.count("SPEC [error]") == 100 and "and 4900 more findings" in result.stdout


# --- 10. internal errors become positioned messages ----------------------------------------------------

@pytest.mark.parametrize("value, message", [
    ("!!int pool", "'pool' cannot be read as !!int"),
    ("!!bool 3", "'3' cannot be read as !!bool"),
    ('!!int ""', "'' cannot be read as !!int"),
    ("!!str [1]", "the tag !!str does not fit a list"),
    ("!!map x", "the tag !!map does not fit a scalar"),
    ("!!timestamp 2026-13-45", "'2026-13-45' cannot be read as !!timestamp"),
], ids=["int", "bool", "empty-int", "str-on-list", "map-on-scalar", "bad-date"])
def test_explicit_tags_on_values_they_do_not_fit(tmp_path, capsys, value, message):
    """Found by the atheris campaign: ruamel raised ValueError/KeyError/IndexError deep inside."""
    spec = tmp_path / "mlops.yaml"
    spec.write_text(HEADER + f"platform: {{cloud: {value}}}\n")
    assert main(["validate", str(spec)]) == 1
    err = capsys.readouterr().err
    assert f"{spec}:4:19: error: {message}" in err, err


def test_a_complex_key(tmp_path, capsys):
    """Found by the atheris campaign: `? {a: 1}` made ruamel hash a mapping (TypeError)."""
    spec = tmp_path / "mlops.yaml"
    spec.write_text(HEADER + "? {a: 1}\n: x\n")
    assert main(["validate", str(spec)]) == 1
    assert f"{spec}:4:3: error: a mapping or list used as a key" in capsys.readouterr().err


def test_merge_keys_are_supported_and_mean_what_they_say(tmp_path):
    """Before: `<<: *anchor` was an internal error (merged keys have no position of their own)."""
    text = EXAMPLE.read_text()
    merged = text.replace("  serve:\n    image:", "  serve: &serve-runtime\n    image:", 1).replace(
        "  embed-serve:\n", "  embed-serve:\n    <<: *serve-runtime\n    model_cache_hint: ignored\n", 1)
    merged = merged.replace("    model_cache_hint: ignored\n", "", 1)
    assert merged != text and "<<: *serve-runtime" in merged
    trees = []
    for name, body in (("plain", text), ("merged", merged)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "mlops.yaml").write_text(body)
        assert main(["compile", str(tmp_path / name / "mlops.yaml"), "-o", str(tmp_path / name / "out"), "--allow-placeholder-models"]) == 0
        root = tmp_path / name / "out" / "base" / "manifests"
        trees.append({p.relative_to(root): p.read_bytes() for p in root.rglob("*.yaml")})
    assert trees[0] == trees[1]
    # A merged key that is wrong is reported where it is written: in the anchored mapping.
    broken = merged.replace("  serve: &serve-runtime\n", "  serve: &serve-runtime\n    colour: red\n", 1)
    (tmp_path / "broken.yaml").write_text(broken)
    line = broken.splitlines().index("    colour: red") + 1
    result = run("validate", tmp_path / "broken.yaml")
    assert f"broken.yaml:{line}:5: error: unknown key 'colour' in runtimes.embed-serve" in result.stderr, result.stderr


def test_non_utf8_terminals_get_escapes_not_a_crash(tmp_path):
    spec = tmp_path / "mlops.yaml"
    spec.write_text(HEADER.replace("fraud-ml}", "fraud-ml, owner: \"équipe\"}") + "clé: 1\n", encoding="utf-8")
    for encoding in ({"PYTHONIOENCODING": "ascii"}, {"LANG": "C", "LC_ALL": "C", "PYTHONIOENCODING": "ascii"}):
        for command in ("validate", "lint"):
            result = run(command, spec, env=encoding)
            assert result.returncode == 1
            assert "\\xe9" in result.stdout + result.stderr  # shown as an escape


# --- 10. derived names that collide --------------------------------------------------------------------

def lowered_names(spec_path: Path) -> set[tuple[str, str]]:
    from backends.kubernetes import lower_files
    from compiler.checked_spec import check_file

    checked = check_file(str(spec_path))
    return {(o["kind"], o["metadata"]["name"]) for objects in lower_files(checked, None).values() for o in objects}


@pytest.mark.parametrize("spec", [EXAMPLE, *CASES], ids=["example", *(c.stem for c in CASES)])
def test_every_object_named_after_a_spec_key_is_in_the_collision_table(spec):
    """compiler/naming.py derived_names must list what the lowering really creates, or collisions go unseen."""
    from compiler.checked_spec import check_file
    from compiler.naming import derived_names

    checked = check_file(str(spec))
    table = {(kind, name) for kind, name, _ in derived_names(checked.spec)}
    kinds = {kind for kind, _ in table}
    keys = {key for section in ("pipelines", "serving", "monitoring", "node_pools")
            for key in getattr(checked.spec, section)}
    system = checked.spec.metadata.name
    for kind, name in lowered_names(spec):
        from_a_key = any(name == f"{system}-{key}" or name.startswith(f"{system}-{key}-") for key in keys)
        if from_a_key and kind != "LocalModelCache":  # caches carry the locked version: compile checks them
            assert (kind, name) in table, f"{kind} {name} is missing from naming.derived_names"
    assert kinds


def test_a_pipeline_named_like_an_endpoints_monitor_jobs(tmp_path, capsys):
    """Before: both lowered to CronWorkflow <system>-api-monitor and one silently replaced the other."""
    path = REPO / "tests" / "bad_inputs" / "monitor_cronworkflow_name_collision.yaml"
    assert main(["compile", str(path), "-o", str(tmp_path)]) == 1
    assert "has the same name as the CronWorkflow of pipelines.api-monitor" in capsys.readouterr().err
    assert not (tmp_path / "base").exists()


def test_compile_refuses_any_duplicate_object_it_lowered(tmp_path, capsys, monkeypatch):
    """The last check, on what was really lowered: a collision the table does not know is still caught."""
    import backends.kubernetes as kubernetes

    original = kubernetes.lower_files

    def duplicated(checked, lock=None):
        files = original(checked, lock)
        files["manifests/extra.yaml"] = [files["manifests/namespace.yaml"][0]]
        return files

    monkeypatch.setattr(kubernetes, "lower_files", duplicated)
    assert main(["compile", str(EXAMPLE), "-o", str(tmp_path)]) == 1
    assert "generates Namespace 'fraud-ml', which metadata.namespace generates too" in capsys.readouterr().err


# --- 11. PromQL business queries stay one expression ------------------------------------------------------

QUERY_PARTS = st.sampled_from(["up", "sum(", "rate(", "x[5m]", ")", "(", "]", "[", "{", "}", 'a="(("', "'b'", "`)`",
                               " or ", " unless ", " and ", " > 1", "vector(1)", ",", " by (job)", "#", "\n", '"',
                               "offset 5m", "@ 100", "-", "1", "nan"])


@settings(max_examples=int(os.environ.get("MLOPS_FUZZ_EXAMPLES", "0")) or 400, deadline=None, derandomize=True,
          database=None)
@given(st.lists(QUERY_PARTS, min_size=1, max_size=12).map("".join))
def test_an_accepted_query_stays_inside_its_parentheses(query):
    """Cross-checked with promql-parser (a dev dependency; the spec layer does not need it)."""
    pytest.importorskip("promql_parser")
    from fuzz.targets import promql_embedding

    promql_embedding(query)


@pytest.mark.parametrize("query", ["up) or vector(1) or (up", "sum(x) # note", "sum(x", 'x{a="}', "  "])
def test_queries_that_would_escape_are_refused(query):
    import promql_parser

    from compiler.spec.promql_text import embedding_problem

    assert embedding_problem(query) is not None
    if query.startswith("up)"):  # the attack: wrapped, the bound compares only a part of the query
        wrapped = promql_parser.parse(f"({query}) < 1")
        assert type(wrapped).__name__ == "BinaryExpr" and wrapped.op.__str__() == "or"


def test_lint_path_does_not_import_promql_parser():
    code = ("import sys; from compiler.cli import main; main(['lint', 'mlops.yaml.example']); "
            "print(json.dumps(sorted(m for m in sys.modules if 'promql' in m)))")
    result = subprocess.run([sys.executable, "-c", "import json; " + code], capture_output=True, text=True, cwd=REPO)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == ["compiler.spec.promql_text"]


NAME_PARTS = st.sampled_from(["fraud-api", "merchant-embed", "train-fraud", "gpu-serve", "default", "netpol", "training",
                              "serving", "monitoring", "device-plugin-config", "mig-parted-config"])
NAME_SUFFIXES = st.sampled_from(["", "-drift", "-retrain-gate", "-monitor", "-model-cache", "-1", "-champion", "-x"])


@settings(max_examples=int(os.environ.get("MLOPS_FUZZ_EXAMPLES", "0")) or 30, deadline=None, derandomize=True,
          database=None)
@given(section=st.sampled_from(["pipelines", "serving", "node_pools"]), part=NAME_PARTS, suffix=NAME_SUFFIXES)
def test_no_spec_key_can_make_two_objects_of_one_name(section, part, suffix):
    """A new key named like another key's derived object: refused at validation, or the build has no duplicate."""
    import copy

    from ruamel.yaml import YAML

    from backends.kubernetes import lower_files
    from compiler.checked_spec import check_document
    from compiler.commands.compile import duplicate_objects
    from compiler.diagnostics import SpecError
    from compiler.loader import load_bytes
    from compiler.yaml_emitter import dump_document

    data = YAML(typ="safe", pure=True).load(EXAMPLE.read_text())
    key = part + suffix
    source = {"pipelines": "train-fraud", "serving": "fraud-api", "node_pools": "gpu-serve"}[section]
    if key == source or key in data[section]:
        return
    data[section][key] = copy.deepcopy(data[section][source])
    try:
        checked = check_document(load_bytes(dump_document(data).encode(), "mlops.yaml"))
    except SpecError:
        return  # refused with a message (a collision, a name too long): what validation is for
    assert not duplicate_objects(checked, lower_files(checked, None))
