"""Reading the reference data and the current window: local paths, file:// and s3:// URIs.

Every URI comes from the spec and is untrusted: it is checked again here (the config in the pod
could have been edited), local paths are resolved (symlinks too) and refused under the kernel's
and the service account's directories, and only the formats below are parsed.

Formats: parquet, csv and jsonl are read with pyarrow's dataset reader (a file, or a directory of
files read recursively); kserve-logger is JSON lines of the CloudEvents KServe's inference logger
sends (pkg/logger/worker.go at v0.20.0: type `org.kubeflow.serving.inference.request` /
`.response`, the request id as the event id, the body as `data`), one row per instance.
s3:// goes through pyarrow's S3 filesystem (credentials and region from the usual AWS_*
environment variables; AWS_ENDPOINT_URL for an S3-compatible store).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from compiler.spec.monitoring import check_data_path

#: Local paths a data source may never be read from: kernel interfaces and mounted credentials.
FORBIDDEN_ROOTS = ("/proc", "/sys", "/dev", "/var/run/secrets", "/run/secrets", "/etc")
DATASET_FORMATS = {"parquet": "parquet", "csv": "csv", "jsonl": "json"}
CE_REQUEST = "org.kubeflow.serving.inference.request"
CE_RESPONSE = "org.kubeflow.serving.inference.response"
#: Bytes of JSON lines read from one kserve-logger source at most (a window, not an archive).
MAX_LOG_BYTES = 512 * 1024 * 1024


class SourceError(Exception):
    """A data source that cannot be read; the job fails with this message."""


@dataclass(frozen=True)
class Table:
    rows: pd.DataFrame
    uri: str


def _filesystem(uri: str):
    from pyarrow import fs

    try:
        check_data_path(uri)
    except Exception as error:  # pydantic_core.PydanticCustomError
        raise SourceError(f"refusing data path {uri[:200]!r}: {error}") from None
    if uri.startswith("s3://"):
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        return fs.S3FileSystem(region=region, endpoint_override=os.environ.get("AWS_ENDPOINT_URL") or None), uri[5:]
    path = os.path.realpath(uri.removeprefix("file://"))
    if any(path == root or path.startswith(root + "/") for root in FORBIDDEN_ROOTS):
        raise SourceError(f"refusing data path {uri!r}: it resolves to {path}, under a system directory")
    return fs.LocalFileSystem(), path


def read_table(uri: str, data_format: str, *, prediction_column: str = "prediction") -> Table:
    """All rows of a source as a DataFrame (columns as stored; kserve-logger: one row per instance)."""
    filesystem, path = _filesystem(uri)
    try:
        if data_format == "kserve-logger":
            return Table(_read_kserve_log(filesystem, path, prediction_column), uri)
        import pyarrow.dataset as ds

        dataset = ds.dataset(path, filesystem=filesystem, format=DATASET_FORMATS[data_format])
        return Table(dataset.to_table().to_pandas(), uri)
    except (OSError, ValueError) as error:  # pyarrow's ArrowInvalid is a ValueError
        raise SourceError(f"cannot read {uri} as {data_format}: {error}") from None


def _files(filesystem, path: str) -> list[str]:
    from pyarrow import fs

    info = filesystem.get_file_info(path)
    if info.type == fs.FileType.File:
        return [path]
    if info.type != fs.FileType.Directory:
        raise FileNotFoundError(f"{path}: no such file or directory")
    selector = fs.FileSelector(path, recursive=True)
    return sorted(i.path for i in filesystem.get_file_info(selector)
                  if i.type == fs.FileType.File and not os.path.basename(i.path).startswith((".", "_")))


def _read_kserve_log(filesystem, path: str, prediction_column: str) -> pd.DataFrame:
    requests: dict[str, tuple[str, list[dict]]] = {}
    responses: dict[str, list] = {}
    budget = MAX_LOG_BYTES
    for name in _files(filesystem, path):
        with filesystem.open_input_stream(name) as stream:
            raw = stream.read(budget + 1)
        budget -= len(raw)
        if budget < 0:
            raise SourceError(f"the inference log under {path} is larger than {MAX_LOG_BYTES // 2**20} MiB: "
                              "shorten the window or partition the sink's output")
        for line in raw.decode("utf-8").splitlines():
            if not line.strip():
                continue
            event = json.loads(line)
            data = event.get("data")
            if isinstance(data, str):
                data = json.loads(data)
            if event.get("type") == CE_REQUEST:
                requests[event["id"]] = (event.get("time"), _instances(data))
            elif event.get("type") == CE_RESPONSE:
                responses[event["id"]] = _predictions(data)
    rows = []
    for event_id, (when, instances) in requests.items():
        predictions = responses.get(event_id, [])
        for index, instance in enumerate(instances):
            row = {"timestamp": when, **instance}
            if index < len(predictions):
                prediction = predictions[index]
                row.update(prediction if isinstance(prediction, dict) else {prediction_column: prediction})
            rows.append(row)
    return pd.DataFrame(rows)


def _instances(body: dict) -> list[dict]:
    """Named instances of a v1 (`instances`) or v2 (`inputs`) request body."""
    if "instances" in body:
        return [row if isinstance(row, dict) else {f"input_{i}": v for i, v in enumerate(row)}
                for row in body["instances"]]
    columns = {item["name"]: list(np.asarray(item["data"]).reshape(item["shape"][0], -1)[:, 0])
               for item in body.get("inputs", [])}
    count = len(next(iter(columns.values()))) if columns else 0
    return [{name: values[i] for name, values in columns.items()} for i in range(count)]


def _predictions(body: dict) -> list:
    if "predictions" in body:
        return list(body["predictions"])
    outputs = body.get("outputs") or []
    return list(np.asarray(outputs[0]["data"]).ravel()) if outputs else []


def epoch_seconds(values: pd.Series) -> pd.Series:
    """Event times as Unix seconds (floats): numbers are taken as seconds, text as ISO 8601 (UTC if unzoned)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    stamps = pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")
    # Not via int64: pandas 3 keeps the parsed resolution (s, ms, us or ns).
    return (stamps - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)


def window(table: Table, timestamp_column: str, start: float, end: float) -> tuple[pd.DataFrame, float | None]:
    """(rows with start <= event time < end, the newest event time of the whole source)."""
    rows = table.rows
    if timestamp_column not in rows.columns:
        raise SourceError(f"{table.uri} has no timestamp column {timestamp_column!r} "
                          f"(columns: {', '.join(map(str, rows.columns[:20]))})")
    times = epoch_seconds(rows[timestamp_column])
    newest = float(times.max()) if times.notna().any() else None
    return rows[(times >= start) & (times < end)].reset_index(drop=True), newest
