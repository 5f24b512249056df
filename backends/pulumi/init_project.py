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
    files[PRE_COMMIT] = _pre_commit(spec_file)
    return files, skipped


def _stack_file(spec_file: str, env: str) -> str:
    return (f"# Stack {quoted(env)} deploys environments.{env} of {quoted(spec_file)}: the stack name selects it.\n"
            "# The provider uses $KUBECONFIG (or ~/.kube/config) and its current context; to choose others:\n"
            f"#   pulumi config set mlops:kubeconfig PATH --stack {env}\n"
            f"#   pulumi config set mlops:context CONTEXT --stack {env}\n"
            "config: {}\n")


def _pre_commit(spec_file: str) -> str:
    lock = _lock_name(spec_file)
    files = "^(" + "|".join(re.escape(name) for name in (spec_file, lock)) + ")$"
    return ("# Lint the spec before every commit: `pip install pre-commit && pre-commit install`.\n"
            "repos:\n"
            "  - repo: local\n"
            "    hooks:\n"
            "      - id: mlops-lint\n"
            "        name: mlops lint\n"
            "        entry: mlops lint --all-envs\n"
            "        language: system\n"
            f"        files: {quoted(files)}\n"
            "        pass_filenames: false\n"
            f"        args: [{', '.join(quoted(arg) for arg in _lint_args(spec_file))}]\n")


def _lint_args(spec_file: str) -> list[str]:
    """The hook's arguments: the spec, after `--` when its name would read as an option."""
    return ["--", spec_file] if spec_file.startswith("-") else [spec_file]


def _lock_name(spec_file: str) -> str:
    from compiler.lock import lock_path_for

    return lock_path_for(spec_file).name


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
    return result
