"""Every setting of ruffus-luigi, declared once.

Each row says the setting's name, type and default, the environment variable that sets it,
the ``luigi.cfg`` section holding it, whether a ``[ruffus_luigi.task.<name>]`` section may set
it for one task, the option a ``ruffus.cmdline`` script gains for it, and its help. From this
table come the defaults ``config`` reads without Luigi, Luigi's ``Config`` class
(``luigi_settings``), the ``ruffus.cmdline`` options (``cmdline``) and the settings tables of
README.md and docs/configuration.md (``markdown``; ``tests/unit/test_settings_table.py``
fails when a document drifts from it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SECTION = "ruffus_luigi"
TASK_SECTION = "ruffus_luigi.task."  # + a task's name: that task's own values


@dataclass(frozen=True)
class Setting:
    """One setting; ``""`` in ``env``, ``section`` or ``flag`` means it has none of that."""

    name: str  # the luigi.cfg key, the pipeline_run keyword and the command line's dest
    type: type
    default: Any
    help: str  # plain text: Luigi's description and the README's meaning
    env: str = ""
    section: str = ""
    per_task: bool = False
    doc: str = ""  # markdown for docs/configuration.md, when it says more than ``help``
    doc_default: str = ""  # the default as docs/configuration.md writes it
    flag: str = ""
    metavar: str = ""
    flag_help: str = ""
    internal: bool = False  # set by ruffus-luigi for the processes it starts: in no document

    @property
    def flag_default(self) -> Any:
        """The command line's default: None for a configured setting, so configuration applies."""
        return None if self.section or self.env else self.default


SETTINGS: tuple[Setting, ...] = (
    Setting(
        name="scheduler_host", type=str, default=None, env="RUFFUS_LUIGI_SCHEDULER_HOST",
        help="A luigid host (port: the scheduler_port keyword, else 8082); taken before scheduler_url.",
        doc="a luigid host (port: the `scheduler_port` keyword, else 8082); taken before `scheduler_url`",
        flag="--scheduler-host", metavar="HOST",
        flag_help="run through the luigid on HOST (default: Luigi's local scheduler)",
    ),
    Setting(
        name="scheduler_port", type=int, default=8082,
        help="luigid's port, with scheduler_host.",
        flag="--scheduler-port", metavar="PORT", flag_help="luigid's port (8082)",
    ),
    Setting(
        name="jobs_per_luigi_task", type=int, default=0, env="RUFFUS_LUIGI_JOBS_PER_LUIGI_TASK", section=SECTION,
        help="Jobs per Luigi task; 0 chooses automatically (1 job each up to 50 "
        "jobs per Ruffus task, else 4 Luigi tasks per worker, at least 8 and at most 50).",
        doc="jobs per Luigi task (chunk). Automatic: one job per Luigi task while a Ruffus task has at most 50 "
        "jobs, else 4 Luigi tasks per worker (at least 8, at most 50)",
        doc_default="`0` (automatic)",
        flag="--jobs-per-luigi-task", metavar="N", flag_help="jobs per Luigi task (default: automatic)",
    ),
    Setting(
        name="scheduler_url", type=str, default="", env="RUFFUS_LUIGI_SCHEDULER_URL", section=SECTION,
        help="URL of a luigid to use (e.g. http://127.0.0.1:8082/); empty means the "
        "local scheduler unless [core] names a default scheduler.",
        doc="a luigid to use, e.g. `http://127.0.0.1:8082/`; empty: Luigi's local scheduler, unless `[core]` "
        "names `default_scheduler_host` or `default_scheduler_url`",
        doc_default="empty",
    ),
    Setting(
        name="scheduler_timeout", type=float, default=30.0, env="RUFFUS_LUIGI_SCHEDULER_TIMEOUT", section=SECTION,
        help="Seconds a run keeps trying a luigid that does not answer (not listening, silent, "
        "HTTP errors, not JSON) before it stops with an error naming its URL; a luigid restarted "
        "within this time is reached again and the run carries on.",
        doc="seconds a run keeps trying a luigid that does not answer as luigid (nothing listening, a connection "
        "that stays silent, HTTP errors, a reply that is not luigid's JSON) before it stops with one line naming "
        "the URL and what to check (see [errors](#errors-that-need-no-traceback)); a luigid restarted within "
        "this time is reached again and the run carries on. Replaces Luigi's `[core] rpc-retry-attempts`/"
        "`rpc-retry-wait` for ruffus-luigi runs; `[core] rpc-connect-timeout` still caps each attempt",
        doc_default="`30`",
    ),
    Setting(
        name="backend", type=str, default="", env="RUFFUS_LUIGI_BACKEND", section=SECTION,
        help="Back end that runs jobs: local (the default, jobs run in Luigi's workers), "
        "drmaa, slurm or any installed plugin's. Options of back end X are in [ruffus_luigi.backend.X].",
        doc="where jobs run: `local`, or an installed plugin's back end such as `drmaa` or `slurm` "
        "([back ends](backends.md)); checked before any job",
        doc_default="empty (`local`)",
        flag="--backend", metavar="NAME",
        flag_help="back end running the jobs: local, drmaa, slurm, ... (default: local)",
    ),
    Setting(
        name="run_job_backend", type=str, default="", env="RUFFUS_LUIGI_RUN_JOB_BACKEND", section=SECTION,
        help="Back end for drmaa_wrapper.run_job's commands when it differs from backend "
        "(e.g. slurm here and backend local: the pipeline's jobs stay local, their commands go to Slurm).",
        doc="where `drmaa_wrapper.run_job` sends its commands, when that differs from `backend` (called inside "
        "a cluster job, it runs the command in that job: "
        "[back ends](backends.md#run_job-inside-a-job-that-runs-on-the-cluster))",
        doc_default="empty (`backend`'s value)",
    ),
    Setting(
        name="lost_job_retries", type=int, default=2, env="RUFFUS_LUIGI_LOST_JOB_RETRIES", section=SECTION,
        help="How often a job the cluster lost (no state, no exit code) is resubmitted.",
        doc="how often a job the cluster lost (no state, no exit code) is resubmitted",
        doc_default="`2`",
    ),
    Setting(
        name="job_group_size", type=int, default=20, env="RUFFUS_LUIGI_JOB_GROUP_SIZE", section=SECTION,
        per_task=True,
        help="On a cluster back end that can group jobs, the most Ruffus jobs of a task one cluster job "
        "runs, one after another (1: each job is a cluster job of its own). A task can set its own in "
        "[ruffus_luigi.task.<name>] job_group_size.",
        doc="on a cluster back end that can group jobs (`slurm`, `drmaa`), the most Ruffus jobs of a task that "
        "one cluster job runs, one after another, each with its own logs, exit code, result and retries "
        "(`1`: every job is a cluster job of its own; see [grouped jobs](backends.md#grouped-jobs))",
        doc_default="`20`",
    ),
    Setting(
        name="retry_count", type=int, default=1, env="RUFFUS_LUIGI_RETRY_COUNT", section=SECTION, per_task=True,
        help="Attempts a failing job gets in all, as Luigi's retry_count counts them (1: no "
        "retry). A task can set its own in [ruffus_luigi.task.<name>] retry_count.",
        doc="attempts a failing job gets in all, counted as Luigi counts its `retry_count` (`3`: the first try "
        "and two more). Applies on every back end, to the failed jobs only, inside their Luigi task (see "
        "[retries](#retries))",
        doc_default="`1` (no retry)",
    ),
    Setting(
        name="retry_delay", type=float, default=1.0, env="RUFFUS_LUIGI_RETRY_DELAY", section=SECTION,
        help="Seconds to wait before trying a failed job again.",
        doc="seconds between a job's failure and its next attempt",
        doc_default="`1.0`",
    ),
    Setting(
        name="checkpoint", type=str, default="history", env="RUFFUS_LUIGI_CHECKPOINT", section=SECTION, per_task=True,
        help="Checkpoint strategies, comma-separated, applied in order: history (Ruffus' "
        "job history, always kept), atomic, zero-intermediates, remove-intermediates or any "
        "installed plugin's. A task can choose its own in [ruffus_luigi.task.<name>] checkpoint.",
        doc="checkpoint strategies, comma-separated, in order: `history`, `atomic`, `zero-intermediates`, "
        "`remove-intermediates` or a plugin's ([checkpoint strategies](checkpoints.md))",
        doc_default="`history`",
        flag="--checkpoint", metavar="NAME[,NAME...]",
        flag_help="checkpoint strategies: history, atomic, zero-intermediates, remove-intermediates, ... "
        "(default: history)",
    ),
    Setting(
        name="keep", type=str, default="", env="RUFFUS_LUIGI_KEEP", section=SECTION,
        help="Glob patterns (comma or space separated, relative to the working directory) "
        "of files zero-intermediates and remove-intermediates never touch.",
        doc="glob patterns (comma or space separated) of files `zero-intermediates` and `remove-intermediates` "
        "never touch; the keyword, the variable and the key add up",
        doc_default="empty",
    ),
    Setting(
        name="progress", type=str, default="auto", env="RUFFUS_LUIGI_PROGRESS", section=SECTION,
        help="Progress display: auto (a live status line on stderr when stdout is a terminal, "
        "nothing otherwise), 1 (also plain lines every 10 s when not a terminal), tasks (as 1, with a "
        "line per running task) or 0 (never).",
        doc="`auto`: a live status line on stderr (`[ruffus-luigi] tasks 3/7  jobs 1204/30011+  running 4  "
        "failed 0  elapsed 0:12  ETA 4:51`) when stdout is a terminal, erased around every other line and kept "
        "as a final line at verbose >= 1; it never wraps: on a narrow terminal (80 columns when the width is "
        "unknown) it drops `elapsed`, then spells the labels short (`[ruffus-luigi] t 12/37 j 123456/300011+ "
        "run 64 fail 3 ETA 12:34:56+`), then drops `running`, `tasks` and the prefix, never the ETA; nothing at "
        "all when stdout is not a terminal. `1`: the same, and plain lines on stderr every 10 s and at the end "
        "when stdout is not a terminal. `tasks`: as `1`, and under the status line one line per Ruffus task "
        "with jobs running (`  align  jobs 120/400  failed 2`; at most 10, never taller than the terminal), "
        "redrawn in place on a terminal, printed with each plain line otherwise. `0`: never",
        doc_default="`auto`",
    ),
    Setting(
        name="reasons", type=str, default="0", env="RUFFUS_LUIGI_REASONS", section=SECTION,
        help="1: a dry run (pipeline_printout, -n) ends with, per task that would run, how many of its jobs "
        "would run and why (output missing, input newer, function changed, forced, upstream will run, ...), "
        "after Ruffus' own printout, which stays as it is.",
        doc="`1`: a dry run (`pipeline_printout`, a `cmdline` script's `-n`) ends, after Ruffus' own printout "
        "(unchanged), with one line per task that would run, saying how many of its jobs would run and why, "
        "then one line per such job with its reason (`ruffus-luigi run --reasons` sets it; see "
        "[status](status.md#why-a-job-would-run))",
        doc_default="`0`",
    ),
    Setting(
        name="keep_outputs", type=bool, default=False, per_task=True,
        help="true: never zero or remove this task's outputs (also ruffus_luigi_keep_outputs = True on the "
        "task function).",
    ),
    Setting(
        name="in_cluster_job", type=str, default="", env="RUFFUS_LUIGI_IN_CLUSTER_JOB", internal=True,
        help="The task whose job runs on this cluster node, set by the node's job program so the processes "
        "a task function starts run their run_job commands in that job too.",
    ),
    Setting(
        name="log_level", type=str, default="CRITICAL", env="RUFFUS_LUIGI_LOG_LEVEL",
        help="The level of Luigi's own log (default CRITICAL: none); INFO shows scheduling and workers; "
        "DEBUG also keeps the traceback of errors otherwise shown in one line.",
        doc="the level of Luigi's own log (default `CRITICAL`: none); `INFO` shows scheduling and workers; "
        "`DEBUG` also keeps the traceback of the errors below that are otherwise one line",
    ),
    Setting(
        name="lock_wait", type=float, default=10.0, env="RUFFUS_LUIGI_LOCK_WAIT",
        help="Seconds a run waits for another run in the same working directory to end before refusing.",
        doc="seconds a run waits for another run in the same working directory to end before refusing "
        "(default 10; see [architecture](architecture.md#one-run-per-working-directory))",
    ),
    Setting(
        name="plan_cache", type=str, default="1", env="RUFFUS_LUIGI_PLAN_CACHE",
        help="0 turns the plan cache off.",
        doc="`0` turns the plan cache off (see [architecture](architecture.md))",
    ),
)

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}
CONFIGURED: tuple[Setting, ...] = tuple(s for s in SETTINGS if s.section == SECTION)  # [ruffus_luigi] keys
DEFAULTS: dict[str, Any] = {s.name: s.default for s in CONFIGURED}
TASK_RUN_KEYS: tuple[str, ...] = tuple(s.name for s in SETTINGS if s.per_task)  # in a task's section, next to its resources
FLAGS: tuple[Setting, ...] = tuple(s for s in SETTINGS if s.flag)  # options a ruffus.cmdline script gains
