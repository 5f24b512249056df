"""Data contracts: the small YAML file `monitoring.<endpoint>.data_quality.contract` names.

`mlops compile` reads each contract (relative to the spec, never outside the spec's directory, at
most MAX_BYTES), validates it here and puts the normalised form into the drift job's ConfigMap (a
missing file is a warning, as a missing lock entry is, and an error with `--frozen`);
the job (`mlops monitor drift`, compiler/monitor/quality.py) checks every current window against
it. The format (docs/monitor-jobs.md):

    apiVersion: mlops/v1
    kind: DataContract
    min_rows: 100                  # optional: fewer rows in the window fail the contract
    columns:
      amount: {type: float, nullable: false, min: 0, max: 100000}
      merchant_category: {type: string, allowed: [grocery, travel, online]}
      country: {type: string, max_null_fraction: 0.01}
      event_ts: {type: timestamp}

Every listed column must be present; `type` is checked on the column's values (int, float,
string, bool, timestamp); `nullable: false` allows no null, `max_null_fraction` a share of them;
`min`/`max` bound numeric values, `allowed` lists the permitted values. Columns not listed are
not checked.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, ValidationError, model_validator

from .diagnostics import Diagnostic, SpecError
from .spec.base import Number, SpecModel, empty_dict
from .validation import dotted

if TYPE_CHECKING:
    from .checked_spec import CheckedSpec

#: A contract is a short list of columns; anything larger is not one (and must not bloat a ConfigMap).
MAX_BYTES = 64 * 1024
COLUMN_TYPES = ("int", "float", "string", "bool", "timestamp")


class ColumnContract(SpecModel):
    type: Literal[COLUMN_TYPES] = Field(description="Type of the column's values.")
    nullable: bool = Field(True, description="Whether nulls are allowed at all.")
    max_null_fraction: Number | None = Field(None, ge=0, le=1, description="Largest share of nulls allowed.")
    min: Number | None = Field(None, description="Smallest value allowed (int and float columns).")
    max: Number | None = Field(None, description="Largest value allowed (int and float columns).")
    allowed: list[str | int | bool] | None = Field(None, min_length=1, description="The values allowed.")

    @model_validator(mode="after")
    def _consistent(self) -> "ColumnContract":
        if (self.min is not None or self.max is not None) and self.type not in ("int", "float"):
            raise ValueError(f"min/max bound numbers; this column is {self.type}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is larger than max ({self.max})")
        if not self.nullable and self.max_null_fraction:
            raise ValueError("nullable: false allows no null; drop max_null_fraction or set nullable: true")
        return self


class DataContract(SpecModel):
    api_version: Literal["mlops/v1"] = Field(alias="apiVersion", description="Format version.")
    kind: Literal["DataContract"] = Field(description="Always DataContract.")
    min_rows: int | None = Field(None, ge=0, description="Fewest rows a current window may have.")
    columns: dict[str, ColumnContract] = Field(default_factory=empty_dict, description="Checked columns by name.")


class MissingContract(SpecError):
    """The contract file does not exist (yet): like a missing lock entry, an error only when frozen."""


def read_contracts(checked: "CheckedSpec", *, frozen: bool = False) -> tuple[dict[str, dict | None], list[str]]:
    """(endpoint -> its contract normalised, or None when the file is missing; warnings).

    A missing file is a warning (the drift job then fails its data-quality check, loudly, until the
    file exists and the spec is compiled again) unless `frozen`; a path outside the spec's
    directory, an oversized or an invalid contract is always an error (SpecError at its position).
    """
    result: dict[str, dict | None] = {}
    warnings: list[str] = []
    problems: list[Diagnostic] = []
    for endpoint, monitor in sorted(checked.spec.monitoring.items()):
        quality = monitor.data_quality
        if quality is None or quality.contract is None:
            continue
        try:
            result[endpoint] = _read_one(checked, endpoint, quality.contract)
        except MissingContract as error:
            if frozen:
                problems += error.diagnostics
            else:
                result[endpoint] = None
                warnings += [d.render().replace(": error: ", ": warning: ", 1) + "\n  the drift job reports "
                             "data quality as failing until it exists" for d in error.diagnostics]
        except SpecError as error:
            problems += error.diagnostics
    if problems:
        raise SpecError(problems)
    return result, warnings


def _read_one(checked: "CheckedSpec", endpoint: str, relative: str) -> dict:
    path = ("monitoring", endpoint, "data_quality", "contract")
    position = checked.source_map.value(path)

    def refuse(message: str, hint: str, error: type[SpecError] = SpecError) -> SpecError:
        return error(Diagnostic(position, f"{dotted(path)}: {message}", path, hint))

    root = Path(checked.path).resolve().parent
    written = Path(relative)
    if written.is_absolute() or ".." in written.parts:
        raise refuse(f"{relative!r} must be a path inside the spec's directory", "write it relative to the spec, "
                     "without '..', e.g. contracts/transactions.yaml")
    target = (root / written).resolve()
    if not target.is_relative_to(root):
        raise refuse(f"{relative!r} leads outside the spec's directory (through a symlink)",
                     "keep the contract file inside the spec's directory")
    try:
        if not target.is_file():
            if target.exists():
                raise refuse(f"the contract {relative!r} is not a regular file", "point it at a YAML file")
            raise refuse(f"the contract file {relative!r} does not exist",
                         f"create it next to the spec ({root.name}/{relative}); docs/monitor-jobs.md gives the format",
                         MissingContract)
        with open(target, "rb") as file:
            raw = file.read(MAX_BYTES + 1)
    except OSError as error:
        raise refuse(f"cannot read {relative!r}: {error.strerror or error}", "check the file's permissions") from None
    if len(raw) > MAX_BYTES:
        raise refuse(f"{relative!r} is larger than {MAX_BYTES // 1024} KiB", "a contract lists columns and bounds; "
                     "keep it small (it is copied into a ConfigMap)")
    return parse_contract(raw, str(Path(checked.path).parent / written))


def parse_contract(raw: bytes, display_path: str) -> dict:
    """The normalised contract of one file's bytes; SpecError at positions inside the file."""
    from .loader import load_bytes

    document = load_bytes(raw, display_path)
    data, source_map = document.data, document.source_map
    try:
        contract = DataContract.model_validate(data)
    except ValidationError as error:
        diagnostics = []
        for item in error.errors(include_url=False):
            loc = tuple(item["loc"])
            where = source_map.value(loc) if source_map.has(loc) else source_map.key(loc[:-1] if loc else ())
            diagnostics.append(Diagnostic(where, f"{dotted(loc) or 'contract'}: {item['msg']}", loc,
                                          "see docs/monitor-jobs.md for the data-contract format"))
        raise SpecError(diagnostics) from None
    return contract.model_dump(mode="json", by_alias=True, exclude_none=True)

