"""What each node pool costs per month, as a range from its floor to its ceiling.

monthly = nodes × node-hour price × HOURS_PER_MONTH. The floor is the nodes that never scale away:
`nodes.min`, or more when the endpoints' minimum replicas need more (each replica's GPU request
against what a node advertises: 3 replicas of 4 GPUs on 8-GPU nodes keep 2 nodes up); the ceiling
is `nodes.max`. The plan lists the workloads that drive each.

The node-hour price of a pool, first match wins:
1. `platform.prices[<instance type>]` for the first of the pool's `instance_types` priced there
   (a negotiated per-node rate);
2. GPU pools: `platform.prices[<accelerator>]` × `gpus_per_node` (a negotiated per-GPU rate);
3. GPU pools on azure and gcp: the price of the machine the pool launches (the first of its
   `instance_types` the catalogue sells with that GPU, else the smallest machine with
   `gpus_per_node` GPUs) from the catalogue's per-cloud table (compiler/gpu_catalogue.py
   `offering`, one reference region per cloud, source and date in CLOUD_PRICE_SOURCES);
   GPU pools on aws and generic: the catalogue's `hourly_price_usd` (AWS us-east-1 on-demand, with
   its source and date there) × `gpus_per_node`; `generic` keeps the AWS reference price, as before;
4. CPU pools: CPU_INSTANCE_PRICES[cloud] for the first of the pool's `instance_types` listed there;
5. otherwise the price is unknown and the pool is left out of the totals (and the plan says so).

Spot and spot-or-on-demand pools are priced at the on-demand rate: spot prices move by the hour, so the on-demand figure
is the upper bound a reviewer can rely on; the plan marks spot pools as such. These are estimates
for review, not billing.
"""
from __future__ import annotations

import math
from typing import NamedTuple, TYPE_CHECKING

from .. import gpu_catalogue

if TYPE_CHECKING:
    from ..spec import Spec
    from ..spec.node_pools import NodePool

#: Hours a pipeline step without a `timeout` is assumed to run, for a run's cost estimate.
ASSUMED_STEP_HOURS = 1.0

#: Hours in a month as cloud price calculators count them (AWS and GCP: 730 = 8760 / 12).
HOURS_PER_MONTH = 730

PRICE_DATE = "2026-02-09"
PRICE_SOURCE = gpu_catalogue.CLOUD_PRICE_SOURCES["aws"]
#: The date of each cloud's built-in prices (the source's generation time).
PRICE_DATES = {"aws": PRICE_DATE, "azure": "2026-06-18", "gcp": "2026-08-03", "generic": PRICE_DATE}

#: USD per node-hour for common general-purpose, compute- and memory-optimised EC2 instance types,
#: from PRICE_SOURCE (the same file and commit as the GPU catalogue's prices). Only what CPU pools
#: of ML systems commonly use; any other type can be priced with `platform.prices`.
CPU_INSTANCE_PRICES: dict[str, float] = {
    "m5.large": 0.096, "m5.xlarge": 0.192, "m5.2xlarge": 0.384, "m5.4xlarge": 0.768, "m5.8xlarge": 1.536,
    "m6i.large": 0.096, "m6i.xlarge": 0.192, "m6i.2xlarge": 0.384, "m6i.4xlarge": 0.768, "m6i.8xlarge": 1.536,
    "m7i.large": 0.1008, "m7i.xlarge": 0.2016, "m7i.2xlarge": 0.4032, "m7i.4xlarge": 0.8064,
    "m7i.8xlarge": 1.6128,
    "m6a.large": 0.0864, "m6a.xlarge": 0.1728, "m6a.2xlarge": 0.3456, "m6a.4xlarge": 0.6912,
    "m7g.large": 0.0816, "m7g.xlarge": 0.1632, "m7g.2xlarge": 0.3264, "m7g.4xlarge": 0.6528,
    "c6i.large": 0.085, "c6i.xlarge": 0.17, "c6i.2xlarge": 0.34, "c6i.4xlarge": 0.68, "c6i.8xlarge": 1.36,
    "c7i.large": 0.08925, "c7i.xlarge": 0.1785, "c7i.2xlarge": 0.357, "c7i.4xlarge": 0.714, "c7i.8xlarge": 1.428,
    "r6i.large": 0.126, "r6i.xlarge": 0.252, "r6i.2xlarge": 0.504, "r6i.4xlarge": 1.008, "r6i.8xlarge": 2.016,
    "r7i.large": 0.1323, "r7i.xlarge": 0.2646, "r7i.2xlarge": 0.5292, "r7i.4xlarge": 1.0584,
    "r7i.8xlarge": 2.1168,
    "t3.medium": 0.0416, "t3.large": 0.0832, "t3.xlarge": 0.1664, "t3.2xlarge": 0.3328,
}

#: Azure eastus, from CLOUD_PRICE_SOURCES["azure"] (same file as the catalogue's Azure GPU prices).
AZURE_CPU_INSTANCE_PRICES: dict[str, float] = {
    "Standard_D2s_v5": 0.096, "Standard_D4s_v5": 0.192, "Standard_D8s_v5": 0.384, "Standard_D16s_v5": 0.768,
    "Standard_D32s_v5": 1.536, "Standard_D2as_v5": 0.178, "Standard_D4as_v5": 0.172, "Standard_D8as_v5": 0.344,
    "Standard_D16as_v5": 0.688, "Standard_D32as_v5": 1.376,
    "Standard_E2s_v5": 0.126, "Standard_E4s_v5": 0.252, "Standard_E8s_v5": 0.504, "Standard_E16s_v5": 1.008,
    "Standard_E32s_v5": 2.016,
}

#: GCP us-central1, from CLOUD_PRICE_SOURCES["gcp"] (same file as the catalogue's GCP GPU prices).
GCP_CPU_INSTANCE_PRICES: dict[str, float] = {
    "n2-standard-2": 0.097118, "n2-standard-4": 0.194236, "n2-standard-8": 0.388472, "n2-standard-16": 0.776944,
    "n2-standard-32": 1.553888, "n2d-standard-2": 0.084492, "n2d-standard-4": 0.168984,
    "n2d-standard-8": 0.337968, "n2d-standard-16": 0.675936, "n2d-standard-32": 1.351872,
    "e2-standard-2": 0.06701142, "e2-standard-4": 0.13402284, "e2-standard-8": 0.26804568,
    "e2-standard-16": 0.53609136, "e2-standard-32": 1.07218272,
    "n2-highmem-2": 0.131014, "n2-highmem-4": 0.262028, "n2-highmem-8": 0.524056, "n2-highmem-16": 1.048112,
    "n2-highmem-32": 2.096224, "c3-standard-4": 0.201608, "c3-standard-8": 0.403216,
}

#: The CPU instance prices of each cloud (generic: the AWS table, as before).
CPU_PRICES_BY_CLOUD: dict[str, dict[str, float]] = {
    "aws": CPU_INSTANCE_PRICES, "generic": CPU_INSTANCE_PRICES,
    "azure": AZURE_CPU_INSTANCE_PRICES, "gcp": GCP_CPU_INSTANCE_PRICES,
}


class NodePrice(NamedTuple):
    """The hourly price of one node of a pool and where it came from."""

    per_node_hour: float | None      # None: unknown
    source: str                      # "platform.prices.l4", "catalogue", "instance table", "unknown"
    basis: str                       # human: "8 × a100-80gb at $3.43/GPU-h", "m7i.2xlarge at $0.40/h"


class PoolCost(NamedTuple):
    """One pool on one side of a plan."""

    pool: str
    accelerator: str | None
    gpus_per_node: int               # 0 for CPU pools
    capacity: str
    nodes_min: int
    nodes_max: int
    price: NodePrice
    #: Nodes that are always up: `nodes.min`, or more when the endpoints' minimum replicas need them.
    floor_nodes: int = 0
    #: What sets the floor and the ceiling, in words ("fraud-api: 3 replicas × 1 nvidia.com/gpu").
    drivers: tuple[str, ...] = ()

    @property
    def gpus_min(self) -> int:
        return self.floor_nodes * self.gpus_per_node

    @property
    def gpus_max(self) -> int:
        return self.nodes_max * self.gpus_per_node

    @property
    def monthly_min(self) -> float | None:
        """The monthly floor: the nodes that never scale away (see floor_nodes)."""
        return _monthly(self.price, self.floor_nodes)

    @property
    def monthly_max(self) -> float | None:
        return _monthly(self.price, self.nodes_max)


def _monthly(price: NodePrice, nodes: int) -> float | None:
    if price.per_node_hour is None:
        return None
    return round(nodes * price.per_node_hour * HOURS_PER_MONTH, 2)


def cloud_machine(pool: "NodePool", cloud: str) -> "gpu_catalogue.CloudMachine | None":
    """The machine a GPU pool launches on `cloud`: its first listed instance type with the pool's GPUs, else
    the smallest machine with `gpus_per_node` of them; None when the cloud sells none."""
    offer = gpu_catalogue.offering(pool.accelerator or "", cloud)
    if offer is None:
        return None
    fitting = offer.machines_with(pool.gpus_per_node)
    listed = [machine for name in pool.instance_types for machine in fitting if machine.name == name]
    return (listed or list(fitting) or [None])[0]


def node_price(pool: "NodePool", overrides: dict[str, float], cloud: str = "aws") -> NodePrice:
    """The hourly price of one node of `pool` on `cloud` (see the module docstring for the order)."""
    for instance_type in pool.instance_types:
        if instance_type in overrides:
            price = float(overrides[instance_type])
            return NodePrice(price, f"platform.prices.{instance_type}", f"{instance_type} at {_usd(price, 4)}/node-h")
    if pool.accelerator is not None:
        gpus = pool.gpus_per_node
        if pool.accelerator in overrides:
            per_gpu = float(overrides[pool.accelerator])
            source = f"platform.prices.{pool.accelerator}"
        elif cloud in ("azure", "gcp"):
            machine = cloud_machine(pool, cloud)
            region = gpu_catalogue.PRICE_REGIONS[cloud]
            if machine is None or machine.hourly_price_usd is None:
                what = machine.name if machine else f"{gpus} × {pool.accelerator}"
                return NodePrice(None, "unknown", f"{what}: no {cloud} {region} price in the catalogue; set "
                                                  f"platform.prices.{pool.accelerator}")
            price = machine.hourly_price_usd
            return NodePrice(price, "catalogue", f"{machine.name} ({gpus} × {pool.accelerator}, {cloud} {region}) "
                                                 f"at {_usd(price, 4)}/node-h")
        else:
            accelerator = gpu_catalogue.get(pool.accelerator)
            if accelerator is None:  # validation refuses unknown accelerators; be safe all the same
                return NodePrice(None, "unknown", f"{pool.accelerator}: no price")
            per_gpu = accelerator.hourly_price_usd
            source = "catalogue"
        return NodePrice(per_gpu * gpus, source, f"{gpus} × {pool.accelerator} at {_usd(per_gpu, 4)}/GPU-h")
    table = CPU_PRICES_BY_CLOUD.get(cloud, CPU_INSTANCE_PRICES)
    for instance_type in pool.instance_types:
        if instance_type in table:
            price = table[instance_type]
            return NodePrice(price, "instance table", f"{instance_type} at {_usd(price, 4)}/node-h")
    named = ", ".join(pool.instance_types) or "no instance_types"
    return NodePrice(None, "unknown", f"CPU pool ({named}): no price; set platform.prices")


def pool_costs(spec: "Spec") -> dict[str, PoolCost]:
    """Every pool of `spec` (one environment, overlays applied), by name, with what drives its floor."""
    overrides = {key: float(value) for key, value in spec.platform.prices.items()}
    floors = workload_floors(spec)
    result = {}
    for name, pool in sorted(spec.node_pools.items()):
        needed, drivers = floors.get(name, (0, []))
        floor = min(pool.nodes.max, max(pool.nodes.min, needed))
        why = list(drivers)
        if pool.nodes.min and pool.nodes.min >= needed:
            why.insert(0, f"nodes.min {pool.nodes.min} keeps {pool.nodes.min} node{'s' if pool.nodes.min > 1 else ''} up")
        if needed > pool.nodes.max:
            why.append(f"the minimum replicas need {needed} nodes, more than nodes.max {pool.nodes.max} (SCHED002)")
        why.append(f"ceiling: nodes.max {pool.nodes.max}")
        result[name] = PoolCost(name, pool.accelerator, pool.gpus_per_node if pool.is_gpu else 0, pool.capacity,
                                pool.nodes.min, pool.nodes.max, node_price(pool, overrides, spec.platform.cloud), floor, tuple(why))
    return result


def workload_floors(spec: "Spec") -> dict[str, tuple[int, list[str]]]:
    """Per pool: the nodes the endpoints' minimum replicas keep up, and each endpoint's share in words.

    A GPU pool packs replicas by the GPU resources a node advertises (compiler/capacity.py: whole GPUs,
    time-sliced replicas or MIG slices) against what each replica requests; an endpoint on a CPU pool
    with replicas keeps at least one node up. Linear in the endpoints.
    """
    from ..capacity import advertised_gpus, requested_gpus

    strategy = spec.platform.gpu_operator.mig_strategy
    demand: dict[str, dict[str, int]] = {}
    drivers: dict[str, list[str]] = {}
    for name, endpoint in sorted(spec.serving.items()):
        pool_name = endpoint.resources.pool
        pool = spec.node_pools.get(pool_name or "")
        replicas = endpoint.replicas.min
        if pool is None or replicas <= 0:
            continue
        asks = requested_gpus(endpoint.resources, strategy) if pool.is_gpu else {}
        totals = demand.setdefault(pool_name, {})
        for resource, count in asks.items():
            totals[resource] = totals.get(resource, 0) + count * replicas
        per = ", ".join(f"{count} {resource}" for resource, count in asks.items()) or "CPU only"
        drivers.setdefault(pool_name, []).append(f"{name}: {replicas} replica{'s' if replicas > 1 else ''} × {per}")
    result = {}
    for pool_name, asks in drivers.items():
        pool = spec.node_pools[pool_name]
        offered = advertised_gpus(pool, strategy)
        needed = 1
        for resource, total in demand.get(pool_name, {}).items():
            per_node = offered.get(resource, 0)
            if per_node > 0:
                needed = max(needed, math.ceil(total / per_node))
        result[pool_name] = (needed, asks)
    return result


class CostLine(NamedTuple):
    """One pool before and after; either side None when the pool exists on one side only."""

    pool: str
    before: PoolCost | None
    after: PoolCost | None

    @property
    def changed(self) -> bool:
        """The pool or its floor changed; a reworded driver alone (another endpoint's count under the floor) is not."""
        def shape(cost: PoolCost | None):
            return None if cost is None else cost._replace(drivers=())
        return shape(self.before) != shape(self.after)

    def delta(self) -> tuple[float | None, float | None]:
        """(after - before) at nodes.min and at nodes.max; None when a side's price is unknown."""
        return (_minus(_min(self.after), _min(self.before)), _minus(_max(self.after), _max(self.before)))


def _min(cost: PoolCost | None) -> float | None:
    return 0.0 if cost is None else cost.monthly_min


def _max(cost: PoolCost | None) -> float | None:
    return 0.0 if cost is None else cost.monthly_max


def _minus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(a - b, 2)


def cost_lines(before: "Spec | None", after: "Spec | None") -> list[CostLine]:
    old = pool_costs(before) if before is not None else {}
    new = pool_costs(after) if after is not None else {}
    return [CostLine(name, old.get(name), new.get(name)) for name in sorted(set(old) | set(new))]


def totals(lines: list[CostLine], side: str) -> tuple[float, float, int]:
    """(monthly min, monthly max, pools with an unknown price) over one side ("before" / "after")."""
    low = high = 0.0
    unknown = 0
    for line in lines:
        cost = getattr(line, side)
        if cost is None:
            continue
        if cost.price.per_node_hour is None:
            unknown += 1
            continue
        low += cost.monthly_min or 0.0
        high += cost.monthly_max or 0.0
    return round(low, 2), round(high, 2), unknown


def _usd(amount: float, decimals: int = 0) -> str:
    text = f"{abs(amount):,.{decimals}f}"
    if decimals:
        text = text.rstrip("0").rstrip(".") if "." in text else text
        if "." in text and len(text.split(".")[1]) == 1:
            text += "0"
    return ("-$" if amount < 0 else "$") + text


def usd(amount: float | None) -> str:
    """`$1,234` for a monthly figure; `unknown` for None."""
    return "unknown" if amount is None else _usd(amount)


def signed_usd(amount: float | None) -> str:
    if amount is None:
        return "unknown"
    if amount == 0:
        return "±$0"
    return ("+" if amount > 0 else "") + _usd(amount)


def step_node_prices(spec: "Spec", pipeline_name: str) -> dict[str, float | None]:
    """USD per hour of the whole node Karpenter launches for each step of a pipeline (None: unknown)."""
    overrides = {key: float(value) for key, value in spec.platform.prices.items()}
    prices: dict[str, float | None] = {}
    for step_name, step in spec.pipelines[pipeline_name].steps.items():
        pool = spec.node_pools.get(step.resources.pool or "")
        prices[step_name] = None if pool is None else node_price(pool, overrides, spec.platform.cloud).per_node_hour
    return prices


def run_cost(spec: "Spec", pipeline_name: str, *, with_retries: bool = False) -> float:
    """Estimated USD of one run: per step, its node's hourly price x the step's timeout (1 h without one).

    The whole node, not the step's share of it: Karpenter launches a node for the step and it bills
    until it is consolidated. With `with_retries`, every step also fails and reruns `retries` times.
    """
    pipeline = spec.pipelines[pipeline_name]
    total = 0.0
    for step_name, price in step_node_prices(spec, pipeline_name).items():
        step = pipeline.steps[step_name]
        timeout = step.timeout or pipeline.timeout
        hours = timeout.seconds / 3600 if timeout else ASSUMED_STEP_HOURS
        total += (price or 0.0) * hours * (1 + (step.retries if with_retries else 0))
    return round(total, 2)
