"""Every bad input under tests/bad_inputs/ gives its exit code, its exact file:line:col, a clear
message and never a traceback. Each file states its expectation on its first line:
`# expect: exit=1 [env=prod] [at=LINE:COL] message="fragment"`."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.cli import main

CASES = sorted((Path(__file__).parent / "bad_inputs").glob("*.yaml"))
_EXPECT = re.compile(rb'^# expect: exit=(?P<exit>\d)(?: env=(?P<env>\S+))?(?: at=(?P<at>\d+:\d+))? message="(?P<message>[^"]+)"')


def expectation(path: Path) -> dict:
    match = _EXPECT.match(path.read_bytes().split(b"\n", 1)[0])
    assert match, f"{path.name}: first line must be an `# expect:` header"
    return {k: (v.decode() if v else None) for k, v in match.groupdict().items()}


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_bad_input(path: Path, capsys) -> None:
    expected = expectation(path)
    argv = ["validate", str(path)] + (["--env", expected["env"]] if expected["env"] else [])
    code = main(argv)
    err = capsys.readouterr().err
    assert code == int(expected["exit"]), err
    assert "Traceback" not in err
    assert "{{" not in err, err  # a message template's escaped braces printed as written
    assert expected["message"] in err, err
    if expected["at"]:
        assert f"{path}:{expected['at']}: error: " in err, err


def test_file_over_the_size_bound(tmp_path: Path, capsys) -> None:
    big = tmp_path / "mlops.yaml"
    big.write_text("apiVersion: mlops/v1\n" + "# padding\n" * 1_100_000)
    assert main(["validate", str(big)]) == 1
    err = capsys.readouterr().err
    assert f"{big}:1:1: error: file is" in err and "the limit is" in err


def test_missing_file_is_a_usage_error(tmp_path: Path, capsys) -> None:
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_directory_is_a_usage_error(tmp_path: Path, capsys) -> None:
    assert main(["validate", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_bad_flag_is_a_usage_error(capsys) -> None:
    assert main(["validate", "--no-such-flag"]) == 2


def test_no_traceback_through_the_real_entry_point(tmp_path: Path) -> None:
    """The installed console script, as a user runs it, on a hostile file."""
    path = tmp_path / "mlops.yaml"
    path.write_bytes(b"apiVersion: !!python/object/apply:os.system [echo pwned]\n")
    result = subprocess.run([sys.executable, "-m", "compiler.cli", "validate", str(path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "pwned" not in result.stdout
    assert f"{path}:1:13: error: unknown YAML tag" in result.stderr
