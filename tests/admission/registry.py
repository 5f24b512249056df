"""Every controller module of the admission kit, in one explicit list: importing one registers its checks."""
from __future__ import annotations

import importlib

from . import CHECKS, Case, Check

#: One module per controller (tests/admission/<name>.py), each with its checks and its CASES.
MODULES = (
    "kubernetes",
    "scheduling",
    "kubernetes_pods",
    "karpenter",
    "karpenter_azure",
    "nvidia",
    "argo",
    "kserve",
    "keda",
    "prometheus",
    "kueue",
    "trainer",
)


def load() -> tuple[list[Check], list[Case]]:
    """The registered checks and every module's cases."""
    cases: list[Case] = []
    for name in MODULES:
        module = importlib.import_module(f"tests.admission.{name}")
        cases += list(getattr(module, "CASES", ()))
    return list(CHECKS), cases
