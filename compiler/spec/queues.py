"""`platform.queues`: GPU queues (Kueue) that share node-pool quotas between teams."""

from pydantic import Field, model_validator

from .base import Name, SpecModel
from .units import Quantity


class PoolQuota(SpecModel):
    """What a queue may use of one GPU pool at once (Kueue: a flavor's nominal quota and borrowing limit)."""

    gpus: int = Field(ge=0, le=100_000, description="GPUs the queue's workloads may hold at once (nominal quota).")
    cpu: Quantity | None = Field(None, description="CPU quota beside the GPUs (default: the GPUs' share of the "
                                                   "pool's instance type).")
    memory: Quantity | None = Field(None, description="Memory quota beside the GPUs (default: the GPUs' share of "
                                                      "the pool's instance type).")
    borrow: int | None = Field(None, ge=0, le=100_000,
                               description="Most GPUs it may borrow from its cohort's unused quota (needs "
                                           "`cohort`; omitted: as many as the cohort has unused).")


class Queue(SpecModel):
    """One team's queue: a Kueue ClusterQueue with its quotas and a LocalQueue in the system's namespace."""

    cohort: Name | None = Field(None, description="Queues of one cohort lend each other unused quota and reclaim "
                                                  "it by preemption.")
    quotas: dict[Name, PoolQuota] = Field(min_length=1, description="Quota per GPU node pool (a key of "
                                                                    "`node_pools`).")

    @model_validator(mode="after")
    def _borrow_needs_cohort(self) -> "Queue":
        if self.cohort is None and any(q.borrow is not None for q in self.quotas.values()):
            raise ValueError("`borrow` needs a `cohort` to borrow from (Kueue refuses a borrowing limit without "
                             "one): add cohort: <name>, or remove borrow")
        return self
