"""Every private part of Luigi that ruffus-luigi relies on, named once, each with why.

Luigi offers no public way to change how its worker hands out and waits for tasks, nor how
its luigid client calls luigid, and ruffus-luigi must do both (see ``worker`` and
``luigid_http``). So this module is the one place that touches Luigi's underscored names
or relies on how its private methods behave; the rest of the package uses Luigi's public
API and the public names given here: ``Worker``'s hooks and accessors, ``RemoteScheduler``'s,
``luigi_task_process``, ``WorkerSchedulerFactoryBase``, ``urljoin`` and ``use_own_random``.

``PRIVATE`` lists each name with the parameters relied on; tests/unit/test_luigi_private.py
checks them against the installed Luigi, so an upgrade that renames or reshapes one fails
there, naming it, rather than in a run. pyproject.toml pins Luigi to the versions checked.

Behaviour relied on besides the names (checked by the same test where it can be):

- ``Worker._run_task`` calls ``_create_task_process``, then ``start()`` on what it returns
  when its ``use_multiprocessing`` is true, else ``run()``; ``_handle_next_task`` and
  ``_purge_children`` then use only its ``task``, ``use_multiprocessing``, ``is_alive()``,
  ``exitcode``, ``pid``, ``terminate()``, ``join()``, ``timeout_time``, ``worker_timeout``
  and ``status_reporter``: so ``slots.SlotRun`` can stand in for Luigi's ``TaskProcess``.
- A ``TaskProcess.run()`` puts its result on the worker's result queue, in whichever
  process it runs (a slot runs it for the driver's worker).
- ``Worker._get_work`` answers a ``GetWorkResponse`` with ``task_id`` and ``running_tasks``
  (the latter a list of dicts with ``task_id``, ``worker``, ``host``, ``username``, ``pid``).
- luigid lets a worker other than the one running a task change its status only while
  adding dependencies (``add_task(new_deps=...)``; see ``worker.RuffusWorker._make_pending``).
- A fetcher (``RemoteScheduler._fetcher``) has ``fetch(url, body, timeout)`` and ``raises``.
- ``luigi.worker``, ``luigi.target`` and ``luigi.local_target`` draw random numbers through
  the module-level name ``random``.
- A task's generator is sent back the ``paths`` of the ``DynamicRequirements`` it yielded
  (``translate.WithoutPaths`` sends nothing).
- Luigi logs its execution summary on ``luigi-interface`` as one message holding
  ``EXECUTION_SUMMARY_HEADER`` (``launch`` shows the run's own in its place).
- ``luigi --module M`` imports ``M`` inside ``CmdlineParser._attempt_load_module``, and runs
  no task before that call returns (``importing_for_luigi_command``).
- A task's id is the ``task_id`` attribute ``Task.__init__`` sets (from its public
  parameters only); the worker, luigid and ``Task.__eq__`` use only that attribute, and a
  yielded task is rebuilt by ``load_task`` from its family and ``to_str_params()`` (hidden
  parameters included). So a generated task sets its own id after ``__init__``, from
  every parameter (``luigid_view.task_id``), and hashes by it (tests/unit/test_luigid_view.py).
"""

from __future__ import annotations

import random
import sys
import threading
from dataclasses import dataclass
from typing import Any

import luigi.cmdline_parser
import luigi.interface
import luigi.local_target
import luigi.rpc
import luigi.target
import luigi.worker


@dataclass(frozen=True)
class PrivateName:
    """One private Luigi name relied on: where, the parameters used (None: an attribute), why."""

    owner: Any
    name: str
    parameters: tuple[str, ...] | None
    why: str
    on_instance: bool = False  # (set in ``__init__``: checked on an instance)


PRIVATE: tuple[PrivateName, ...] = (
    PrivateName(luigi.worker.Worker, "_create_task_process", ("self", "task"),
                "a chunk runs in a slot, in the driver or in Luigi's forked process"),
    PrivateName(luigi.worker.Worker, "_run_task", ("self", "task_id"),
                "the result of a task run in the driver is taken at once, not after another get_work"),
    PrivateName(luigi.worker.Worker, "_add", ("self", "task", "is_complete"),
                "a chunk is told to the scheduler once, not once per stage that requires it"),
    PrivateName(luigi.worker.Worker, "_get_work", ("self",),
                "chunks luigid still lists under a run that has ended are taken over"),
    PrivateName(luigi.worker.Worker, "_handle_next_task", ("self",),
                "waiting for our own tasks without asking luigid, and the run's progress"),
    PrivateName(luigi.worker.Worker, "_keep_alive", ("self", "get_work_response"),
                "a worker waits while another worker of a shared luigid runs a task ours need"),
    PrivateName(luigi.worker.Worker, "_running_tasks", None,
                "the processes running: counted at Ctrl-C, given time to end, progress", True),
    PrivateName(luigi.worker.Worker, "_scheduled_tasks", None,
                "the Luigi task luigid names by id (taken over, told once)", True),
    PrivateName(luigi.worker.Worker, "_id", None, "this worker among luigid's running tasks", True),
    PrivateName(luigi.worker.Worker, "_worker_info", None, "this worker's host and user", True),
    PrivateName(luigi.worker.Worker, "_scheduler", None, "a chunk taken over is made pending there", True),
    PrivateName(luigi.worker.Worker, "_task_result_queue", None,
                "whether a result is waiting, without taking it", True),
    PrivateName(luigi.interface, "_WorkerSchedulerFactory", None,
                "luigi.build takes a factory with its interface to make our worker and scheduler"),
    PrivateName(luigi.rpc.RemoteScheduler, "_request", ("self", "url", "data", "attempts", "allow_null"),
                "each luigid call: tried again until scheduler_timeout, then one clear error"),
    PrivateName(luigi.rpc, "_urljoin", ("base", "url"), "a call's URL, as Luigi makes it"),
    PrivateName(luigi.rpc.RemoteScheduler, "_url", None, "the luigid the client calls", True),
    PrivateName(luigi.rpc.RemoteScheduler, "_fetcher", None,
                "swapped for a kept-alive connection (a call in 0.4 ms, not a new connection each)", True),
    PrivateName(luigi.rpc.RemoteScheduler, "_connect_timeout", None,
                "an attempt waits no longer than Luigi's rpc-connect-timeout", True),
    PrivateName(luigi.worker, "fork_lock", None,
                "a whole run forked by Luigi's worker forks its own: the inherited lock is held"),
    PrivateName(luigi.cmdline_parser.CmdlineParser, "_attempt_load_module", ("known_args",),
                "a script's pipeline_run called while `luigi --module` imports it is deferred"),
)


class Worker(luigi.worker.Worker):
    """Luigi's worker with its private steps as public hooks: a subclass overrides the hooks.

    Each hook does by default what Luigi does; calling ``super()`` in an override runs Luigi's.
    """

    def _create_task_process(self, task: luigi.Task) -> Any:
        return self.task_process(task)

    def _run_task(self, task_id: str) -> None:
        self.run_task(task_id)

    def _add(self, task: luigi.Task, is_complete: bool) -> Any:
        return self.add_to_scheduler(task, is_complete)

    def _get_work(self) -> Any:
        return self.get_work()

    def _handle_next_task(self) -> None:
        self.handle_next_task()

    def _keep_alive(self, get_work_response: Any) -> bool:
        return self.keep_alive(get_work_response)

    def task_process(self, task: luigi.Task) -> Any:
        """What runs ``task``: Luigi's ``TaskProcess``, or an object behaving as one (see the module)."""
        return luigi.worker.Worker._create_task_process(self, task)

    def run_task(self, task_id: str) -> None:
        """Start the task the scheduler gave: ``task_process``, then its ``start()`` or ``run()``."""
        luigi.worker.Worker._run_task(self, task_id)

    def add_to_scheduler(self, task: luigi.Task, is_complete: bool) -> Any:
        """Tell the scheduler of a task; a generator of the dependencies to add next."""
        return luigi.worker.Worker._add(self, task, is_complete)

    def get_work(self) -> Any:
        """Ask the scheduler for a task: a ``luigi.worker.GetWorkResponse``."""
        return luigi.worker.Worker._get_work(self)

    def handle_next_task(self) -> None:
        """Wait (at most ``wait_interval``) for a task's result and handle it."""
        luigi.worker.Worker._handle_next_task(self)

    def keep_alive(self, get_work_response: Any) -> bool:
        """Whether to keep asking for work when there was none."""
        return luigi.worker.Worker._keep_alive(self, get_work_response)

    @property
    def running_processes(self) -> dict[str, Any]:
        """The task processes running, by task id (Luigi's own dict: it changes as they end)."""
        return self._running_tasks

    @property
    def scheduled_tasks(self) -> dict[str, luigi.Task]:
        """The tasks told to the scheduler, by task id."""
        return self._scheduled_tasks

    @property
    def worker_id(self) -> str:
        return self._id

    @property
    def worker_info(self) -> dict[str, Any]:
        """What the scheduler knows of this worker (host, username, pid...)."""
        return dict(self._worker_info)

    @property
    def luigi_scheduler(self) -> Any:
        return self._scheduler

    def result_waiting(self) -> bool:
        """Has a task process put a result on the queue that ``handle_next_task`` reads?"""
        return not self._task_result_queue.empty()


def luigi_task_process(worker: luigi.worker.Worker, task: luigi.Task) -> Any:
    """Luigi's own ``TaskProcess`` for a task of ``worker`` (whatever its hooks make)."""
    return luigi.worker.Worker._create_task_process(worker, task)


WorkerSchedulerFactoryBase = luigi.interface._WorkerSchedulerFactory
"""What ``luigi.build(worker_scheduler_factory=...)`` takes: ``create_local_scheduler``,
``create_remote_scheduler(url)``, ``create_worker(scheduler, worker_processes, assistant)``."""


class RemoteScheduler(luigi.rpc.RemoteScheduler):
    """Luigi's luigid client, each call through the public hook ``call``; its URL, timeout and fetcher."""

    def _request(self, url: str, data: Any, attempts: int = 3, allow_null: bool = True) -> Any:
        return self.call(url, data, allow_null)

    def call(self, url_suffix: str, data: Any, allow_null: bool) -> Any:
        """luigid's ``response`` to one call (Luigi's: three attempts 30 s apart)."""
        return luigi.rpc.RemoteScheduler._request(self, url_suffix, data, allow_null=allow_null)

    @property
    def url(self) -> str:
        return self._url

    @property
    def connect_timeout(self) -> float:
        """Luigi's ``[core] rpc-connect-timeout``."""
        return self._connect_timeout

    @property
    def fetcher(self) -> Any:
        """What makes each HTTP request: ``fetch(url, body, timeout)``, ``raises``, ``close()``."""
        return self._fetcher

    @fetcher.setter
    def fetcher(self, fetcher: Any) -> None:
        self._fetcher = fetcher


def urljoin(base: str, url: str) -> str:
    """A luigid call's URL from the scheduler's and the call's, as Luigi joins them."""
    return luigi.rpc._urljoin(base, url)


def forked_by_luigi_worker() -> None:
    """In a process Luigi's worker forked for a task: a Luigi worker can run here too.

    Luigi's worker forks holding ``luigi.worker.fork_lock``, so the child inherits it held,
    by a thread it does not have: a worker of its own would wait for it forever.
    """
    luigi.worker.fork_lock = threading.Lock()


def importing_for_luigi_command() -> bool:
    """Whether the ``luigi`` command is importing its ``--module`` now (its frame is on the stack)."""
    load = luigi.cmdline_parser.CmdlineParser._attempt_load_module.__code__
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code is load:
            return True
        frame = frame.f_back
    return False


EXECUTION_SUMMARY_HEADER = "===== Luigi Execution Summary ====="
"""What the message of Luigi's execution summary holds (``luigi.execution_summary.summary``)."""


RANDOM_DRAWING_MODULES = (luigi.worker, luigi.target, luigi.local_target)
"""Luigi's modules that draw from the module-level ``random`` (see ``luigi_random``)."""


def use_own_random(generator: random.Random) -> None:
    """Make Luigi's modules draw their random numbers from ``generator``."""
    for module in RANDOM_DRAWING_MODULES:
        module.random = generator  # type: ignore[attr-defined]
