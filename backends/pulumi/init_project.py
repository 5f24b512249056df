"""`mlops init`: a Pulumi project beside mlops.yaml whose program is `deploy("mlops.yaml")`.

Written next to the spec: Pulumi.yaml (runtime: python), a two-line __main__.py, requirements.txt,
one Pulumi.<env>.yaml per environment (the stack name selects the environment) and a
.pre-commit-config.yaml that runs `mlops lint`. An existing file is kept unless `force` is set.
Every value from the spec is quoted (double-quoted YAML by `compiler.yaml_emitter.quoted`, `repr`
in Python), never pasted, and
the program's first two lines are fixed (emitted.HEADER explains why). requirements.txt names the
distribution `mlops-compiler` exactly, pinned to where this mlops came from when pip recorded a
git or archive URL (compiler/distribution.py).
Nothing here imports pulumi: scaffolding needs only the spec.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from compiler.build_output import refuse_symlink_out_of
from compiler.yaml_emitter import quoted

from .emitted import pulumi_yaml, python_literal

#: The scaffolded program's fixed first two lines (no spec text where Python reads the encoding).
PROGRAM_HEADER = ("# -*- coding: utf-8 -*-\n"
                  "# Scaffolded by `mlops init`: the Pulumi stack name selects the environment of the spec.\n")

#: Pulumi's own rule for stack names, which also keeps `Pulumi.<env>.yaml` inside the project.
STACK_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
PRE_COMMIT = ".pre-commit-config.yaml"


@dataclass
class Scaffold:
    directory: Path
    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)     # existed; not overwritten without force
    merged: list[str] = field(default_factory=list)   # an existing pre-commit config the hook was added to
    skipped: dict[str, str] = field(default_factory=dict)  # environment -> why it has no stack file


def project_files(spec_file: str, system: str, environments: list[str],
                  requirement: str) -> tuple[dict[str, str], dict[str, str]]:
    """({file name: text}, {environment: why no stack file}) for a spec named `spec_file` beside them;
    `requirement` is the requirements.txt line that installs mlops (`distribution.requirement`)."""
    files = {
        "Pulumi.yaml": pulumi_yaml(system, f"{system}: the ML system declared in {spec_file}, deployed by mlops"),
        "__main__.py": f"{PROGRAM_HEADER}from backends.pulumi import deploy\ndeploy({python_literal(spec_file)})\n",
        "requirements.txt": ("# mlops is the distribution mlops-compiler (the index's project named mlops is another one).\n"
                             f"{requirement}\n"),
    }
    skipped: dict[str, str] = {}
    for env in environments:
        if not STACK_NAME.fullmatch(env):
            skipped[env] = "not a valid Pulumi stack name"
            continue
        files[f"Pulumi.{env}.yaml"] = _stack_file(spec_file, env)
    return files, skipped


def _stack_file(spec_file: str, env: str) -> str:
    return (f"# Stack {quoted(env)} deploys environments.{env} of {quoted(spec_file)}: the stack name selects it.\n"
            "# The provider uses $KUBECONFIG (or ~/.kube/config) and its current context; to choose others:\n"
            f"#   pulumi config set mlops:kubeconfig PATH --stack {env}\n"
            f"#   pulumi config set mlops:context CONTEXT --stack {env}\n"
            "config: {}\n")


def _pre_commit(spec_file: str) -> str:
    """The config for a spec at `spec_file`, a path relative to the repository root (where pre-commit runs)."""
    return ("# Lint the spec before every commit: `pip install pre-commit && pre-commit install`.\n"
            "repos:\n" + _pre_commit_repo(spec_file))


def _pre_commit_repo(spec_file: str) -> str:
    lock = _lock_name(spec_file)
    files = "^(" + "|".join(re.escape(name) for name in (spec_file, lock)) + ")$"
    return ("  - repo: local\n"
            "    hooks:\n"
            "      - id: mlops-lint\n"
            "        name: mlops lint\n"
            "        entry: mlops lint --all-envs\n"
            "        language: system\n"
            f"        files: {quoted(files)}\n"
            "        pass_filenames: false\n"
            "        verbose: true   # a passing hook's output is hidden otherwise: warnings would never show\n"
            f"        args: [{', '.join(quoted(arg) for arg in _lint_args(spec_file))}]\n")


def repository_root(directory: Path) -> Path | None:
    """The git work tree `directory` is in (where pre-commit reads its config), or None outside one."""
    directory = directory.resolve()
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _merged_pre_commit(existing: str, spec_file: str) -> str | None:
    """`existing` with the mlops-lint hook added to its `repos:`, or None when it has one or cannot be read."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt", pure=True)
    try:
        config = yaml.load(existing)
    except Exception:  # noqa: BLE001 - any parse error: keep the user's file as it is
        return None
    if config is None:
        return _pre_commit(spec_file)
    repos = config.get("repos") if isinstance(config, dict) else None
    # The hook is appended as text (the user's comments and layout stay as written): only to a block
    # list that ends the file.
    if not isinstance(repos, list) or not repos or repos.fa.flow_style() or list(config)[-1] != "repos":
        return None
    if any(isinstance(repo, dict) and any(isinstance(h, dict) and h.get("id") == "mlops-lint"
                                          for h in repo.get("hooks") or ()) for repo in repos):
        return None
    text = existing if existing.endswith("\n") else existing + "\n"
    indent = _list_indent(text)
    return text + "".join(line[2:].rjust(len(line) - 2 + indent) if line.strip() else line
                          for line in _pre_commit_repo(spec_file).splitlines(keepends=True))


def _list_indent(text: str) -> int:
    """The column the existing `repos:` items start at (pre-commit's own sample uses 0 or 2)."""
    found = re.search(r"^( *)- (repo|\{)", text, re.MULTILINE)
    return len(found.group(1)) if found else 2


def _lint_args(spec_file: str) -> list[str]:
    """The hook's arguments: the spec, after `--` when its name would read as an option."""
    return ["--", spec_file] if spec_file.startswith("-") else [spec_file]


def _lock_name(spec_file: str) -> str:
    from compiler.lock import lock_path_for

    return lock_path_for(spec_file).as_posix()  # beside the spec: infra/mlops.yaml -> infra/mlops.lock


def scaffold(spec_path: str | Path, *, force: bool = False) -> Scaffold:
    """Validate the spec (every environment), then write the project files beside it."""
    from compiler.checked_spec import check_all_environments
    from compiler.distribution import requirement

    checked = check_all_environments(str(spec_path))
    spec_path = Path(spec_path)
    environments = [c.env for c in checked[1:] if c.env is not None]
    files, skipped = project_files(spec_path.name, checked[0].spec.metadata.name, environments,
                                   requirement("pulumi"))
    result = Scaffold(spec_path.parent, skipped=skipped)
    for name, text in files.items():
        target = spec_path.parent / name
        refuse_symlink_out_of(target, spec_path.parent)  # a committed (or dangling) link must not be written through
        if os.path.lexists(target) and not force:
            result.kept.append(name)
            continue
        target.write_text(text, encoding="utf-8")
        result.written.append(name)
    _scaffold_pre_commit(spec_path, result, force)
    return result


def _scaffold_pre_commit(spec_path: Path, result: Scaffold, force: bool) -> None:
    """pre-commit reads `.pre-commit-config.yaml` at the repository root only and runs hooks from there:
    write (or merge into) that file, with the spec's path from the root."""
    root = repository_root(spec_path.parent) or spec_path.parent.resolve()
    spec_file = spec_path.resolve().relative_to(root).as_posix()
    target = root / PRE_COMMIT
    refuse_symlink_out_of(target, root)
    shown = str(target) if root != spec_path.parent.resolve() else PRE_COMMIT
    if os.path.lexists(target) and not force:
        merged = _merged_pre_commit(target.read_text(encoding="utf-8", errors="replace"), spec_file)
        if merged is None:
            result.kept.append(shown)
            return
        target.write_text(merged, encoding="utf-8")
        result.merged.append(shown)
        return
    target.write_text(_pre_commit(spec_file), encoding="utf-8")
    result.written.append(shown)
