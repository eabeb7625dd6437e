"""Which tasks Ruffus 3.0.0's flowchart draws, and how: its depth-first walk from the targets.

The walk finds the tasks to run, the up-to-date ones that stop it, and dependency cycles.
Ruffus keeps its targets (and each task's children) in Python sets, so with several
targets and branching its node order can vary from run to run. Here both are taken in
task creation order, which is also the order Ruffus produces most often, so the output is
stable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..model.task import ALL_TASKS, Task

_WHITE, _GRAY, _BLACK = 0, 1, 2
_IGNORE, _NOTE, _END = 0, 1, 2  # what a walk does with up-to-date ("signalling") tasks


def _parents(task: Task) -> list[Task]:
    return task.parents


def _children(task: Task) -> list[Task]:
    return task.children


class _Walk:
    """One depth-first walk, post-order, recording what Ruffus' walk records.

    In ``_NOTE`` mode up-to-date tasks are only noted; in ``_END`` mode the walk
    stops before them unless they are forced.
    """

    def __init__(
        self,
        mode: int = _IGNORE,
        forced: Iterable[Task] = (),
        up_to_date: Callable[[Task], bool] | None = None,
    ) -> None:
        self.mode = mode
        self.forced = set(forced)
        self.up_to_date = up_to_date
        self.signalling: set[Task] = set()
        self.back_edges: set[tuple[Task, Task]] = set()
        self.back_nodes: set[Task] = set()
        self.examined: list[tuple[Task | None, Task | None, Task | None]] = []
        self.finished: list[Task] = []

    def _stop_before(self, task: Task) -> bool:
        if self.mode == _IGNORE:
            return False
        if self.mode == _NOTE:
            if self.up_to_date(task):
                self.signalling.add(task)
            return False
        if task in self.forced:
            return False
        if self.up_to_date(task):
            self.signalling.add(task)
            return True
        return False

    def run(self, starts: list[Task], edges: Callable[[Task], list[Task]]) -> _Walk:
        """Walk from each start in turn (from every task ever made when there are none)."""
        colour: dict[Task, int] = {}
        for start in starts or list(ALL_TASKS):
            if colour.get(start, _WHITE) == _WHITE:
                self._visit(start, colour, edges)
        return self

    def _visit(self, root: Task, colour: dict[Task, int], edges: Callable) -> None:
        colour[root] = _GRAY
        if self._stop_before(root):
            colour[root] = _BLACK
            return
        stack = [(root, edges(root), 0)]
        while stack:
            node, out, pos = stack.pop()
            while pos < len(out):
                nxt = out[pos]
                pos += 1
                self.examined.append((node, nxt, None))
                seen = colour.get(nxt, _WHITE)
                if self._stop_before(nxt):
                    colour[nxt] = _BLACK
                    continue
                if seen == _WHITE:
                    stack.append((node, out, pos))
                    node, out, pos = nxt, edges(nxt), 0
                    colour[node] = _GRAY
                elif seen == _GRAY:
                    self.back_edges.add((node, nxt))
            colour[node] = _BLACK
            self.examined.append((None, None, node))
            self.finished.append(node)

    def find_cycles(self) -> None:
        """Add every edge and task on a cycle closed by a back edge (Ruffus' way of finding them)."""
        edges = self.examined
        on_cycle: set[tuple[Task, Task]] = set()
        for last, first in self.back_edges:
            pos = 0
            while True:
                start = next((i for i in range(pos, len(edges)) if edges[i][0] == first), None)
                if start is None:
                    break
                pos = start if edges[start][1] == last else start + 1
                for i in range(pos, len(edges)):
                    frm, to, _ = edges[i]
                    if to == last:
                        span = edges[start : i + 1]
                        backtracked = {n for f, t, n in span if t is None}
                        for f, t, _ in span:
                            if f is None or f in backtracked or t in backtracked:
                                continue
                            on_cycle.add((f, t))
                            self.back_nodes.update((f, t))
                        pos = i + 1
                        break
                    if frm == first:
                        pos = i if i > pos else pos + 1
                        break
                else:
                    break
        self.back_edges |= on_cycle


def with_descendants(tasks: list[Task]) -> list[Task]:
    """The tasks and everything downstream, downstream first."""
    return _Walk().run(tasks, _children).finished


def reachable(tasks: list[Task], children_as_well: bool) -> list[Task]:
    """The tasks drawn: the targets' ancestors (and their descendants' ancestors)."""
    if children_as_well:
        tasks = with_descendants(tasks)
    return _Walk().run(tasks, _parents).finished


def walk_plan(
    targets: list[Task],
    forced: list[Task],
    maximal: bool,
    test_all: bool,
    up_to_date: Callable[[Task], bool],
) -> tuple[list[Task], set[Task], set, set[Task]]:
    """(tasks to run, up-to-date tasks, cycle edges, cycle tasks), as the flowchart sees them."""
    signalling: set[Task] = set()
    if test_all:
        signalling = _Walk(_NOTE, (), up_to_date).run(targets, _parents).signalling
    if maximal:
        walk = _Walk().run(targets, _parents)
        if walk.back_edges:
            walk.find_cycles()
            return walk.finished, walk.signalling, walk.back_edges, walk.back_nodes
        include = set(with_descendants(forced)) if forced else set()
        for task in walk.finished:
            if task in include:
                continue
            if up_to_date(task):
                signalling.add(task)
            else:
                include.update(with_descendants([task]))
        return [t for t in walk.finished if t in include], signalling, set(), set()
    must = with_descendants(forced) if forced else []
    walk = _Walk(_END, must, up_to_date).run(targets, _parents)
    if walk.back_edges:
        walk.find_cycles()
    return walk.finished, signalling | walk.signalling, walk.back_edges, walk.back_nodes


