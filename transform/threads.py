"""Comment threads: a tree from the parent ids the source names, in reading order.

Each thread reads parents before children, siblings by time and then by their position in
the source. A reply whose parent is not among the post's comments is kept as a top-level
comment, its ``parent_ref`` kept and ``orphan`` set. A cycle of parent links (which a broken
source can produce) is broken at its earliest comment, which becomes top-level and is
flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ThreadInput:
    id: str
    parent_ref: str | None
    position: int
    sort_time: str | None
    """UTC ISO timestamp (sortable as text), or None when unknown."""


@dataclass(frozen=True)
class ThreadPlace:
    id: str
    parent_id: str | None
    parent_ref: str | None
    depth: int
    thread_order: int
    orphan: bool
    cycle: bool


def build_threads(items: Sequence[ThreadInput]) -> list[ThreadPlace]:
    """Place every comment in its thread; returns them in thread order (parents first)."""
    by_id: dict[str, ThreadInput] = {}
    for item in items:
        by_id.setdefault(item.id, item)
    parent: dict[str, str | None] = {}
    orphan: set[str] = set()
    for item in by_id.values():
        ref = item.parent_ref
        if ref is None or ref == "":
            parent[item.id] = None
        elif ref in by_id and ref != item.id:
            parent[item.id] = ref
        else:
            parent[item.id] = None
            if ref != item.id:
                orphan.add(item.id)
    cycle: set[str] = {i.id for i in by_id.values() if i.parent_ref == i.id}

    def key(item: ThreadInput) -> tuple[int, str, int]:
        return (0, item.sort_time, item.position) if item.sort_time else (1, "", item.position)

    # break cycles: walk up from each node; a walk that returns to a node on its own path is a cycle
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in by_id:
        path: list[str] = []
        node: str | None = start
        while node is not None and state.get(node) is None:
            state[node] = 1
            path.append(node)
            node = parent[node]
        if node is not None and state.get(node) == 1:
            members = path[path.index(node):]
            head = min((by_id[m] for m in members), key=key).id
            parent[head] = None
            cycle.add(head)
        for n in path:
            state[n] = 2

    children: dict[str | None, list[ThreadInput]] = {}
    for item in by_id.values():
        children.setdefault(parent[item.id], []).append(item)

    def sort_siblings(siblings: list[ThreadInput]) -> list[ThreadInput]:
        if all(s.sort_time for s in siblings):
            return sorted(siblings, key=lambda s: (s.sort_time, s.position))
        return sorted(siblings, key=lambda s: s.position)

    out: list[ThreadPlace] = []
    stack: list[tuple[ThreadInput, int]] = [(r, 0) for r in reversed(sort_siblings(children.get(None, [])))]
    while stack:
        item, depth = stack.pop()
        out.append(
            ThreadPlace(
                id=item.id,
                parent_id=parent[item.id],
                parent_ref=item.parent_ref or None,
                depth=depth,
                thread_order=len(out),
                orphan=item.id in orphan,
                cycle=item.id in cycle,
            )
        )
        for child in reversed(sort_siblings(children.get(item.id, []))):
            stack.append((child, depth + 1))
    return out
