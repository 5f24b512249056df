"""`mlops monitor drift|estimate --config FILE`: the reference monitor jobs (the `[monitor]` extra).

Run by the generated monitor CronWorkflow with the config `mlops compile` wrote into the job's
ConfigMap. Pushes to the Pushgateway the config names (or prints the metrics with --no-push).
Exit 0 when every metric was computed and pushed; 1 when the data did not allow it (what could
be measured, e.g. a failed data contract, is still pushed; the last-success time is not); 2 for
a missing extra, an unreadable config or an unreachable Pushgateway.
"""
from __future__ import annotations

import sys
import time

JOBS = ("drift", "estimate")


def register(subparsers) -> None:
    parser = subparsers.add_parser("monitor", help="run a monitor job (drift, performance estimation)",
                                   description="Run one of the reference monitor jobs the generated CronWorkflows "
                                               "run, with the config `mlops compile` generated for it. Needs the "
                                               "monitor extra: pip install 'mlops-compiler[monitor]'.")
    parser.add_argument("job", choices=JOBS, help="drift: data contract, freshness and drift per feature; "
                                                  "estimate: NannyML CBPE/DLE on the current window")
    parser.add_argument("--config", required=True, metavar="FILE", help="the job's generated config.json")
    parser.add_argument("--now", type=float, metavar="UNIX_SECONDS",
                        help="end of the current window (default: now)")
    parser.add_argument("--no-push", action="store_true",
                        help="print the metrics in the Prometheus text format instead of pushing them")
    parser.set_defaults(run=run)


def _load_config(path: str) -> dict:
    import json

    from ..diagnostics import UsageError

    try:
        with open(path, encoding="utf-8") as file:
            config = json.load(file)
    except OSError as error:
        raise UsageError(f"{path}: cannot read the config: {error.strerror or error}") from None
    except ValueError as error:
        raise UsageError(f"{path}: not a JSON config: {error}") from None
    if not isinstance(config, dict) or "metrics" not in config or "push" not in config:
        raise UsageError(f"{path}: not a monitor job config (write it with `mlops compile`)")
    return config


def run(args) -> int:
    from ..diagnostics import UsageError

    config = _load_config(args.config)
    try:
        from ..monitor import jobs, push
    except ImportError as error:
        raise UsageError(f"the monitor jobs need the monitor extra ({error.name} is missing): "
                         "pip install 'mlops-compiler[monitor]'") from None
    now = time.time() if args.now is None else args.now
    outcome = (jobs.run_drift if args.job == "drift" else jobs.run_estimate)(config, now)
    if outcome.failed is None:
        outcome.samples.append(push.Sample(config["metrics"]["last_success"], time.time(), {"mlops_job": args.job},
                                           help="When this monitor job last finished successfully (Unix seconds)."))
    for message in outcome.messages:
        print(message, file=sys.stderr)
    if args.no_push:
        sys.stdout.write(push.exposition(outcome.samples, config["metrics"]["labels"]))
    elif outcome.samples:
        try:
            push.push(outcome.samples, config, complete=outcome.failed is None)
        except OSError as error:
            raise UsageError(f"cannot push to {config['push']['url']}: {error}") from None
    if outcome.failed is not None:
        print(f"mlops monitor {args.job}: {outcome.failed}", file=sys.stderr)
        return 1
    return 0
