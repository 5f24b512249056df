"""Node-pool settings the cloud's provisioner cannot carry out: refused at validation, at their position.

What each `node_pools:` field means depends on `platform.cloud` (docs/clouds.md):
- `image`: aws an EC2NodeClass `amiSelectorTerms` alias, `<family>@<version>` with a family the
  EC2NodeClass CRD allows (aws/karpenter-provider-aws v1.14.1 karpenter.k8s.aws_ec2nodeclasses.yaml:
  al2, al2023, bottlerocket, windows2019/2022/2025); azure an AKSNodeClass `imageFamily` (its CRD's
  enum, Azure/karpenter-provider-azure v1.14.2); gcp a GKE node image type (COS_CONTAINERD,
  UBUNTU_CONTAINERD: the Linux containerd images GKE offers for GPU node pools).
- `instance_families`: aws `karpenter.k8s.aws/instance-family` (g6, m7i); azure
  `karpenter.azure.com/sku-family` (the size's family letter: N, D, E, F); gcp none (a GKE node pool
  has exactly one machine type).
- gcp has no Karpenter: no disruption budgets and no spot fallback (a GKE node pool is spot or not),
  and the Pulumi program needs `platform.gke` to know which cluster gets the pools.
- `cloud: generic` provisions nothing: the provisioning fields would do nothing and are refused.
"""
from __future__ import annotations

import re

from .diagnostics import DiagnosticBag
from .source_map import SourceMap
from .spec import Spec
from .validation import dotted

AWS_IMAGE = re.compile(r"^(al2|al2023|bottlerocket|windows2019|windows2022|windows2025)@[A-Za-z0-9._-]+$")
AZURE_IMAGE_FAMILIES = ("Ubuntu", "Ubuntu2204", "Ubuntu2404", "AzureLinux")
GKE_IMAGE_TYPES = ("COS_CONTAINERD", "UBUNTU_CONTAINERD")
AWS_FAMILY = re.compile(r"^[a-z][a-z0-9-]*[0-9][a-z0-9-]*$")
AZURE_FAMILY = re.compile(r"^[A-Z]{1,3}$")
#: Fields that only a provisioner (Karpenter or GKE) acts on.
PROVISIONING_FIELDS = ("zones", "instance_families", "root_volume_gib", "image")


def check_node_pools(spec: Spec, source_map: SourceMap) -> None:
    """Raise SpecError with every node-pool setting the cloud's provisioner would refuse or never apply."""
    bag = DiagnosticBag()
    cloud = spec.platform.cloud
    if cloud == "gcp" and spec.node_pools and spec.platform.gke is None:
        path = ("platform", "cloud")
        bag.add(source_map.value(path), "platform.cloud is gcp: the Pulumi program adds the node pools to a GKE "
                "cluster, and platform.gke does not say which", path,
                hint="set platform.gke: {cluster: <cluster name>, location: <region or zone>}")
    for name, pool in spec.node_pools.items():
        here = ("node_pools", name)

        def refuse(field: tuple, message: str, hint: str) -> None:
            path = here + field
            bag.add(source_map.value(path), f"{dotted(path)}: {message}", path, hint)

        if cloud == "generic":
            for field in PROVISIONING_FIELDS:
                if getattr(pool, field):
                    refuse((field,), "platform.cloud is generic: nothing provisions the nodes, so this would do "
                           "nothing", "provision the nodes yourself (docs/clouds.md), or set platform.cloud")
            if pool.disruption.budgets:
                refuse(("disruption",), "platform.cloud is generic: no Karpenter disrupts the nodes",
                       "remove it, or set platform.cloud to aws or azure")
            if pool.capacity == "spot-or-on-demand":
                refuse(("capacity",), "platform.cloud is generic: no provisioner falls back from spot",
                       "use spot or on-demand (a label your nodes carry), or set platform.cloud")
        image = pool.image
        if image is not None:
            if cloud == "aws" and not AWS_IMAGE.match(image):
                refuse(("image",), f"{image!r} is not an EC2NodeClass AMI alias",
                       "write <family>@<version>, e.g. al2023@v20250116 or bottlerocket@1.30.0 "
                       "(families: al2, al2023, bottlerocket, windows2019, windows2022, windows2025)")
            elif cloud == "azure" and image not in AZURE_IMAGE_FAMILIES:
                refuse(("image",), f"{image!r} is not an AKSNodeClass image family",
                       "use one of " + ", ".join(AZURE_IMAGE_FAMILIES))
            elif cloud == "gcp" and image not in GKE_IMAGE_TYPES:
                refuse(("image",), f"{image!r} is not a GKE node image type for GPU node pools",
                       "use one of " + ", ".join(GKE_IMAGE_TYPES))
        for i, family in enumerate(pool.instance_families):
            if cloud == "aws" and not AWS_FAMILY.match(family):
                refuse(("instance_families", i), f"{family!r} is not an EC2 instance family",
                       "write the part of the instance type before the dot, e.g. g6, g6e, m7i")
            elif cloud == "azure" and not AZURE_FAMILY.match(family):
                refuse(("instance_families", i), f"{family!r} is not an Azure SKU family "
                       "(karpenter.azure.com/sku-family)", "write the size's family letter, e.g. N, D, E or F")
        if cloud != "gcp":
            continue
        if pool.capacity == "spot-or-on-demand":
            refuse(("capacity",), "a GKE node pool is either spot or on-demand; GKE has no Karpenter to fall "
                   "back from one to the other", "use capacity: spot or on-demand (or two pools)")
        if pool.instance_families:
            refuse(("instance_families",), "a GKE node pool has exactly one machine type",
                   "list that machine type in instance_types instead")
        if len(pool.instance_types) > 1:
            refuse(("instance_types", 1), "a GKE node pool has exactly one machine type",
                   f"keep one ({pool.instance_types[0]}) and make another pool for the others")
        if pool.disruption.budgets:
            refuse(("disruption",), "disruption budgets are Karpenter's; GKE upgrades and scales node pools "
                   "itself", "remove disruption on gcp (GKE's surge upgrades apply)")
    bag.raise_if_any()
