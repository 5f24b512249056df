"""`network:`: egress the system's pods need beyond what the spec itself declares.

The generated NetworkPolicies already open what the spec names (docs/network.md): DNS, the model
and data stores over HTTPS, the API server for Argo, MLflow, the feature server, Prometheus and the
Pushgateway. `network.egress` adds the rest. A NetworkPolicy selects addresses (ipBlock) or pods
(namespace and pod selectors), never host names (kubernetes/api networking/v1 NetworkPolicyPeer),
so a rule names a CIDR or a namespace/pod selector; a `host` is refused with that reason.
"""

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from .base import Name, SpecModel, empty_list
from .scheduling import LabelKey, LabelValue

#: The pods a rule is added to: the policy of each role (`app.kubernetes.io/component`).
Role = Literal["serving", "pipelines", "monitoring"]
ROLES: tuple[str, ...] = ("serving", "pipelines", "monitoring")


def _network(text: str, what: str):
    import ipaddress   # only when a spec has a CIDR: validate and lint stay light

    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError as error:
        hint = ""
        try:
            hint = f" (the network containing it is {ipaddress.ip_network(text, strict=False)})"
        except ValueError:
            pass
        raise ValueError(f"{what} {text!r} is not a CIDR such as 10.20.0.0/16 or 2001:db8::/32: {error}{hint}")


class EgressPort(SpecModel):
    port: int = Field(ge=1, le=65535, description="Destination port.")
    end_port: int | None = Field(None, ge=1, le=65535, description="Last port of a range starting at `port`.")
    protocol: Literal["TCP", "UDP", "SCTP"] = Field("TCP", description="Protocol.")

    @model_validator(mode="after")
    def _range(self) -> "EgressPort":
        if self.end_port is not None and self.end_port < self.port:
            raise ValueError(f"end_port ({self.end_port}) is below port ({self.port})")
        return self

    def lowered(self) -> dict:
        result: dict = {"port": self.port, "protocol": self.protocol}
        if self.end_port is not None and self.end_port != self.port:
            result["endPort"] = self.end_port
        return result


class EgressRule(SpecModel):
    """One destination: a CIDR (`cidr`, minus `except`) or pods (`namespace` and/or `pod_labels`), on `ports`."""

    description: str | None = Field(None, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$", description="What is there (shown in the policy's "
                                                                       "annotation).")
    cidr: str | None = Field(None, description="Destination addresses, e.g. 10.20.0.0/16 (ipBlock).")
    except_: list[str] = Field(default_factory=empty_list, alias="except",
                               description="Sub-ranges of `cidr` that stay closed.")
    namespace: Name | None = Field(None, description="Destination namespace (by kubernetes.io/metadata.name).")
    pod_labels: dict[LabelKey, LabelValue] | None = Field(
        None, description="Destination pods' labels (in `namespace`, or in the system's own).")
    ports: list[int | EgressPort] = Field(min_length=1, description="Destination ports: numbers (TCP) or "
                                                                    "{port, end_port, protocol}.")
    pods: list[Role] = Field(default_factory=lambda: list(ROLES), min_length=1,
                             description="Whose egress this opens: serving, pipelines, monitoring (default all).")

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, text: str | None) -> str | None:
        if text is not None:
            _network(text, "cidr")
        return text

    @field_validator("except_")
    @classmethod
    def _excepts(cls, texts: list[str]) -> list[str]:
        for text in texts:
            _network(text, "except")
        return texts

    @model_validator(mode="before")
    @classmethod
    def _no_host_names(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in ("host", "hostname", "hosts", "fqdn", "url"):
                if key in data:
                    raise ValueError(
                        f"`{key}` cannot be expressed: a Kubernetes NetworkPolicy selects IP blocks and pods, never "
                        "host names (networking.k8s.io/v1 NetworkPolicyPeer). Give the service's address range "
                        "(`cidr`), or its namespace and pod labels when it runs in the cluster; an FQDN policy "
                        "needs a CNI's own policy kind (Cilium, Calico), which mlops does not generate")
        return data

    @model_validator(mode="after")
    def _one_destination(self) -> "EgressRule":
        if self.cidr is not None and (self.namespace is not None or self.pod_labels is not None):
            raise ValueError("a rule goes to a `cidr` or to pods (`namespace`, `pod_labels`), not both: write two "
                             "rules")
        if self.cidr is None and self.namespace is None and self.pod_labels is None:
            raise ValueError("a rule needs a destination: `cidr`, or `namespace` and/or `pod_labels`")
        if self.except_ and self.cidr is None:
            raise ValueError("`except` narrows a `cidr`; there is none")
        if self.cidr is not None:
            # ValidateIPBlock: every `except` strictly inside `cidr`, of the same family.
            network = _network(self.cidr, "cidr")
            for text in self.except_:
                inner = _network(text, "except")
                if inner.version != network.version or not inner.subnet_of(network) or inner == network:
                    raise ValueError(f"except {text!r} must lie strictly inside cidr {self.cidr!r}")
        if len(set(self.pods)) != len(self.pods):
            raise ValueError("`pods` lists a role twice")
        return self

    def lowered_ports(self) -> list[dict]:
        return [EgressPort(port=p).lowered() if isinstance(p, int) else p.lowered() for p in self.ports]

    def lowered_peer(self) -> dict:
        if self.cidr is not None:
            block: dict = {"cidr": self.cidr}
            if self.except_:
                block["except"] = list(self.except_)
            return {"ipBlock": block}
        peer: dict = {}
        if self.namespace is not None:
            peer["namespaceSelector"] = {"matchLabels": {"kubernetes.io/metadata.name": self.namespace}}
        peer["podSelector"] = {"matchLabels": dict(sorted((self.pod_labels or {}).items()))}
        return peer


class Network(SpecModel):
    egress: list[EgressRule] = Field(default_factory=empty_list,
                                     description="Extra egress for the system's pods (CIDRs or pod selectors).")
