"""Hostile YAML: every command answers in bounded time and memory with a clean error, never a traceback.

Each input runs through validate, lint and compile in a fresh subprocess that reports, per command,
the exit code, the CPU time of `main()` alone (imports excluded) and the process's peak RSS. CPU
time, not wall time: the suite runs in parallel (pytest-xdist) on machines shared with other work,
and what a hostile input must not do is make mlops compute for long, however busy the cores are.
Bounds are generous for shared, noisy CI machines; the numbers measured on the 2-core dev machine
are in the comments.
"""
from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "mlops.yaml.example"
COMMANDS = [c for c in ("validate", "lint", "compile") if importlib.util.find_spec(f"compiler.commands.{c}")]

PROBE = """
import io, json, resource, sys, time, contextlib
from compiler.cli import main
spec, out, commands = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
report = {}
for command in commands:
    argv = [command, spec] + (["-o", out, "--allow-placeholder-models"] if command == "compile" else [])
    output = io.StringIO()  # lint reports spec errors as findings on stdout, the others on stderr
    start = time.process_time()
    with contextlib.redirect_stderr(output), contextlib.redirect_stdout(output):
        code = main(argv)
    report[command] = {"code": code, "seconds": time.process_time() - start, "output": output.getvalue()[-2000:]}
report["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(report))
"""


def run_all(tmp_path: Path, raw: bytes) -> dict:
    spec = tmp_path / "mlops.yaml"
    spec.write_bytes(raw)
    result = subprocess.run([sys.executable, "-c", PROBE, str(spec), str(tmp_path / "out"), json.dumps(COMMANDS)],
                            capture_output=True, text=True, timeout=300, cwd=REPO)
    assert result.returncode == 0 and result.stdout.strip(), result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def assert_refused(report: dict, message: str, seconds: float, mib: float = 400) -> None:
    for command in COMMANDS:
        entry = report[command]
        assert entry["code"] == 1, (command, entry)
        output = entry["output"]
        assert message in output, (command, output)
        assert "Traceback" not in output and "internal error" not in output, output
        assert re.search(r"mlops\.yaml:\d+:\d+: (error: |SPEC \[error\])", output), output  # file:line:col
        assert entry["seconds"] < seconds, (command, entry["seconds"])
    assert report["max_rss_mib"] < mib, report["max_rss_mib"]


HEADER = b"apiVersion: mlops/v1\nkind: System\nmetadata: {name: fraud, namespace: fraud-ml}\n"


def test_billion_laughs(tmp_path):
    """9 levels of 9 aliases: 387 million strings if expanded. Measured: ~5 ms per command, 45 MiB."""
    lines = [b'l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        lines.append(b"l%d: &l%d [" % (level, level) + b",".join([b"*l%d" % (level - 1)] * 9) + b"]")
    report = run_all(tmp_path, HEADER + b"\n".join(lines) + b"\n")
    assert_refused(report, "expands to more than", seconds=1.0)


def test_billion_laughs_with_mappings_and_merge_keys(tmp_path):
    lines = [b"m0: &m0 {a: lol, b: lol, c: lol, d: lol, e: lol, f: lol, g: lol, h: lol, i: lol}"]
    for level in range(1, 10):
        keys = b", ".join(b"k%d: *m%d" % (i, level - 1) for i in range(9))
        lines.append(b"m%d: &m%d {<<: *m%d, %s}" % (level, level, level - 1, keys))
    report = run_all(tmp_path, HEADER + b"\n".join(lines) + b"\n")
    assert_refused(report, "expands to more than", seconds=1.0)


def test_ten_megabyte_document(tmp_path):
    """Refused from its size before it is read. Measured: <1 ms per command."""
    report = run_all(tmp_path, HEADER + b"# " + b"x" * 78 + b"\n" * 1 + (b"padding: " + b"y" * 90 + b"\n") * 100_000)
    assert_refused(report, "the limit is", seconds=2.0)


def test_document_just_under_the_size_bound_is_read_in_bounded_time(tmp_path):
    """8 MiB of one-line flow list: the node bound stops it. Measured: ~3.5 s per command, 385 MiB."""
    raw = HEADER + b"items: [" + b"1," * (4 * 2**20 - 200) + b"1]\n"
    assert len(raw) < 8 * 2**20
    report = run_all(tmp_path, raw)
    assert_refused(report, "expands to more than", seconds=10.0, mib=1200)


@pytest.mark.parametrize("shape", ["flow-lists", "flow-maps", "block-compact-lists", "block-maps"])
def test_ten_thousand_deep_nesting(tmp_path, shape):
    """Measured: a few ms per command; block maps 3000 deep (4.5 MB of indentation) ~0.1 s."""
    depth = 10_000
    if shape == "flow-lists":
        body = b"a: " + b"[" * depth + b"]" * depth + b"\n"
    elif shape == "flow-maps":
        body = b"a: " + b"{a: " * depth + b"}" * depth + b"\n"
    elif shape == "block-compact-lists":
        body = b"a:\n" + b"- " * depth + b"x\n"
    else:
        depth = 3000  # indentation grows with depth: 3000 levels is 4.5 MB
        body = b"".join(b" " * level + b"a:\n" for level in range(depth)) + b" " * depth + b"x\n"
    report = run_all(tmp_path, HEADER + body)
    assert_refused(report, "nests deeper than", seconds=2.0)


def test_duplicate_keys_in_an_overlay(tmp_path):
    text = EXAMPLE.read_bytes().replace(b"      fraud-api: {replicas: {min: 3}}\n",
                                        b"      fraud-api: {replicas: {min: 3}}\n      fraud-api: {replicas: {min: 4}}\n")
    assert text != EXAMPLE.read_bytes()
    report = run_all(tmp_path, text)
    assert_refused(report, "duplicate key 'fraud-api'", seconds=1.0)


def test_duplicate_keys_deep_in_an_overlay(tmp_path):
    text = EXAMPLE.read_bytes().replace(b"      fraud-api: {replicas: {min: 3}}\n",
                                        b"      fraud-api: {replicas: {min: 3, min: 4}}\n")
    report = run_all(tmp_path, text)
    assert_refused(report, "duplicate key 'min'", seconds=1.0)


@pytest.mark.parametrize("damage, message", [
    (b"\xff\xfe\xfa", "invalid UTF-8"),
    (b"\xc3\x28", "invalid UTF-8"),
    (b"\xed\xa0\x80", "invalid UTF-8"),  # an encoded surrogate
    (b"\x00", "NUL byte"),
    (b"x\x00y", "NUL byte"),
], ids=["ff-fe", "bad-continuation", "surrogate", "nul", "nul-in-word"])
def test_bytes_that_are_not_text(tmp_path, damage, message):
    raw = EXAMPLE.read_bytes()
    at = raw.index(b"owner: team-risk") + len(b"owner: team")
    report = run_all(tmp_path, raw[:at] + damage + raw[at:])
    assert_refused(report, message, seconds=1.0)


def test_control_characters_and_utf16(tmp_path):
    raw = EXAMPLE.read_bytes()
    report = run_all(tmp_path, raw.replace(b"owner: team-risk", b"owner: team\x07risk"))
    assert_refused(report, "error", seconds=1.0)
    report = run_all(tmp_path, b"\xff\xfe" + EXAMPLE.read_text(encoding="utf-8").encode("utf-16-le"))
    assert_refused(report, "invalid UTF-8", seconds=1.0)


def test_a_huge_scalar_and_many_keys(tmp_path):
    """A 7 MB string (0.2 s) and a 100,000-key mapping (2.5 s, 290 MiB: 100,000 diagnostics) are refused."""
    report = run_all(tmp_path, HEADER + b"description: " + b"z" * 7_000_000 + b"\n")
    assert_refused(report, "unknown key 'description'", seconds=5.0, mib=800)
    many = b"".join(b"  k%d: %d\n" % (i, i) for i in range(100_000))
    report = run_all(tmp_path, HEADER + b"runtimes:\n" + many)
    assert_refused(report, "runtimes", seconds=10.0, mib=1200)
