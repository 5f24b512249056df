"""The mlops benchmarks (issue #8): one command, a Markdown table.

    .venv/bin/python -m bench.run            # full run, ~10-15 min on a 2-core machine
    .venv/bin/python -m bench.run --quick    # fewer rounds, ~2-3 min
    .venv/bin/python -m bench.run --only precommit,scaling

Writes bench/RESULTS.md (committed: the table, date, machine, versions) and the raw numbers to
bench/results/<timestamp>.json (gitignored). Every number is a whole-process wall time (fork to
reap); commands that are compared run alternately, round-robin, in the same run, and ratios are
the median of per-round ratios, because these machines are shared and noisy.

Sections (each skips with a reason when what it needs is missing):
  precommit  mlops lint / mlops validate vs yamllint and check-jsonschema on mlops.yaml.example,
             each peer from a venv of its own (.cache/peers/<tool>, gitignored), as a pre-commit
             user has it: the development venv's other packages slow their start-up by ~7 %
  checkov    mlops lint on the spec vs `checkov --framework kubernetes` on the compiled manifests
             (checkov is found in $CHECKOV or in its own venv, .cache/checkov-venv/bin/checkov:
             `python3 -m venv .cache/checkov-venv && .cache/checkov-venv/bin/pip install checkov`)
  scaling    validate, lint --all-envs and compile on synthetic specs of N = 50, 500, 5000 endpoints
             whose prod overlay overrides every endpoint (bench/synthetic_spec.py); time(N)/time(N/10)
  pulumi     the emitted Pulumi program: its size and parse cost per object at every N of `scaling`,
             and the program at N = 100 under pulumi.runtime.set_mocks: resources/s
  plan       mlops plan with one change on specs of N = 50, 500, 5000; time(N)/time(N/10)
"""
from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

if __package__ in (None, ""):  # `python bench/run.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.measure import Series, alternate, paired_ratio, run_once
from bench.synthetic_spec import change_one_thing, counts, write_synthetic_spec

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
EXAMPLE = REPO / "mlops.yaml.example"
SCHEMA = REPO / "schemas" / "mlops.schema.json"
SECTIONS = ("precommit", "checkov", "scaling", "pulumi", "plan")
ENV = "prod"
SIZES = (50, 500, 5000)
#: A linear stage takes at most this many times longer on a spec 10x larger (the old compile bar).
LINEAR_BAR = 11


class Skip(Exception):
    """A section that cannot run here; its message says what is missing."""


def tool(name: str) -> str:
    """A console script from this venv (what a pre-commit hook environment runs), else PATH."""
    candidate = BIN / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise Skip(f"`{name}` is not installed")
    return found


def peer(name: str, distribution: str) -> str:
    """A peer tool from a venv of its own (`.cache/peers/<name>`), as pre-commit installs a hook: the
    same version as the development venv's, nothing else installed beside it. Falls back to `tool`."""
    venv = REPO / ".cache" / "peers" / name
    script = venv / "bin" / name
    if not script.exists():
        try:
            version = metadata.version(distribution)
            requirement = f"{distribution}=={version}"
        except metadata.PackageNotFoundError:
            requirement = distribution
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
            subprocess.run([str(venv / "bin" / "pip"), "install", "-q", requirement], check=True,
                           capture_output=True, timeout=900)
        except (subprocess.SubprocessError, OSError) as error:
            print(f"[bench] cannot build {venv} ({error}); timing {name} from the development venv", file=sys.stderr)
            return tool(name)
    return str(script)


def mlops_has(command: str) -> bool:
    """Whether `mlops COMMAND` exists yet (commands land one by one)."""
    return (REPO / "compiler" / "commands" / f"{command}.py").is_file()


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def verdict(ok: bool) -> str:
    return "holds" if ok else "**misses**"


# ---------------------------------------------------------------------------------------------
# 1. Pre-commit latency


def precommit_install() -> Path:
    """A venv like the one pre-commit builds for the hook: a regular (not editable) install of the package
    with its core dependencies only. The development venv is slower to start (the editable install's
    import finder, and entry points of some 200 installed distributions), so it is measured for reference."""
    venv = REPO / ".cache" / "precommit-venv"
    pip = venv / "bin" / "pip"
    try:
        if not pip.exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
            subprocess.run([str(pip), "install", "-q", str(REPO)], check=True, capture_output=True, timeout=900)
        # The current tree, every run (the dependencies stay).
        subprocess.run([str(pip), "install", "-q", "--force-reinstall", "--no-deps", str(REPO)], check=True,
                       capture_output=True, timeout=900)
    except (subprocess.SubprocessError, OSError) as error:
        raise Skip(f"cannot build the pre-commit-like venv {venv}: {error}") from None
    return venv / "bin" / "mlops"


def with_bytecode_cache() -> dict:
    """The environment without PYTHONDONTWRITEBYTECODE, which some machines (this one) set: an editable
    install would otherwise recompile the package's sources on every run (~28 ms of a lint here), which
    no developer machine does. The warm-up round writes the `__pycache__` directories (gitignored);
    installed packages already have theirs, compiled by pip."""
    return {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def bench_precommit(rounds: int) -> dict:
    commands: dict[str, list[str]] = {}
    mlops = tool("mlops")
    lint_missing = None
    try:
        hook = str(precommit_install())
        commands["mlops lint (hook install)"] = [hook, "lint", str(EXAMPLE)]
        # What the `mlops-lint` hook of .pre-commit-hooks.yaml runs: the base and every environment.
        commands["mlops lint --all-envs (hook install)"] = [hook, "lint", "--all-envs", str(EXAMPLE)]
        commands["mlops validate (hook install)"] = [hook, "validate", str(EXAMPLE)]
    except Skip as skip:
        lint_missing = str(skip)
    if mlops_has("lint"):
        commands["mlops lint"] = [mlops, "lint", str(EXAMPLE)]
    else:
        lint_missing = "`mlops lint` has not landed yet; its rows are missing"
    commands["mlops validate"] = [mlops, "validate", str(EXAMPLE)]
    commands["yamllint"] = [peer("yamllint", "yamllint"), str(EXAMPLE)]
    # The example's name does not end in .yaml, so check-jsonschema must be told it is YAML.
    commands["check-jsonschema"] = [peer("check-jsonschema", "check-jsonschema"), "--default-filetype", "yaml",
                                    "--schemafile", str(SCHEMA), str(EXAMPLE)]
    series = alternate(commands, rounds, cwd=str(REPO), env=with_bytecode_cache())
    result = {"rounds": rounds, "series": _series_json(series), "ratios": {}, "bars": [], "note": lint_missing}
    # What a pre-commit user waits for is the hook's own install; without it, the development venv.
    binding = "mlops lint (hook install)" if "mlops lint (hook install)" in series else "mlops lint"
    for ours in ("mlops lint (hook install)", "mlops lint --all-envs (hook install)",
                 "mlops validate (hook install)", "mlops lint", "mlops validate"):
        if ours not in series:
            continue
        for theirs, bar in (("yamllint", 1.5), ("check-jsonschema", 1.0)):
            ratio = paired_ratio(series[ours], series[theirs])
            result["ratios"][f"{ours} / {theirs}"] = ratio
            result["bars"].append({"what": f"{ours} ≤ {bar}× {theirs}", "ratio": ratio, "bar": bar,
                                   "holds": ratio <= bar, "binding": ours == binding})
    return result


def _series_json(series: dict[str, Series]) -> dict:
    return {name: {"argv": s.argv, "times": s.times, "median": s.median, "iqr": s.spread,
                   "peak_rss_mib": s.peak_rss_mib, "exit_codes": sorted(s.exit_codes)}
            for name, s in series.items()}


# ---------------------------------------------------------------------------------------------
# Compiling (shared by checkov, scaling, pulumi)


def compile_spec(spec: Path, out: Path, env: str = ENV, extra: tuple[str, ...] = ()) -> Path:
    if not mlops_has("compile"):
        raise Skip("`mlops compile` has not landed yet")
    argv = [tool("mlops"), "compile", str(spec), "--env", env, "-o", str(out), *extra]
    result = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, timeout=900)
    if result.returncode != 0:
        raise Skip(f"`{' '.join(argv[1:])}` exited {result.returncode}: {result.stderr.strip()[:400]}")
    return out / env


def count_objects(manifests: Path) -> int:
    """Kubernetes objects in a manifests tree (kustomization.yaml is not one)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    total = 0
    for path in sorted(manifests.rglob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        with path.open(encoding="utf-8") as file:
            total += sum(1 for doc in yaml.load_all(file, Loader=loader) if isinstance(doc, dict) and "kind" in doc)
    return total


# ---------------------------------------------------------------------------------------------
# 2. Versus a manifest scanner


def checkov_path() -> str:
    # Its own venv first: checkov on PATH may be the development venv's.
    for candidate in (os.environ.get("CHECKOV"), str(REPO / ".cache" / "checkov-venv" / "bin" / "checkov"),
                      shutil.which("checkov")):
        if candidate and Path(candidate).exists():
            return candidate
    raise Skip("checkov is not installed (python3 -m venv .cache/checkov-venv && "
               ".cache/checkov-venv/bin/pip install checkov), or set CHECKOV=/path/to/checkov")


def bench_checkov(rounds: int, work: Path) -> dict:
    checkov = checkov_path()
    if not mlops_has("lint"):
        raise Skip("`mlops lint` has not landed yet")
    spec, note = EXAMPLE, "the example spec"
    try:
        built = compile_spec(EXAMPLE, work / "checkov-example")
    except Skip as why:  # e.g. the example's aliases need mlops.lock: use a pinned synthetic spec
        spec = write_synthetic_spec(work / "checkov-synthetic.yaml", 10)
        built = compile_spec(spec, work / "checkov-synthetic")
        note = f"a synthetic spec of 10 endpoints (the example did not compile here: {why})"
    manifests = built / "manifests"
    commands = {
        "mlops lint": [tool("mlops"), "lint", str(spec)],
        "checkov": [checkov, "--framework", "kubernetes", "-d", str(manifests), "--quiet", "--compact",
                    "--skip-download", "--output", "cli"],
    }
    env = dict(with_bytecode_cache(), BC_SKIP_MAPPING="TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false")
    series = alternate(commands, rounds, cwd=str(REPO), env=env)
    return {"rounds": rounds, "spec": note, "objects": count_objects(manifests), "series": _series_json(series),
            "ratio": paired_ratio(series["mlops lint"], series["checkov"]),
            "checkov_version": _version_of([checkov, "--version"])}


# ---------------------------------------------------------------------------------------------
# 3. Compile scaling


def per_round_ratio(large: Series, small: Series) -> float:
    return statistics.median(a / b for a, b in zip(large.times, small.times))


def growth_bars(what: str, series: dict[str, Series], sizes: list[int]) -> list[dict]:
    """time(N)/time(N/10) for every pair of sizes a factor 10 apart, each a linearity bar."""
    bars = []
    for small, large in zip(sizes, sizes[1:]):
        if large != 10 * small:
            continue
        ratio = per_round_ratio(series[f"{what} N={large}"], series[f"{what} N={small}"])
        bars.append({"what": f"{what}: time({large}) / time({small}) ≤ {LINEAR_BAR}", "command": what,
                     "small": small, "large": large, "ratio": ratio, "bar": LINEAR_BAR, "holds": ratio <= LINEAR_BAR,
                     "exponent": math.log(ratio) / math.log(10)})
    return bars


def bench_scaling(sizes: list[int], rounds: int, work: Path) -> dict:
    if not mlops_has("compile"):
        raise Skip("`mlops compile` has not landed yet")
    specs = {n: write_synthetic_spec(work / f"synthetic-{n}.yaml", n, overridden=True) for n in sizes}
    for n, spec in specs.items():  # fail early (and say why) if the backend cannot compile one
        compile_spec(spec, work / f"check-{n}", extra=("--backend", "all"))
    objects = {n: count_objects(work / f"check-{n}" / ENV / "manifests") for n in sizes}
    commands: dict[str, list[str]] = {}
    for n, spec in specs.items():
        commands[f"validate N={n}"] = [tool("mlops"), "validate", str(spec), "--env", ENV]
        commands[f"lint --all-envs N={n}"] = [tool("mlops"), "lint", "--all-envs", str(spec)]
        commands[f"compile N={n}"] = [tool("mlops"), "compile", str(spec), "--env", ENV, "-o", str(work / f"out-{n}"),
                                      "--backend", "all"]
    series = alternate(commands, rounds, warmup=0, cwd=str(REPO), env=with_bytecode_cache())
    rows = []
    for n in sizes:
        s = series[f"compile N={n}"]
        rows.append({"n": n, **counts(n), "bytes": specs[n].stat().st_size, "objects": objects[n],
                     "median": s.median, "iqr": s.spread, "objects_per_s": objects[n] / s.median,
                     "peak_rss_mib": s.peak_rss_mib, "validate_median": series[f"validate N={n}"].median,
                     "lint_median": series[f"lint --all-envs N={n}"].median,
                     "lint_peak_rss_mib": series[f"lint --all-envs N={n}"].peak_rss_mib,
                     "exit_codes": sorted(s.exit_codes)})
    bars = [bar for what in ("validate", "lint --all-envs", "compile") for bar in growth_bars(what, series, sizes)]
    return {"rounds": rounds, "rows": rows, "series": _series_json(series), "bars": bars,
            "programs": [program_cost(n, work / f"check-{n}" / ENV / "pulumi", objects[n]) for n in sizes]}


def program_cost(n: int, folder: Path, objects: int) -> dict:
    """What `pulumi preview`/`up` pays before registering anything: parsing the program and its data."""
    import time

    main, data = folder / "__main__.py", folder / "resources.json"
    sizes = {"main_bytes": main.stat().st_size,
             "data_bytes": data.stat().st_size if data.is_file() else 0}
    import gc

    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        compile(main.read_bytes(), str(main), "exec")
        if data.is_file():
            gc.disable()  # as the program reads it
            try:
                json.loads(data.read_bytes())
            finally:
                gc.enable()
        best = min(best, time.perf_counter() - start)
    total = sizes["main_bytes"] + sizes["data_bytes"]
    return {"n": n, "objects": objects, **sizes, "bytes_per_object": total / objects, "parse_seconds": best,
            "parse_us_per_object": best / objects * 1e6}


# ---------------------------------------------------------------------------------------------
# 4. Pulumi under mocks

PULUMI_HARNESS = REPO / "bench" / "pulumi_mocks.py"


def bench_pulumi(n: int, rounds: int, work: Path) -> dict:
    try:
        import pulumi  # noqa: F401  (only to know it is there; the harness runs in a subprocess)
    except ImportError:
        raise Skip("pulumi is not installed (pip install -e '.[pulumi]')") from None
    spec = write_synthetic_spec(work / f"pulumi-{n}.yaml", n)
    built = compile_spec(spec, work / "pulumi-out", extra=("--backend", "all"))
    program = built / "pulumi" / "__main__.py"
    if not program.is_file():
        raise Skip(f"`mlops compile` wrote no Pulumi program ({program.relative_to(work)} is missing)")
    results = []
    for _ in range(rounds):
        out = subprocess.run([sys.executable, str(PULUMI_HARNESS), str(program.parent)], capture_output=True,
                             text=True, cwd=REPO, timeout=900)
        if out.returncode != 0:
            raise Skip(f"the emitted program failed under mocks: {out.stderr.strip()[-600:]}")
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    seconds = statistics.median(r["seconds"] for r in results)
    resources = results[0]["resources"]
    process = statistics.median(r["process_seconds"] for r in results)
    return {"n": n, "rounds": rounds, "resources": resources, "objects": count_objects(built / "manifests"),
            "program_seconds": seconds, "process_seconds": process, "resources_per_s": resources / seconds,
            "runs": results}


# ---------------------------------------------------------------------------------------------
# 5. Plan


def bench_plan(sizes: list[int], rounds: int, work: Path) -> dict:
    if not mlops_has("plan"):
        raise Skip("`mlops plan` has not landed yet")
    commands, probes = {}, {}
    for n in sizes:
        repo = work / f"plan-repo-{n}"
        repo.mkdir()
        spec = write_synthetic_spec(repo / "mlops.yaml", n)
        git = ["git", "-C", str(repo), "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
        subprocess.run(git + ["init", "-q"], check=True)
        subprocess.run(git + ["add", "mlops.yaml"], check=True)
        subprocess.run(git + ["commit", "-q", "-m", "base"], check=True)
        spec.write_text(change_one_thing(spec.read_text(encoding="utf-8")), encoding="utf-8")
        # `-C repo`-like: plan finds the repository from the spec's directory, so the cwd can stay REPO.
        argv = [tool("mlops"), "plan", str(spec), "--base", "HEAD", "--env", ENV]
        probe = subprocess.run(argv, capture_output=True, text=True, cwd=repo, timeout=900)
        if probe.returncode not in (0, 1):
            raise Skip(f"`mlops plan` exited {probe.returncode}: {probe.stderr.strip()[:400]}")
        probes[n] = probe.stdout
        commands[f"plan N={n}"] = argv
    series: dict[str, Series] = {name: Series(name, argv) for name, argv in commands.items()}
    for index in range(rounds):  # alternating, each from its own repository
        names = list(commands)
        for name in names[index % len(names):] + names[:index % len(names)]:
            n = int(name.split("=")[1])
            series[name].runs.append(run_once(commands[name], cwd=str(work / f"plan-repo-{n}")))
    rows = [{"n": n, "median": series[f"plan N={n}"].median, "peak_rss_mib": series[f"plan N={n}"].peak_rss_mib,
             "exit_codes": sorted(series[f"plan N={n}"].exit_codes)} for n in sizes]
    return {"rounds": rounds, "rows": rows, "series": _series_json(series), "bars": growth_bars("plan", series, sizes),
            "output_head": probes[sizes[-1]][:1500]}


# ---------------------------------------------------------------------------------------------
# Report


def _version_of(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        return (out.stdout or out.stderr).strip().splitlines()[-1]
    except Exception:
        return "?"


def machine() -> dict:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "?"
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    versions = {"python": platform.python_version()}
    for dist in ("mlops-compiler", "pydantic", "pydantic-core", "ruamel.yaml", "PyYAML", "jinja2", "yamllint",
                 "check-jsonschema", "pulumi", "pulumi-kubernetes"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "?"
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": memory, "kernel": platform.release(),
            "load_before": os.getloadavg(), "commit": commit + ("+dirty" if dirty else ""), "versions": versions}


def render(results: dict) -> str:
    m = results["machine"]
    lines = [
        "# mlops benchmark results",
        "",
        f"Measured {results['date']} with `{results['command']}` at commit `{m['commit']}`.",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}, Linux {m['kernel']}; "
        f"load average before the run {m['load_before'][0]:.2f}. Shared and noisy: read the ratios, "
        "which come from alternating runs in the same session, before the absolute times.",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()) + ".",
        "",
    ]
    bars: list[tuple[str, str, str, bool]] = []

    def skipped(section: str) -> bool:
        if section in results["skipped"]:
            lines.extend([f"Skipped: {results['skipped'][section]}.", ""])
            return True
        return section not in results

    lines.extend(["## 1. Pre-commit latency on mlops.yaml.example", ""])
    if not skipped("precommit"):
        pre = results["precommit"]
        lines.extend([f"{pre['rounds']} alternating rounds after one warm-up round; wall time of the whole "
                      "process, median and interquartile range; peak RSS of the largest run. \"Hook install\" "
                      "is a regular install of the package with its core dependencies only, in its own venv "
                      "(`.cache/precommit-venv`), as pre-commit builds it; the other mlops rows run from the "
                      "development venv (editable install, every extra), for reference. Bytecode caches are on for "
                      "every row (`PYTHONDONTWRITEBYTECODE` is unset for the runs), as on a developer machine.", "",
                      "| command | median | IQR | peak RSS | exit |", "|---|---:|---:|---:|---:|"])
        for name, s in pre["series"].items():
            where = " (hook install)" if name.endswith("(hook install)") else ""
            lines.append(f"| `{_short(s['argv'])}`{where} | {fmt_s(s['median'])} | {fmt_s(s['iqr'][0])}–"
                         f"{fmt_s(s['iqr'][1])} | {s['peak_rss_mib']:.0f} MiB | "
                         f"{'/'.join(map(str, s['exit_codes']))} |")
        lines.extend(["", "| ratio (median of per-round ratios) | measured | bar | |", "|---|---:|---:|---|"])
        for bar in pre["bars"]:
            label = bar["what"] + ("" if bar["binding"] else " (for reference)")
            lines.append(f"| {label} | {bar['ratio']:.2f}× | {bar['bar']}× | {verdict(bar['holds'])} |")
            if bar["binding"]:
                bars.append((bar["what"], f"{bar['ratio']:.2f}×", f"≤ {bar['bar']}×", bar["holds"]))
        if pre.get("note"):
            lines.extend(["", f"Note: {pre['note']}."])
        lines.append("")

    lines.extend(["## 2. Versus a manifest scanner", ""])
    if not skipped("checkov"):
        ck = results["checkov"]
        lines.extend([f"`mlops lint` on {ck['spec']} against `checkov --framework kubernetes` on the "
                      f"{ck['objects']} objects it compiles to ({ck['checkov_version']}); {ck['rounds']} "
                      "alternating rounds.", "",
                      "| command | median | peak RSS |", "|---|---:|---:|"])
        for name, s in ck["series"].items():
            lines.append(f"| {name} | {fmt_s(s['median'])} | {s['peak_rss_mib']:.0f} MiB |")
        lines.extend(["", f"mlops lint takes **{ck['ratio']:.3f}×** checkov's time "
                          f"({1 / ck['ratio']:.0f}× faster).", ""])

    lines.extend(["## 3. Scaling: validate, lint, compile (synthetic specs, every endpoint overridden in prod)", ""])
    if not skipped("scaling"):
        sc = results["scaling"]
        lines.extend([f"N endpoints (each monitored, half on GPU pools) and N/4 pipelines of 6 steps, with a prod overlay "
                      f"that overrides every endpoint's replicas (`bench/synthetic_spec.py`, `overridden=True`); "
                      f"`mlops validate --env prod`, `mlops lint --all-envs` (the base and both environments) and "
                      f"`mlops compile --env prod --backend all` (manifests, rollback manifests and the Pulumi program); "
                      f"{sc['rounds']} alternating rounds of every command and size.", "",
                      "| N | spec size | objects | validate | lint --all-envs | compile | objects/s | compile peak RSS |",
                      "|---:|---:|---:|---:|---:|---:|---:|---:|"])
        for r in sc["rows"]:
            lines.append(f"| {r['n']} | {r['bytes'] / 1024:.0f} KiB | {r['objects']} | {fmt_s(r['validate_median'])} | "
                         f"{fmt_s(r['lint_median'])} | {fmt_s(r['median'])} | {r['objects_per_s']:.0f} | "
                         f"{r['peak_rss_mib']:.0f} MiB |")
        lines.extend(["", "| growth (median of per-round ratios) | ratio | exponent (1 = linear) | |",
                      "|---|---:|---:|---|"])
        for bar in sc["bars"]:
            lines.append(f"| {bar['what']} | {bar['ratio']:.2f} | {bar['exponent']:.2f} | {verdict(bar['holds'])} |")
            bars.append((bar["what"], f"{bar['ratio']:.2f}", f"≤ {bar['bar']}", bar["holds"]))
        lines.append("")

    lines.extend(["## 4. Pulumi program", ""])
    if "scaling" in results and results["scaling"].get("programs"):
        lines.extend(["What `mlops compile` writes to `pulumi/` at every N of section 3: the short `__main__.py` and "
                      "the objects as data in `resources.json`; \"parse\" is what `pulumi preview`/`up` pays before "
                      "registering anything (compiling `__main__.py` and `json.loads` of the data, best of 3, in-process).",
                      "", "| N | objects | `__main__.py` | `resources.json` | bytes/object | parse | parse/object |",
                      "|---:|---:|---:|---:|---:|---:|---:|"])
        for pr in results["scaling"]["programs"]:
            lines.append(f"| {pr['n']} | {pr['objects']} | {pr['main_bytes'] / 1024:.1f} KiB | "
                         f"{pr['data_bytes'] / 2**20:.2f} MiB | {pr['bytes_per_object']:.0f} | "
                         f"{fmt_s(pr['parse_seconds'])} | {pr['parse_us_per_object']:.0f} µs |")
        lines.append("")
    if not skipped("pulumi"):
        pu = results["pulumi"]
        lines.extend([f"The program `mlops compile` emits for N = {pu['n']}, run under "
                      f"`pulumi.runtime.set_mocks` (`bench/pulumi_mocks.py`), median of {pu['rounds']} runs.", "",
                      "| N | resources registered | manifest objects | program time | whole process | resources/s |",
                      "|---:|---:|---:|---:|---:|---:|",
                      f"| {pu['n']} | {pu['resources']} | {pu['objects']} | {fmt_s(pu['program_seconds'])} | "
                      f"{fmt_s(pu['process_seconds'])} | {pu['resources_per_s']:.0f} |", ""])

    lines.extend(["## 5. Plan", ""])
    if not skipped("plan"):
        pl = results["plan"]
        lines.extend([f"`mlops plan --base HEAD --env prod` on synthetic specs with one change (ep-0 replicas.max "
                      f"10 → 12), {pl['rounds']} alternating rounds.", "",
                      "| N | plan (median) | peak RSS | exit |", "|---:|---:|---:|---:|"])
        for r in pl["rows"]:
            lines.append(f"| {r['n']} | {fmt_s(r['median'])} | {r['peak_rss_mib']:.0f} MiB | "
                         f"{'/'.join(map(str, r['exit_codes']))} |")
        lines.extend(["", "| growth (median of per-round ratios) | ratio | exponent (1 = linear) | |",
                      "|---|---:|---:|---|"])
        for bar in pl["bars"]:
            lines.append(f"| {bar['what']} | {bar['ratio']:.2f} | {bar['exponent']:.2f} | {verdict(bar['holds'])} |")
            bars.append((bar["what"], f"{bar['ratio']:.2f}", f"≤ {bar['bar']}", bar["holds"]))
        lines.append("")

    lines.extend(["## Bars", "", "| bar | measured | target | |", "|---|---:|---:|---|"])
    for what, measured, target, ok in bars:
        lines.append(f"| {what} | {measured} | {target} | {verdict(ok)} |")
    if not bars:
        lines.append("| (no bar could be measured in this run) | | | |")
    lines.append("")
    if results.get("notes"):
        lines.extend(["## Notes", "", results["notes"].strip(), ""])
    return "\n".join(lines)


def _short(argv: list[str]) -> str:
    parts = [Path(argv[0]).name] + [a.replace(str(REPO) + "/", "") for a in argv[1:]]
    return " ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run, ~2-3 min)")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections: {', '.join(SECTIONS)}")
    parser.add_argument("--rounds", type=int, help="rounds for the pre-commit comparison (default 40, quick 10)")
    parser.add_argument("--output", default=str(REPO / "bench" / "RESULTS.md"), help="Markdown file to write")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="endpoint counts for scaling and plan, each 10x the previous for the ratios (default %(default)s)")
    parser.add_argument("--reuse", help="a bench/results/*.json whose sections this run does not measure are "
                                            "reported from it (say so in --notes)")
    parser.add_argument("--notes", help="a file whose Markdown is appended under 'Notes' (analysis, profiles)")
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    sizes = [int(n) for n in args.sizes.split(",")]
    pre_rounds = args.rounds or (10 if args.quick else 40)
    heavy_rounds = 1 if args.quick else 3
    results: dict = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                     "command": "python -m bench.run" + (" --quick" if args.quick else "")
                                + (f" --only {args.only}" if args.only != ",".join(SECTIONS) else ""),
                     "machine": machine(), "skipped": {}}
    if args.notes:
        results["notes"] = Path(args.notes).read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="mlops-bench-") as tmp:
        work = Path(tmp)
        jobs = {
            "precommit": lambda: bench_precommit(pre_rounds),
            "checkov": lambda: bench_checkov(5 if args.quick else 15, work),
            "scaling": lambda: bench_scaling(sizes, heavy_rounds, work),
            "pulumi": lambda: bench_pulumi(100, heavy_rounds, work),
            "plan": lambda: bench_plan(sizes, heavy_rounds, work),
        }
        for section in sections:
            print(f"[bench] {section} ...", file=sys.stderr, flush=True)
            try:
                results[section] = jobs[section]()
            except Skip as why:
                results["skipped"][section] = str(why)
                print(f"[bench] {section} skipped: {why}", file=sys.stderr, flush=True)
    reused = json.loads(Path(args.reuse).read_text(encoding="utf-8")) if args.reuse else {}
    for section in SECTIONS:
        if section not in sections:
            if section in reused:
                results[section] = reused[section]
                results["command"] += f" (section {section} from {Path(args.reuse).name}, {reused['date']})"
            else:
                results["skipped"][section] = f"not run (`--only {args.only}`)"
    raw = REPO / "bench" / "results"
    raw.mkdir(exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    (raw / f"{stamp}.json").write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    text = render(results)
    Path(args.output).write_text(text, encoding="utf-8")
    print(text)
    print(f"[bench] wrote {args.output} and {raw / (stamp + '.json')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
