"""Alerts on the pods a GPU workload runs (an endpoint's predictors, a pipeline's GPU steps), generic to every server.

The trap (docs/traps.md, "GPU OOM"): a GPU job is killed and nobody sees why. What the generated
rules watch, by the pod names of the workload in the system's namespace:

- the kubelet killing a container for memory (kube-state-metrics' termination reason `OOMKilled`:
  `last_terminated_reason` for a serving container the kubelet restarts, `terminated_reason` for a
  step's container, which Argo never restarts), and a serving container that keeps restarting
  (`kube_pod_container_status_restarts_total`): a CUDA out-of-memory error is an exception in the
  process, which exits and restarts rather than being OOM-killed;
- GPU memory near its limit, on the maximum over the window (`max_over_time`), not the last value or
  an average: an allocation spike that OOMs lasts seconds;
- new XID errors, in three alerts told apart by the `xid_class` label and the summary: faults of the
  program (restart or fix the application), faults of the hardware (drain the node), and the rest.

Names as kube-state-metrics and DCGM exporter export them (compiler/metric_contract.py).
"""
from __future__ import annotations

from typing import Callable

from . import metrics as m
from .units import number

GPU_MEMORY_FULL = 0.9
#: The window the GPU memory maximum and the OOM/restart increases are taken over.
WINDOW = "10m"
XID_WINDOW = "10m"
RESTARTS_IN_WINDOW = 2
#: NVIDIA's Xid catalogue (https://docs.nvidia.com/deploy/xid-errors/analyzing-xid-catalog.html, table 1
#: "Xids", column "Resolution Bucket (Immediate Action)"): RESTART_APP with an investigatory CHECK_APP.
#: 13 Graphics Engine Exception, 31 GPU memory page fault (illegal address), 43 GPU stopped processing
#: (the application hit a software-induced fault).
PROGRAM_XIDS = (13, 31, 43)
#: The same catalogue's hardware events (RESET_GPU / RESTART_BM / CONTACT_SUPPORT, or ECC handling):
#: 48 double-bit ECC error, 63 and 64 row remapping (pending / failed), 74 NVLink error, 79 GPU has
#: fallen off the bus, 92 high single-bit ECC rate, 94 contained and 95 uncontained ECC error.
HARDWARE_XIDS = (48, 63, 64, 74, 79, 92, 94, 95)

#: Builds one alerting rule: (alert, expr, summary, severity, duration, extra labels) -> rule.
RuleFactory = Callable[..., dict]


class Workload:
    """The pods of one GPU workload, as alerts select them."""

    def __init__(self, namespace: str, pods: str, container: str, what: str, restarts: bool):
        self.namespace = namespace
        self.pods = pods              # a regular expression for their pod names
        self.container = container    # the container that runs the program
        self.what = what              # how summaries name it ("fraud-api", "train-fraud step train")
        self.restarts = restarts      # the kubelet restarts it (serving) or nothing does (a workflow step)

    def series(self, metric: str, wrap: str = "{}", extra: str = "", container: bool = True) -> str:
        return m.pod_series(metric, self.namespace, self.pods, wrap, self.container if container else None, extra)


def _codes(gauge: str, codes: tuple[int, ...]) -> str:
    return "(" + " or ".join(f"{gauge} == {code}" for code in codes) + ")"


def container_rules(rule: RuleFactory, workload: Workload) -> list[dict]:
    """OOM kills of the workload's container, and (for a restarted container) its restarts."""
    oom = 'reason="OOMKilled"'
    if workload.restarts:
        restarts = f"max by (pod) ({workload.series(m.KSM_RESTARTS, f'increase({{}}[{WINDOW}])')})"
        reason = f"max by (pod) ({workload.series(m.KSM_LAST_TERMINATED_REASON, extra=oom)})"
        return [
            rule("ContainerOOMKilled", f"{restarts} > 0 and on(pod) {reason} == 1",
                 f"{workload.what}: a container was OOM-killed and restarted in the last {WINDOW} "
                 "(its last log lines are its termination message: kubectl describe pod)", "critical", None),
            rule("ContainerRestarting", f"{restarts} >= {RESTARTS_IN_WINDOW}",
                 f"{workload.what}: a container restarted {RESTARTS_IN_WINDOW} times or more in the last {WINDOW} "
                 "(a CUDA out-of-memory error exits the process; see its termination message)", "warning", None),
        ]
    now = f"max by (pod) ({workload.series(m.KSM_TERMINATED_REASON, extra=oom)})"
    before = f"max by (pod) ({workload.series(m.KSM_TERMINATED_REASON, f'{{}} offset {WINDOW}', extra=oom)})"
    return [rule("ContainerOOMKilled", f"{now} == 1 unless on(pod) {before} == 1",
                 f"{workload.what}: the step's container was OOM-killed "
                 "(its last log lines are its termination message: kubectl describe pod)", "critical", None)]


def gpu_rules(rule: RuleFactory, workload: Workload) -> list[dict]:
    """GPU memory near its limit (the window's maximum) and new XID errors, by class."""
    def dcgm(metric: str, wrap: str = "{}") -> str:
        # DCGM's `container` label names the container holding the GPU; the pod pattern is enough here.
        return workload.series(metric, wrap, container=False)

    peak = dcgm(m.DCGM_FB_USED, f"max_over_time({{}}[{WINDOW}])")
    used, free = dcgm(m.DCGM_FB_USED), dcgm(m.DCGM_FB_FREE)
    last = f"max by (pod) ({dcgm(m.DCGM_XID)})"
    new = f"max by (pod) ({dcgm(m.DCGM_XID, f'changes({{}}[{XID_WINDOW}])')}) > 0"
    program, hardware = _codes(last, PROGRAM_XIDS), _codes(last, HARDWARE_XIDS)
    listed = lambda codes: ", ".join(str(c) for c in codes)  # noqa: E731
    return [
        rule("GpuMemoryNearFull", f"max by (pod) ({peak} / ({used} + {free})) > {number(GPU_MEMORY_FULL)}",
             f"{workload.what}: GPU memory peaked above {round(GPU_MEMORY_FULL * 100)}% in the last {WINDOW} "
             "(the next allocation may fail with CUDA out of memory)", "warning", None),
        rule("GpuXidProgramError", f"{program} and on(pod) {new}",
             f"{workload.what}: a GPU reported an XID that the application caused (one of {listed(PROGRAM_XIDS)}): "
             "restart it and check the program (NVIDIA Xid catalogue: RESTART_APP)", "warning", None,
             {"xid_class": "program"}),
        rule("GpuXidHardwareError", f"{hardware} and on(pod) {new}",
             f"{workload.what}: a GPU reported a hardware XID (one of {listed(HARDWARE_XIDS)}): drain the node "
             "and reset or replace the GPU (NVIDIA Xid catalogue)", "critical", None, {"xid_class": "hardware"}),
        rule("GpuXidErrors", f"({last} > 0 unless on(pod) ({program} or {hardware})) and on(pod) {new}",
             f"{workload.what}: a GPU reported a new XID error in the last {XID_WINDOW} (neither a known program "
             "nor a known hardware fault: look it up in NVIDIA's Xid catalogue)", "critical", None,
             {"xid_class": "other"}),
    ]
