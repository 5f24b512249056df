"""Run an emitted Pulumi program under pulumi.runtime.set_mocks and report what it registered, how fast.

    python bench/pulumi_mocks.py build/prod/pulumi [STACK]

Prints one JSON line: resources registered (Kubernetes objects and the provider), the seconds the
program took under mocks (registration included), and the whole process's seconds so far (Python
start-up and the pulumi / pulumi_kubernetes imports included). Uses the mocks the Pulumi tests use
(tests/pulumi_mocks.py), so the benchmark measures what the tests check.
"""
from __future__ import annotations

import time

STARTED = time.perf_counter()

import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.pulumi_mocks import run_program_file  # noqa: E402


def main() -> int:
    program = Path(sys.argv[1]) / "__main__.py"
    stack = sys.argv[2] if len(sys.argv) > 2 else program.parent.parent.name
    run = run_program_file(program, stack=stack)
    print(json.dumps({"resources": len(run.mocks.registrations),
                      "kubernetes_objects": len(run.mocks.kubernetes_objects),
                      "seconds": run.seconds, "process_seconds": time.perf_counter() - STARTED}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
