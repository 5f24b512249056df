"""`mlops compile` and `mlops init` never write through a committed symlink, and a failed, killed or
concurrent compile leaves the previous build whole (issue 14, items 5 and 6).

Faults are injected at every step of the swap (compiler/build_output.py): the emitters, the copy of
what the build keeps, the exchange, each rename of the fallback and the removal of the old build.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from compiler import build_output
from compiler.cli import main
from tests.compile_support import EXAMPLE

REPO = Path(__file__).resolve().parent.parent


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def specs(tmp_path) -> tuple[Path, Path]:
    """Two specs whose builds differ (the old one and the new one)."""
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(EXAMPLE.read_text())
    text = EXAMPLE.read_text()
    assert "replicas: {min: 2, max: 20}" in text
    new.write_text(text.replace("replicas: {min: 2, max: 20}", "replicas: {min: 4, max: 20}", 1))
    return old, new


def compile_to(spec: Path, out: Path) -> int:
    return main(["compile", str(spec), "--env", "prod", "-o", str(out), "--allow-placeholder-models"])


@pytest.fixture
def builds(specs, tmp_path) -> tuple[dict, dict, Path]:
    """(tree of the old build, tree of the new build, output dir holding the old build)."""
    old, new = specs
    assert compile_to(new, tmp_path / "reference") == 0
    assert compile_to(old, tmp_path / "out") == 0
    (tmp_path / "out" / "prod" / "notes.txt").write_text("kept across compiles\n")  # a file of the user's
    expected_new = {**tree(tmp_path / "reference" / "prod"), "notes.txt": b"kept across compiles\n"}
    return tree(tmp_path / "out" / "prod"), expected_new, tmp_path / "out"


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith(".") and not p.name.endswith(".lock"))


# --- 6. faults at each step ------------------------------------------------------------------------

def failing_at(real, nth: int):
    calls = []

    def wrapper(*args, **kwargs):
        calls.append(args)
        if len(calls) == nth:
            raise OSError(5, "Input/output error (injected)")
        return real(*args, **kwargs)

    return wrapper


@pytest.mark.parametrize("step", ["emitter", "carry-over", "exchange"])
def test_a_fault_before_the_build_is_in_place_keeps_the_previous_one(specs, builds, monkeypatch, capsys, step):
    old_tree, _, out = builds
    from compiler.commands import compile as compile_command

    if step == "emitter":
        def broken(checked, lock, staging, files=None):
            (staging / "manifests").mkdir()
            (staging / "manifests" / "half.yaml").write_text("half\n")
            raise OSError(28, "No space left on device")
        monkeypatch.setitem(compile_command.EMITTERS, "pulumi", broken)
    elif step == "carry-over":
        monkeypatch.setattr(build_output.shutil, "copy2", failing_at(shutil.copy2, 1))
    else:
        monkeypatch.setattr(build_output, "exchange", failing_at(build_output.exchange, 1))
    assert compile_to(specs[1], out) == 2
    assert "Input/output error" in capsys.readouterr().err or step == "emitter"
    assert tree(out / "prod") == old_tree
    assert leftovers(out) == []


@pytest.mark.parametrize("nth", [1, 2], ids=["aside", "into-place"])
def test_without_exchange_a_failed_rename_restores_the_previous_build(specs, builds, monkeypatch, nth):
    old_tree, _, out = builds
    monkeypatch.setattr(build_output, "exchange", lambda first, second: False)  # macOS, older kernels, NFS
    monkeypatch.setattr(build_output.os, "rename", failing_at(os.rename, nth))
    assert compile_to(specs[1], out) == 2
    assert tree(out / "prod") == old_tree
    assert leftovers(out) == []


def test_without_exchange_even_a_failed_restore_loses_nothing(specs, builds, monkeypatch):
    """Renames 2 (into place) and 3 (the restore) fail: the old build waits aside; the next compile puts it back."""
    old_tree, new_tree, out = builds
    monkeypatch.setattr(build_output, "exchange", lambda first, second: False)
    real = os.rename
    calls = []

    def rename(source, target):
        calls.append(target)
        if len(calls) in (2, 3):
            raise OSError(5, "Input/output error (injected)")
        return real(source, target)

    monkeypatch.setattr(build_output.os, "rename", rename)
    assert compile_to(specs[1], out) == 2
    [aside] = [p for p in out.iterdir() if p.name.startswith(".prod.previous-")]
    assert tree(aside) == old_tree and not (out / "prod").exists()
    monkeypatch.setattr(build_output.os, "rename", real)
    build_output.recover(out / "prod")  # what the next compile does first, under the lock
    assert tree(out / "prod") == old_tree and leftovers(out) == []
    assert compile_to(specs[1], out) == 0
    assert tree(out / "prod") == new_tree


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
def test_a_failed_cleanup_after_the_swap_keeps_the_new_build(specs, builds, monkeypatch, capsys, exchange):
    _, new_tree, out = builds
    if not exchange:
        monkeypatch.setattr(build_output, "exchange", lambda first, second: False)
    monkeypatch.setattr(build_output.shutil, "rmtree", failing_at(shutil.rmtree, 1))  # the old build's removal
    assert compile_to(specs[1], out) == 0
    assert "the new build is in place, but the previous one" in capsys.readouterr().err
    assert tree(out / "prod") == new_tree
    monkeypatch.setattr(build_output.shutil, "rmtree", shutil.rmtree)
    assert compile_to(specs[1], out) == 0 and leftovers(out) == []


def test_the_exchange_swaps_two_directories_in_one_step(tmp_path):
    """On Linux the swap is one renameat2(RENAME_EXCHANGE); the tests above also cover the fallback."""
    if sys.platform != "linux":
        pytest.skip("renameat2 is Linux's; elsewhere compile renames twice and restores on failure")
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    (first / "a").write_text("1"), (second / "b").write_text("2")
    assert build_output.exchange(first, second) is True
    assert [p.name for p in first.iterdir()] == ["b"] and [p.name for p in second.iterdir()] == ["a"]


KILLER = textwrap.dedent("""
    import os, signal, sys
    from compiler import build_output
    from compiler.cli import main
    step, when, use_exchange = sys.argv[1], sys.argv[2], sys.argv[3] == "exchange"
    real = {"exchange": build_output.exchange, "rename": os.rename}
    calls = []

    def deadly(name):
        def call(*args, **kwargs):
            calls.append(name)
            if when == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            result = real[name](*args, **kwargs)
            if when == "after":
                os.kill(os.getpid(), signal.SIGKILL)
            return result
        return call

    if use_exchange:
        build_output.exchange = deadly("exchange")
    else:
        build_output.exchange = lambda first, second: False
        count = {"n": 0}
        def rename(source, target):
            count["n"] += 1
            if count["n"] == int(step):
                return deadly("rename")(source, target)
            return real["rename"](source, target)
        build_output.os.rename = rename
    sys.exit(main(["compile", sys.argv[4], "--env", "prod", "-o", sys.argv[5], "--allow-placeholder-models"]))
""")


@pytest.mark.parametrize("mode, step, when, expect", [
    ("exchange", "1", "before", "old"), ("exchange", "1", "after", "new"),
    ("two-renames", "1", "before", "old"), ("two-renames", "1", "after", "old-after-recovery"),
    ("two-renames", "2", "after", "new"),
], ids=["exchange-before", "exchange-after", "aside-before", "aside-after", "into-place-after"])
def test_sigkill_mid_swap(specs, builds, mode, step, when, expect):
    old_tree, new_tree, out = builds
    result = subprocess.run([sys.executable, "-c", KILLER, step, when, mode, str(specs[1]), str(out)],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == -signal.SIGKILL, result.stderr
    if expect == "old":
        assert tree(out / "prod") == old_tree
    elif expect == "new":
        assert tree(out / "prod") == new_tree
    else:  # killed between the two renames: no build in place until the next compile puts the old one back
        assert not (out / "prod").exists()
        build_output.recover(out / "prod")
        assert tree(out / "prod") == old_tree
    assert compile_to(specs[1], out) == 0  # the next compile cleans whatever the kill left
    assert tree(out / "prod") == new_tree and leftovers(out) == []


# --- 6. one compile at a time -----------------------------------------------------------------------

def test_a_second_compile_waits_for_the_lock_then_says_who_holds_it(specs, builds, monkeypatch, capsys):
    old_tree, _, out = builds
    monkeypatch.setattr(build_output, "LOCK_TIMEOUT_SECONDS", 0.5)
    with open(out / ".prod.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert compile_to(specs[1], out) == 2
    err = capsys.readouterr().err
    assert "waiting for another `mlops compile`" in err and "did not finish within 0.5 s" in err
    assert tree(out / "prod") == old_tree


SLOW = textwrap.dedent("""
    import fcntl, os, sys, time
    from compiler import build_output
    from compiler.cli import main
    real = build_output.publish
    def publish(staging, target):
        with open(sys.argv[3], "a") as log:
            log.write(f"start {os.getpid()} {time.monotonic()}\\n")
        time.sleep(0.3)  # a slow disk: the other compile would interleave here without the lock
        result = real(staging, target)
        with open(sys.argv[3], "a") as log:
            log.write(f"end {os.getpid()} {time.monotonic()}\\n")
        return result
    build_output.publish = publish
    sys.exit(main(["compile", sys.argv[1], "--env", "prod", "-o", sys.argv[2], "--allow-placeholder-models"]))
""")


def test_concurrent_compiles_never_interleave(specs, builds, tmp_path):
    old_tree, new_tree, out = builds
    log = tmp_path / "swaps.log"
    for _ in range(3):
        processes = [subprocess.Popen([sys.executable, "-c", SLOW, str(spec), str(out), str(log)], cwd=REPO,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for spec in specs]
        for process in processes:
            assert process.wait(timeout=180) == 0, process.stderr.read()
            process.stderr.close()
        assert tree(out / "prod") in (old_tree, new_tree)
        assert leftovers(out) == []
    events = [line.split() for line in log.read_text().splitlines()]
    assert len(events) == 12
    for first, second in zip(events[::2], events[1::2]):  # every start is followed by its own end
        assert (first[0], second[0], first[1]) == ("start", "end", second[1]), events


# --- 5. symlinks -----------------------------------------------------------------------------------------

def test_a_committed_symlink_at_the_output_path_is_refused(tmp_path, monkeypatch, capsys):
    """Before: `build -> ~/important` made compile replace ~/important/base/manifests."""
    project, elsewhere = tmp_path / "project", tmp_path / "important"
    project.mkdir(), (elsewhere / "base" / "manifests").mkdir(parents=True)
    (elsewhere / "base" / "manifests" / "mine.yaml").write_text("precious\n")
    (project / "build").symlink_to(elsewhere)
    monkeypatch.chdir(project)
    assert main(["compile", str(EXAMPLE), "-o", "build"]) == 2
    assert "build: is a symlink" in capsys.readouterr().err
    assert tree(elsewhere) == {"base/manifests/mine.yaml": b"precious\n"}
    assert main(["compile", str(EXAMPLE), "-o", "build/../build"]) == 2  # however the path is spelt


def test_a_symlink_at_the_environment_directory_is_refused_anywhere(tmp_path, capsys):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir(), elsewhere.mkdir()
    (out / "prod").symlink_to(elsewhere)
    assert compile_to(EXAMPLE, out) == 2
    assert "prod: is a symlink" in capsys.readouterr().err and list(elsewhere.iterdir()) == []


def test_symlinks_above_the_working_directory_are_the_machines_own(tmp_path, monkeypatch):
    """/tmp -> /private/tmp on macOS: a link the project did not commit is followed."""
    real, link, work = tmp_path / "real", tmp_path / "link", tmp_path / "work"
    real.mkdir(), work.mkdir()
    link.symlink_to(real)
    monkeypatch.chdir(work)
    assert main(["compile", str(EXAMPLE), "-o", str(link / "out")]) == 0
    assert (real / "out" / "base" / "manifests" / "namespace.yaml").is_file()


@pytest.mark.parametrize("dangling", [True, False])
def test_init_does_not_write_through_a_symlink_out_of_the_project(tmp_path, capsys, dangling):
    """Before: a dangling `__main__.py -> ../outside/run.py` made init create the file it points to."""
    project, outside = tmp_path / "project", tmp_path / "outside"
    project.mkdir(), outside.mkdir()
    shutil.copy(EXAMPLE, project / "mlops.yaml")
    target = outside / "run.py"
    if not dangling:
        target.write_text("theirs\n")
    (project / "__main__.py").symlink_to(target)
    assert main(["init", str(project / "mlops.yaml"), "--force"]) == 2
    assert "__main__.py: is a symlink" in capsys.readouterr().err
    assert target.exists() == (not dangling) and (dangling or target.read_text() == "theirs\n")


def test_init_writes_through_a_symlink_inside_the_project(tmp_path):
    shutil.copy(EXAMPLE, tmp_path / "mlops.yaml")
    (tmp_path / "deploy").mkdir()
    (tmp_path / "requirements.txt").symlink_to(tmp_path / "deploy" / "requirements.txt")
    assert main(["init", str(tmp_path / "mlops.yaml")]) == 0
    assert not (tmp_path / "deploy" / "requirements.txt").exists()  # kept: an existing (dangling) entry
    assert main(["init", str(tmp_path / "mlops.yaml"), "--force"]) == 0
    assert "mlops" in (tmp_path / "deploy" / "requirements.txt").read_text()
