"""NVIDIA GPU Operator v26.7.0, mig-parted v0.15.0, k8s-device-plugin v0.20.0: the configs our node labels select.

The GPU Operator mounts one mig-parted ConfigMap (ClusterPolicy `migManager.config.name`, key
`config.yaml`) into the MIG manager and one device-plugin ConfigMap (`devicePlugin.config.name`)
into the device plugin's config manager; each node picks its entry by label
(`nvidia.com/mig.config`, `nvidia.com/device-plugin.config`). docs/gpu.md says which of our
ConfigMaps the ClusterPolicy must name. These checks re-implement what happens with our configs
and labels: how the configs are parsed and validated, which label values must exist, and what
the device plugin then advertises and refuses.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

import yaml

from compiler import gpu_catalogue, instance_types

from . import Case, Objects, compile_check, object_check
from .karpenter import pool_of
from .workloads import pods

OPERATOR = "NVIDIA/gpu-operator v26.7.0"
MIG_PARTED = "NVIDIA/mig-parted v0.15.0"
PLUGIN = "NVIDIA/k8s-device-plugin v0.20.0"
NAMESPACE = "gpu-operator"
MIG_LABEL = "nvidia.com/mig.config"
PLUGIN_LABEL = "nvidia.com/device-plugin.config"
MIG_DEFAULT = "all-disabled"  # ClusterPolicy migManager.config.default (kubebuilder default)
POOL_LABEL = "mlops.dev/node-pool"
#: go-nvlib pkg/nvlib/device/mig_profile.go (vendored by mig-parted): [<C>c.]<G>g.<GB>gb[+attrs|-attrs].
_PROFILE_FIELDS = re.compile(r"^(?:(?P<c>[0-9]+)c\.)?(?P<g>[0-9]+)g\.(?P<gb>[0-9]+)gb$")
_ATTRIBUTE = re.compile(r"^[a-z][a-z0-9.]*[a-z0-9]$|^[a-z]$")
_DEVICE_ID = re.compile(r"^0x[0-9A-Fa-f]{4}(?:[0-9A-Fa-f]{4})?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _load(text) -> object:
    try:
        return yaml.safe_load(str(text))
    except yaml.YAMLError as error:
        return error


def _mig_configs(objects: Objects) -> list[dict]:
    """ConfigMaps of the operator's namespace holding a mig-parted config under `config.yaml`."""
    return [obj for obj in objects.of_kind("ConfigMap")
            if (obj.get("metadata") or {}).get("namespace") == NAMESPACE
            and "mig-configs" in str((obj.get("data") or {}).get("config.yaml", ""))]


def _plugin_configs(objects: Objects) -> list[dict]:
    """ConfigMaps of the operator's namespace whose entries are device-plugin configs."""
    found = []
    for obj in objects.of_kind("ConfigMap"):
        if (obj.get("metadata") or {}).get("namespace") != NAMESPACE or obj in _mig_configs(objects):
            continue
        values = [_load(v) for v in (obj.get("data") or {}).values()]
        if values and all(isinstance(v, dict) and ("sharing" in v or "flags" in v) for v in values):
            found.append(obj)
    return found


# --- mig-parted ----------------------------------------------------------------------------------

def profile_problem(profile: str) -> str | None:
    """go-nvlib parseMigProfile as mig-parted's AssertValidMigProfileFormat runs it; None when valid."""
    if not profile:
        return "profile is the empty string"
    plus, minus = profile.split("+", 1), profile.split("-", 1)
    if len(plus) == 2 and len(minus) == 2:
        return f"profile {profile!r} contains both '+/-' attributes"
    parts = plus if len(plus) == 2 else minus
    match = _PROFILE_FIELDS.match(parts[0])
    if not match:
        return f"cannot parse fields of {profile!r}: expected [<C>c.]<G>g.<GB>gb"
    if match["c"] is not None and int(match["c"]) > int(match["g"]):
        return f"{profile!r}: a compute instance of {match['c']} slices does not fit a {match['g']}g GPU instance"
    if len(parts) == 2:
        attributes = parts[1].split(",")
        if len(set(attributes)) != len(attributes) or not all(_ATTRIBUTE.match(a) for a in attributes):
            return f"cannot parse attributes of {profile!r}"
    return None


def mig_spec_problems(text) -> Iterator[str]:
    """api/spec/v1/spec.go: Spec.UnmarshalJSON and MigConfigSpec.UnmarshalJSON."""
    spec = _load(text)
    if not isinstance(spec, dict):
        yield f"config.yaml is not a mapping: {spec}"
        return
    if "version" not in spec and spec:
        yield "unable to parse with missing 'version' field"
    elif spec.get("version") != "v1":
        yield f"unknown version: {spec.get('version')}"
    for key in spec:
        if key not in ("version", "mig-configs"):
            yield f"unexpected field: {key}"
    configs = spec.get("mig-configs")
    if not isinstance(configs, dict) or not configs:
        yield "at least one entry in 'mig-configs' is required"
        return
    for name, entries in configs.items():
        if not isinstance(entries, list) or not entries:
            yield f"at least one entry in {name!r} is required"
            continue
        for i, entry in enumerate(entries):
            where = f"mig-configs.{name}[{i}]"
            if not isinstance(entry, dict):
                yield f"{where} is not a mapping"
                continue
            for required in ("devices", "mig-enabled"):
                if required not in entry:
                    yield f"{where}: missing required field: {required}"
            for key in entry:
                if key not in ("device-filter", "devices", "mig-enabled", "mig-devices"):
                    yield f"{where}: unexpected field: {key}"
            devices = entry.get("devices")
            if devices is not None and devices != "all" and not (
                    isinstance(devices, list) and all(isinstance(d, int) and not isinstance(d, bool) for d in devices)):
                yield f"{where}: invalid 'devices': {devices!r} (\"all\" or a list of GPU indexes)"
            device_filter = entry.get("device-filter")
            filters = [device_filter] if isinstance(device_filter, str) else device_filter or []
            if not isinstance(filters, list) or not all(isinstance(f, str) and _DEVICE_ID.match(f) for f in filters):
                yield f"{where}: invalid 'device-filter': {device_filter!r} (PCI device ids like 0x20B210DE)"
            enabled, devices_map = entry.get("mig-enabled"), entry.get("mig-devices")
            if "mig-enabled" in entry and not isinstance(enabled, bool):
                yield f"{where}: 'mig-enabled' must be true or false"
            if enabled is True and devices_map is None:
                yield f"{where}: missing required field 'mig-devices' when 'mig-enabled' is true"
            if enabled is False and devices_map:
                yield f"{where}: MIG devices included when 'mig-enabled' is false"
            if isinstance(devices_map, dict) and devices_map:
                for profile, count in devices_map.items():
                    if (problem := profile_problem(str(profile))) is not None:
                        yield f"{where}: invalid format for {profile!r}: {problem}"
                    if not isinstance(count, int) or count < 0:
                        yield f"{where}: invalid count for {profile!r}: {count!r}"
                if all(isinstance(c, int) and c == 0 for c in devices_map.values()):
                    yield f"{where}: all counts for all MigProfiles are 0"


def _is_mig_config(obj: dict, objects: Objects) -> bool:
    return obj in _mig_configs(objects)


@object_check("nvidia-mig-parted-config-valid", kinds=("ConfigMap",),
              source=f"{MIG_PARTED} api/spec/v1/spec.go: Spec.UnmarshalJSON, MigConfigSpec.UnmarshalJSON; "
                     f"{MIG_PARTED} pkg/types/mig_config.go: AssertValidFormat; "
                     f"{OPERATOR} controllers/object_controls.go: TransformMIGManager (CONFIG_FILE config.yaml)")
def mig_parted_config_valid(obj: dict, objects: Objects) -> Iterator[str]:
    if _is_mig_config(obj, objects):
        yield from mig_spec_problems(obj["data"]["config.yaml"])


def _mig_spec(objects: Objects) -> dict:
    configs = _mig_configs(objects)
    spec = _load(configs[0]["data"]["config.yaml"]) if len(configs) == 1 else None
    return spec.get("mig-configs") or {} if isinstance(spec, dict) else {}


@compile_check("nvidia-mig-config-has-every-label-value",
               source=f"{MIG_PARTED} cmd/nvidia-mig-parted/assert/assert.go: GetSelectedMigConfig; "
                      f"{OPERATOR} controllers/nodelabeling_controller.go: updateGPUStateLabels (all-disabled "
                      "default); "
                      f"{MIG_PARTED} pkg/mig/reconfigure/reconfigure.go: validateMigConfig")
def mig_config_has_every_label_value(objects: Objects) -> Iterator[str]:
    """Each `nvidia.com/mig.config` value our nodes carry, and the operator's default, is a config the MIG manager has."""
    configs = _mig_configs(objects)
    if len(configs) > 1:
        names = [c["metadata"]["name"] for c in configs]
        yield f"{len(configs)} mig-parted ConfigMaps {names}: the ClusterPolicy mounts one (migManager.config.name)"
        return
    wanted = {MIG_DEFAULT: "the ClusterPolicy default for MIG-capable nodes without a label"} if configs else {}
    for node_pool in objects.of_kind("NodePool"):
        labels = (node_pool["spec"]["template"].get("metadata") or {}).get("labels") or {}
        if MIG_LABEL in labels:
            wanted.setdefault(labels[MIG_LABEL], f"NodePool/{node_pool['metadata']['name']}")
    if not configs:
        custom = {value: who for value, who in wanted.items() if value != MIG_DEFAULT}
        if custom:
            yield f"nodes are labelled {MIG_LABEL} with {sorted(custom)} ({', '.join(custom.values())}) but no " \
                  "mig-parted ConfigMap defines them (the operator's default one has only all-* configs)"
        return
    present = _mig_spec(objects)
    for value, who in sorted(wanted.items()):
        if value not in present:
            yield f"{MIG_LABEL}={value} ({who}) is not in {configs[0]['metadata']['name']}: \"selected mig-config " \
                  f"not present: {value}\", the MIG manager fails and the node stays unconfigured"


@compile_check("nvidia-mig-layout-fits-the-gpus",
               source=f"{MIG_PARTED} cmd/nvidia-mig-parted/assert/assert.go: WalkSelectedMigConfigForEachGPU; "
                      f"{MIG_PARTED} api/spec/v1/helpers.go: MatchesDeviceFilter, MatchesAllDevices; "
                      f"{MIG_PARTED} cmd/nvidia-mig-parted/apply/config.go: ApplyMigConfig")
def mig_layout_fits_the_gpus(objects: Objects) -> Iterator[str]:
    """The config a NodePool's label selects can be applied to the GPU of every instance type the NodePool keeps.

    The GPU's MIG geometry is NVIDIA's (compiler/gpu_catalogue.py, held against mig-parted's
    config-default.yaml); which GPU an instance type has, its EC2 GPU name and memory.
    """
    present = _mig_spec(objects)
    by_gpu = {(acc.aws_gpu_name, instance_types.gpu_memory_mib(acc.aws_instance_types)): acc
              for acc in gpu_catalogue.ACCELERATORS.values() if acc.aws_gpu_name}
    for node_pool in objects.of_kind("NodePool"):
        labels = (node_pool["spec"]["template"].get("metadata") or {}).get("labels") or {}
        entries = present.get(labels.get(MIG_LABEL, ""))
        if not entries or labels.get(MIG_LABEL) == MIG_DEFAULT:
            continue
        for row in pool_of(node_pool).instance_types:
            acc = by_gpu.get((row.gpu_name, row.gpu_memory_mib))
            if acc is None:
                yield f"NodePool/{node_pool['metadata']['name']} may launch {row.name}, whose GPU the catalogue " \
                      "does not describe: its MIG layout cannot be checked"
                continue
            matching = [e for e in entries if _matches(e, acc)]
            if not matching:
                yield f"NodePool/{node_pool['metadata']['name']}: no entry of {labels[MIG_LABEL]!r} matches the " \
                      f"{acc.key} of {row.name} (device-filter)"
            for entry in matching:
                if entry.get("mig-enabled") and (problem := gpu_catalogue.layout_problem(
                        acc, entry.get("mig-devices") or {})) is not None:
                    yield f"NodePool/{node_pool['metadata']['name']} may launch {row.name} ({acc.key}), where " \
                          f"{labels[MIG_LABEL]!r} cannot be applied: {problem}"


def _matches(entry: dict, acc) -> bool:
    device_filter = entry.get("device-filter")
    filters = [device_filter] if isinstance(device_filter, str) else list(device_filter or [])
    if not filters:
        return True
    ids = {device_id.lower() for device_id in acc.mig_device_ids}
    return any(f.lower()[:6] in ids for f in filters)


# --- the device plugin ---------------------------------------------------------------------------

_CONFIG_KEYS = ("version", "flags", "resources", "sharing", "imex")
_REPLICATED_KEYS = ("renameByDefault", "failRequestsGreaterThanOne", "resources")
_RESOURCE_KEYS = ("name", "rename", "devices", "replicas")


def _resource_name_problem(name) -> str | None:
    """api/config/v1/resources.go NewResourceName: nvidia.com/<DNS subdomain>, at most 63 characters."""
    if not isinstance(name, str) or not name:
        return "no resource name specified"
    full = name if name.startswith("nvidia.com/") else f"nvidia.com/{name}"
    if len(full) > 63:
        return f"fully-qualified resource name must be 63 characters or less: {full}"
    if not _DNS1123_SUBDOMAIN.match(full.split("/", 1)[1]):
        return f"incorrect format for resource name {full!r}"
    return None


def plugin_config_problems(text) -> Iterator[str]:
    """api/config/v1/config.go parseConfigFrom, replicas.go ReplicatedResources/ReplicatedResource.UnmarshalJSON."""
    config = _load(text)
    if not isinstance(config, dict):
        yield f"not a mapping: {config}"
        return
    if config.get("version", "v1") != "v1":
        yield f"unknown version: {config.get('version')}"
    for key in config:
        if key not in _CONFIG_KEYS:
            yield f"unknown field {key!r} (sigs.k8s.io/yaml drops it: the setting does nothing)"
    sharing = config.get("sharing") or {}
    if not isinstance(sharing, dict):
        yield "sharing is not a mapping"
        return
    for key in sharing:
        if key not in ("timeSlicing", "mps"):
            yield f"unknown field sharing.{key!r} (dropped: it does nothing)"
    if sharing.get("timeSlicing") and sharing.get("mps"):
        yield "both sharing.timeSlicing and sharing.mps: MPS wins (SharingStrategy) and timeSlicing is ignored"
    for mode in ("timeSlicing", "mps"):
        shared = sharing.get(mode)
        if shared is None:
            continue
        where = f"sharing.{mode}"
        if not isinstance(shared, dict):
            yield f"{where} is not a mapping"
            continue
        for key in shared:
            if key not in _REPLICATED_KEYS:
                yield f"unknown field {where}.{key!r} (dropped: it does nothing)"
        resources = shared.get("resources")
        if not resources:
            yield f"{where}: no resources specified"
            continue
        for i, resource in enumerate(resources):
            here = f"{where}.resources[{i}]"
            for key in resource:
                if key not in _RESOURCE_KEYS:
                    yield f"unknown field {here}.{key!r} (dropped: it does nothing)"
            if (problem := _resource_name_problem(resource.get("name"))) is not None:
                yield f"{here}: {problem}"
            replicas = resource.get("replicas")
            if replicas is None:
                yield f"{here}: no replicas specified"
            elif not isinstance(replicas, int) or replicas < 2:
                yield f"{here}: number of replicas must be >= 2"
            devices = resource.get("devices", "all")
            if devices != "all":
                yield f"{here}: devices {devices!r}: only 'all' is supported in the config (DisableResourceNamingInConfig)"
            if resource.get("rename") and not shared.get("renameByDefault"):
                yield f"{here}: 'rename' is not supported in the config and is ignored (DisableResourceNamingInConfig)"


def _advertised(config: dict) -> tuple[dict[str, str], bool]:
    """Requested resource name -> the name the device plugin advertises it as, and failRequestsGreaterThanOne."""
    sharing = config.get("sharing") or {}
    shared = sharing.get("mps") or sharing.get("timeSlicing") or {}
    fail = shared.get("failRequestsGreaterThanOne", "mps" in sharing)  # NewConfig: MPS defaults it to true
    names = {}
    for resource in shared.get("resources") or []:
        name = str(resource.get("name", ""))
        name = name if name.startswith("nvidia.com/") else f"nvidia.com/{name}"
        names[name] = f"{name}.shared" if shared.get("renameByDefault") else name
    return names, bool(fail)


@object_check("nvidia-device-plugin-config-valid", kinds=("ConfigMap",),
              source=f"{PLUGIN} api/config/v1/config.go: parseConfigFrom; "
                     f"{PLUGIN} api/config/v1/replicas.go: ReplicatedResources.UnmarshalJSON, "
                     f"ReplicatedResource.UnmarshalJSON; {PLUGIN} api/config/v1/resources.go: NewResourceName; "
                     f"{PLUGIN} api/config/v1/config.go: DisableResourceNamingInConfig")
def device_plugin_config_valid(obj: dict, objects: Objects) -> Iterator[str]:
    if obj in _plugin_configs(objects):
        for key, text in (obj.get("data") or {}).items():
            for problem in plugin_config_problems(text):
                yield f"data[{key}]: {problem}"


@compile_check("nvidia-device-plugin-config-has-every-label-value",
               source=f"{PLUGIN} cmd/config-manager/main.go: updateConfigName; "
                      f"{OPERATOR} controllers/object_controls.go: transformConfigManagerInitContainer (FALLBACK_STRATEGIES empty)")
def device_plugin_config_has_every_label_value(objects: Objects) -> Iterator[str]:
    """Each `nvidia.com/device-plugin.config` value our nodes carry is a key of the one device-plugin ConfigMap."""
    configs = _plugin_configs(objects)
    if len(configs) > 1:
        yield f"{len(configs)} device-plugin ConfigMaps {[c['metadata']['name'] for c in configs]}: the ClusterPolicy " \
              "mounts one (devicePlugin.config.name)"
        return
    keys = set((configs[0].get("data") or {})) if configs else set()
    for node_pool in objects.of_kind("NodePool"):
        value = ((node_pool["spec"]["template"].get("metadata") or {}).get("labels") or {}).get(PLUGIN_LABEL)
        if value is not None and value not in keys:
            yield f"NodePool/{node_pool['metadata']['name']} labels its nodes {PLUGIN_LABEL}={value}, which no " \
                  "device-plugin ConfigMap of this compile has: \"specified config " \
                  f"{value} does not exist\", and the device plugin does not start there"


def _pool_labels(objects: Objects) -> dict[str, dict[str, str]]:
    """`mlops.dev/node-pool` value -> the labels of that pool's nodes (NodePools, or for cloud generic the keys)."""
    result = {}
    for node_pool in objects.of_kind("NodePool"):
        labels = (node_pool["spec"]["template"].get("metadata") or {}).get("labels") or {}
        if POOL_LABEL in labels:
            result[labels[POOL_LABEL]] = labels
    return result


@compile_check("nvidia-device-plugin-serves-the-request",
               source=f"{PLUGIN} internal/rm/rm.go: ValidateRequest; "
                      f"{PLUGIN} api/config/v1/replicas.go: ReplicatedResources.UnmarshalJSON (renameByDefault); "
                      f"{PLUGIN} api/config/v1/config.go: NewConfig")
def device_plugin_serves_the_request(objects: Objects) -> Iterator[str]:
    """A pod's GPU request is a resource its node advertises, at a count the device plugin allocates."""
    pools = _pool_labels(objects)
    plugin = _plugin_configs(objects)
    plugin_data = plugin[0].get("data") or {} if len(plugin) == 1 else {}
    mig = _mig_spec(objects)
    for pod in pods(objects):
        labels = pools.get(pod.node_selector.get(POOL_LABEL, ""))
        if labels is None:
            continue
        gpu = {k: v for k, v in pod.requests.items() if k.startswith("nvidia.com/")}
        if PLUGIN_LABEL in labels and isinstance(config := _load(plugin_data.get(labels[PLUGIN_LABEL], "")), dict):
            names, fail = _advertised(config)
            for resource, count in gpu.items():
                if resource in names and names[resource] != resource:
                    yield f"{pod.where}: requests {resource}, which the node advertises as {names[resource]} " \
                          "(renameByDefault)"
                elif resource in names and fail and count > 1:
                    yield f"{pod.where}: requests {count:g} {resource} of a shared GPU; the device plugin refuses " \
                          "(\"maximum request size for shared resources is 1\", failRequestsGreaterThanOne)"
        if MIG_LABEL in labels and labels[MIG_LABEL] != MIG_DEFAULT:
            offered = {f"nvidia.com/mig-{profile}" for entry in mig.get(labels[MIG_LABEL]) or []
                       for profile, count in (entry.get("mig-devices") or {}).items() if count}
            for resource in gpu:
                if resource.startswith("nvidia.com/mig-") and resource not in offered:
                    yield f"{pod.where}: requests {resource}, but its nodes are partitioned into " \
                          f"{sorted(offered) or 'nothing'} ({MIG_LABEL}={labels[MIG_LABEL]})"


# --- fixtures ------------------------------------------------------------------------------------

def _config_map(name: str, data: dict) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": NAMESPACE}, "data": data}


def _mig(configs: dict) -> dict:
    return _config_map("p-mig-parted-config", {"config.yaml": yaml.safe_dump({"version": "v1", "mig-configs": configs})})


_ENABLED = [{"devices": "all", "mig-enabled": True, "mig-devices": {"1g.10gb": 7}}]
_DISABLED = [{"devices": "all", "mig-enabled": False}]


def _pool(name: str, labels: dict, requirements: list | None = None) -> dict:
    return {"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": name},
            "spec": {"template": {"metadata": {"labels": {POOL_LABEL: name, **labels}},
                                  "spec": {"requirements": requirements or [
                                      {"key": "node.kubernetes.io/instance-type", "operator": "In",
                                       "values": ["p4de.24xlarge"]}]}}}}


def _plugin(data: dict) -> dict:
    return _config_map("p-device-plugin-config", {key: yaml.safe_dump(value) for key, value in data.items()})


def _time_slicing(replicas: int = 4, **extra) -> dict:
    return {"version": "v1", "sharing": {"timeSlicing": {"failRequestsGreaterThanOne": True, **extra,
                                                         "resources": [{"name": "nvidia.com/gpu", "replicas": replicas}]}}}


def _pod(pool: str, limits: dict) -> dict:
    return {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService", "metadata": {"name": "api"},
            "spec": {"predictor": {"nodeSelector": {POOL_LABEL: pool}, "model": {"resources": {"limits": limits}}}}}


CASES = [
    Case("nvidia-mig-parted-config-valid", "a config without its version",
         [_config_map("m", {"config.yaml": "mig-configs: {a: [{devices: all, mig-enabled: false}]}"})]),
    Case("nvidia-mig-parted-config-valid", "mig-devices on a disabled entry",
         [_mig({"a": [{"devices": "all", "mig-enabled": False, "mig-devices": {"1g.10gb": 1}}]})]),
    Case("nvidia-mig-parted-config-valid", "a profile that is not [C c.]G g.GB gb",
         [_mig({"a": [{"devices": "all", "mig-enabled": True, "mig-devices": {"1g10gb": 2}}]})]),
    Case("nvidia-mig-parted-config-valid", "a misspelt entry field",
         [_mig({"a": [{"devices": "all", "mig-enabled": True, "mig-device": {"1g.10gb": 2}}]})]),
    Case("nvidia-mig-parted-config-valid", "all-disabled and a layout", [_mig({"all-disabled": _DISABLED, "a": _ENABLED})],
         refused=False),
    Case("nvidia-mig-config-has-every-label-value", "a MIG config without all-disabled (the operator's default)",
         [_mig({"p": _ENABLED}), _pool("p", {MIG_LABEL: "p"})]),
    Case("nvidia-mig-config-has-every-label-value", "a node label naming no config",
         [_mig({"all-disabled": _DISABLED}), _pool("p", {MIG_LABEL: "p-prod"})]),
    Case("nvidia-mig-config-has-every-label-value", "two mig-parted ConfigMaps (one per environment) in one compile",
         [_mig({"all-disabled": _DISABLED}), {**_mig({"all-disabled": _DISABLED}), "metadata": {
             "name": "other", "namespace": NAMESPACE}}]),
    Case("nvidia-mig-config-has-every-label-value", "every label value and all-disabled",
         [_mig({"all-disabled": _DISABLED, "p": _ENABLED}), _pool("p", {MIG_LABEL: "p"}),
          _pool("q", {MIG_LABEL: "all-disabled"})], refused=False),
    Case("nvidia-mig-layout-fits-the-gpus", "an 80GB layout on a pool that may launch A100-40GB (p4d)",
         [_mig({"all-disabled": _DISABLED, "p": [{"devices": "all", "mig-enabled": True,
                                                  "mig-devices": {"3g.40gb": 2}}]}),
          _pool("p", {MIG_LABEL: "p"}, [{"key": "karpenter.k8s.aws/instance-gpu-name", "operator": "In",
                                          "values": ["a100"]}])]),
    Case("nvidia-mig-layout-fits-the-gpus", "the same layout pinned to p4de (A100-80GB)",
         [_mig({"all-disabled": _DISABLED, "p": [{"devices": "all", "mig-enabled": True,
                                                  "mig-devices": {"3g.40gb": 2}}]}), _pool("p", {MIG_LABEL: "p"})],
         refused=False),
    Case("nvidia-device-plugin-config-valid", "one replica", [_plugin({"p": _time_slicing(1)})]),
    Case("nvidia-device-plugin-config-valid", "a misspelt option the plugin silently drops",
         [_plugin({"p": {"version": "v1", "sharing": {"timeSlicing": {
             "failRequestGreaterThanOne": True, "resources": [{"name": "nvidia.com/gpu", "replicas": 4}]}}}})]),
    Case("nvidia-device-plugin-config-valid", "timeSlicing and mps together",
         [_plugin({"p": {"version": "v1", "sharing": {
             "timeSlicing": {"resources": [{"name": "nvidia.com/gpu", "replicas": 2}]},
             "mps": {"resources": [{"name": "nvidia.com/gpu", "replicas": 2}]}}}})]),
    Case("nvidia-device-plugin-config-valid", "time-slicing four replicas", [_plugin({"p": _time_slicing()})],
         refused=False),
    Case("nvidia-device-plugin-config-has-every-label-value", "a label value missing from the ConfigMap",
         [_plugin({"p": _time_slicing()}), _pool("q", {PLUGIN_LABEL: "q"})]),
    Case("nvidia-device-plugin-config-has-every-label-value", "a label value with its key",
         [_plugin({"p": _time_slicing()}), _pool("p", {PLUGIN_LABEL: "p"})], refused=False),
    Case("nvidia-device-plugin-serves-the-request", "two shared GPUs with failRequestsGreaterThanOne",
         [_plugin({"p": _time_slicing()}), _pool("p", {PLUGIN_LABEL: "p"}), _pod("p", {"nvidia.com/gpu": "2"})]),
    Case("nvidia-device-plugin-serves-the-request", "nvidia.com/gpu renamed to nvidia.com/gpu.shared",
         [_plugin({"p": _time_slicing(renameByDefault=True)}), _pool("p", {PLUGIN_LABEL: "p"}),
          _pod("p", {"nvidia.com/gpu": "1"})]),
    Case("nvidia-device-plugin-serves-the-request", "a MIG slice the node's layout does not have",
         [_mig({"all-disabled": _DISABLED, "p": _ENABLED}), _pool("p", {MIG_LABEL: "p"}),
          _pod("p", {"nvidia.com/mig-3g.40gb": "1"})]),
    Case("nvidia-device-plugin-serves-the-request", "one shared GPU, and a slice the layout has",
         [_plugin({"p": _time_slicing()}), _pool("p", {PLUGIN_LABEL: "p"}), _pod("p", {"nvidia.com/gpu": "1"}),
          _mig({"all-disabled": _DISABLED, "m": _ENABLED}), _pool("m", {MIG_LABEL: "m"}),
          _pod("m", {"nvidia.com/mig-1g.10gb": "1"})], refused=False),
]
