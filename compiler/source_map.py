"""Where every value of the spec was written: spec path -> (file, line, column)."""
from __future__ import annotations

from dataclasses import dataclass, field

from .diagnostics import Position

Path = tuple  # of str keys and int list indexes


@dataclass
class SourceMap:
    """Positions of keys and values. Paths are tuples as pydantic reports them: ('serving', 'api', 'replicas')."""

    file: str
    keys: dict[Path, Position] = field(default_factory=dict)
    values: dict[Path, Position] = field(default_factory=dict)

    def key(self, path: Path) -> Position:
        """Where the key of `path` is written (its nearest written ancestor if it is not)."""
        return self._nearest(path, prefer_key=True)

    def value(self, path: Path) -> Position:
        """Where the value of `path` is written (its nearest written ancestor if it is not)."""
        return self._nearest(path, prefer_key=False)

    def has(self, path: Path) -> bool:
        return path in self.values or path in self.keys

    def _nearest(self, path: Path, prefer_key: bool) -> Position:
        path = tuple(path)
        while path:
            first, second = (self.keys, self.values) if prefer_key else (self.values, self.keys)
            if path in first:
                return first[path]
            if path in second:
                return second[path]
            path = path[:-1]
            prefer_key = True  # a missing child is reported at its parent's key
        return self.values.get((), Position(self.file, 1, 1))

    def drop(self, prefix: Path) -> None:
        """Forget every position at or under `prefix` (the value there was replaced or removed)."""
        n = len(prefix)
        for table in (self.keys, self.values):
            for path in [p for p in table if p[:n] == prefix]:
                del table[path]

    def copy(self) -> "SourceMap":
        return SourceMap(self.file, dict(self.keys), dict(self.values))

    def graft(self, other: "SourceMap", source_prefix: Path, target_prefix: Path) -> None:
        """Copy `other`'s positions under `source_prefix` to `target_prefix` (overlays: env values land on the base)."""
        n = len(source_prefix)
        for mine, theirs in ((self.keys, other.keys), (self.values, other.values)):
            for path, position in theirs.items():
                if path[:n] == source_prefix and len(path) > n:
                    mine[target_prefix + path[n:]] = position
