"""The cluster back ends on real clusters (fixtures ``sge`` and ``slurm`` of conftest.py).

For each of drmaa (Grid Engine) and slurm: the conformance kit, a Ruffus script run end to
end with its jobs on the cluster, and ``drmaa_wrapper.run_job``. Everything runs in
subprocesses started with the cluster's environment: libdrmaa loads only in a Python
started with it (see conftest.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHIM = str(REPO / "ruffus_luigi" / "shim")
PLUGINS = [str(p) for p in sorted((REPO / "plugins").glob("ruffus-luigi-*"))]  # this source's, not an older install's
BACKENDS = {"sge": "drmaa", "slurm": "slurm"}
JOB_ID_VARIABLE = {"sge": "JOB_ID", "slurm": "SLURM_JOB_ID"}
THREADS_VARIABLE = {"sge": "NSLOTS", "slurm": "SLURM_CPUS_PER_TASK"}


def run(cluster, args: list[str], cwd: Path, timeout: float = 600, **extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in cluster.env.items() if not k.startswith("RUFFUS_LUIGI_")}
    env["PYTHONPATH"] = os.pathsep.join([SHIM, str(REPO), *PLUGINS])
    env.update(extra)
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


# ---------------------------------------------------------------------------- conformance kit

KIT = """
import pytest
from ruffus_luigi import plugins
from ruffus_luigi.testing.backend_conformance import BackendConformance


class TestOnCluster(BackendConformance):
    timeout = 180.0

    @pytest.fixture
    def backend(self):
        backend = plugins.create_backend({backend!r})
        yield backend
        backend.close()
"""


def test_conformance_kit(cluster, tmp_path):
    backend = BACKENDS[cluster.name]
    (tmp_path / "test_kit.py").write_text(KIT.format(backend=backend))
    done = run(
        cluster,
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "t"), "test_kit.py"],
        tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    from ruffus_luigi.testing.backend_conformance import BackendConformance

    cases = sum(1 for name in dir(BackendConformance) if name.startswith("test_"))
    assert "%d passed" % cases in done.stdout and "failed" not in done.stdout, done.stdout


# ------------------------------------------------------------------------------- a pipeline

PIPELINE = textwrap.dedent(
    """
    import json, os, sys
    from ruffus import *

    def record(name):
        with open(name + ".where", "w") as f:
            json.dump({"pid": os.getpid(), "env": dict(os.environ)}, f)

    @originate(["a.txt", "b.txt", "c.txt"])
    def make(out):
        record(out)
        open(out, "w").write(out)

    @transform(make, suffix(".txt"), ".up")
    def up(i, o):
        record(o)
        if os.environ.get("FAIL_B") and i == "b.txt":
            raise ValueError("b is bad")
        if os.environ.get("FAIL_B_ONCE") and i == "b.txt" and not os.path.exists("b.failed"):
            open("b.failed", "w").close()
            raise ValueError("b failed once")
        open(o, "w").write(open(i).read().upper())
    up.ruffus_luigi_resources = {"memory": "2G", "walltime": "0:10:00"}

    @merge(up, "all.txt")
    def combine(ins, out):
        record(out)
        open(out, "w").write("+".join(open(i).read() for i in ins))

    if __name__ == "__main__":
        record("main")
        pipeline_run(multiprocess=int(sys.argv[1]), verbose=1)
    """
)

LUIGI_CFG = """
[ruffus_luigi.task.up]
threads = 2
"""


def where(workdir: Path, name: str) -> dict:
    return json.loads((workdir / (name + ".where")).read_text())


def test_ruffus_pipeline_runs_its_jobs_on_the_cluster(cluster, tmp_path):
    (tmp_path / "pipeline.py").write_text(PIPELINE)
    (tmp_path / "luigi.cfg").write_text(LUIGI_CFG)
    backend = BACKENDS[cluster.name]
    done = run(cluster, [sys.executable, "pipeline.py", "3"], tmp_path, RUFFUS_LUIGI_BACKEND=backend)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "all.txt").read_text() == "A.TXT+B.TXT+C.TXT"
    main = where(tmp_path, "main")
    job_ids = set()
    for name in ("a.txt", "b.txt", "c.txt", "a.up", "b.up", "c.up", "all.txt"):
        job = where(tmp_path, name)
        assert job["pid"] != main["pid"]
        job_ids.add(job["env"][JOB_ID_VARIABLE[cluster.name]])  # a cluster job
    assert len(job_ids) == 7
    # resources: threads from luigi.cfg's [ruffus_luigi.task.up]
    assert where(tmp_path, "a.up")["env"][THREADS_VARIABLE[cluster.name]] == "2"
    rerun = run(cluster, [sys.executable, "pipeline.py", "3"], tmp_path, RUFFUS_LUIGI_BACKEND=backend)
    assert rerun.returncode == 0 and "Task enters queue" not in rerun.stderr


def test_failed_cluster_job_is_a_ruffus_error(cluster, tmp_path):
    (tmp_path / "pipeline.py").write_text(PIPELINE)
    backend = BACKENDS[cluster.name]
    done = run(cluster, [sys.executable, "pipeline.py", "3"], tmp_path, RUFFUS_LUIGI_BACKEND=backend, FAIL_B="1")
    assert done.returncode != 0
    assert "builtins.ValueError(b is bad)" in done.stderr and "Job  = [b.txt -> b.up]" in done.stderr
    assert (tmp_path / "a.up").exists() and not (tmp_path / "all.txt").exists()


def test_failed_cluster_job_is_retried_with_retry_count(cluster, tmp_path):
    (tmp_path / "pipeline.py").write_text(PIPELINE)
    backend = BACKENDS[cluster.name]
    done = run(
        cluster, [sys.executable, "pipeline.py", "3"], tmp_path,
        RUFFUS_LUIGI_BACKEND=backend, RUFFUS_LUIGI_RETRY_COUNT="2", RUFFUS_LUIGI_RETRY_DELAY="0", FAIL_B_ONCE="1",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "b failed once" in done.stderr and "trying again" in done.stderr
    assert (tmp_path / "b.failed").exists() and (tmp_path / "all.txt").read_text() == "A.TXT+B.TXT+C.TXT"
    job = where(tmp_path, "b.up")  # the second attempt was a cluster job too
    assert JOB_ID_VARIABLE[cluster.name] in job["env"]


# ------------------------------------------------------------------------- drmaa_wrapper.run_job

RUN_JOB = textwrap.dedent(
    """
    import json, os, sys
    from ruffus.drmaa_wrapper import run_job, error_drmaa_job

    session = None
    if sys.argv[1] == "session":  # an SGE script as written for Ruffus
        import drmaa
        session = drmaa.Session()
        session.initialize()
    work = os.getcwd()
    out, err = run_job(
        'echo "job $%s"; echo "$GREETING"; pwd; echo to-stderr >&2' % sys.argv[2],
        job_name="wrapped", job_other_options="-l h_rt=0:05:00 -pe smp 1",
        job_environment={"GREETING": "hello"}, working_directory=work,
        job_script_directory=os.path.join(work, "scripts"), drmaa_session=session,
    )
    try:
        run_job("echo failing; exit 3", drmaa_session=session, job_script_directory=os.path.join(work, "scripts"))
        failure = None
    except error_drmaa_job as e:
        failure = str(e)
    print(json.dumps({"out": out, "err": err, "failure": failure}))
    """
)


def test_drmaa_wrapper_run_job(cluster, tmp_path):
    (tmp_path / "run_job.py").write_text(RUN_JOB)
    variable = JOB_ID_VARIABLE[cluster.name]
    if cluster.name == "sge":  # Ruffus' way: nothing configured, the script's DRMAA session
        done = run(cluster, [sys.executable, "run_job.py", "session", variable], tmp_path)
    else:  # the same SGE-style call sent to Slurm by configuration only
        done = run(cluster, [sys.executable, "run_job.py", "none", variable], tmp_path, RUFFUS_LUIGI_BACKEND="slurm")
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    job_line, greeting, pwd = result["out"]
    assert job_line.startswith("job ") and job_line.strip() != "job"
    assert (greeting, pwd, result["err"]) == ("hello\n", str(tmp_path) + "\n", ["to-stderr\n"])
    assert "exited with status 3" in result["failure"] and "failing" in result["failure"]


def test_ruffus_pool_manager_module_on_grid_engine(sge, monkeypatch, tmp_path):
    """Ruffus 3.0.0's own test_pool_manager.py, whose remote jobs call run_job with a DRMAA session.

    Its multithread case runs them on Grid Engine; its multiprocess case expects its jobs in
    exactly 4 processes (``multiprocess=4``). The suite runner uses the cluster again from
    this process, nested in this fixture's use: the cluster must stay up for the tests after.
    """
    sys.path.insert(0, str(REPO / "tools"))
    try:
        import ruffus_suite
    finally:
        sys.path.pop(0)
    for key, value in sge.vars.items():
        monkeypatch.setenv(key, value)
    ruffus_suite.run_module(ruffus_suite.reference_tests(), "test_pool_manager.py", tmp_path)
    log = (tmp_path / "test_pool_manager.log").read_text()
    cases = {
        case.get("name"): "failed" if case.find("failure") is not None or case.find("error") is not None
        else "skipped" if case.find("skipped") is not None else "passed"
        for case in ET.parse(tmp_path / "test_pool_manager.xml").getroot().iter("testcase")
    }
    assert cases["test_pipeline_runs_with_multithreading"] == "passed", log
    assert cases["test_pipeline_runs_with_multiprocessing"] == "passed", log
    assert cases["test_pipeline_fails_with_unknown_manager"] == "passed", log
    assert sge.run(["qstat", "-f"]).returncode == 0, "the nested use stopped the cluster"


# --------------------------------------------------------------- the same outputs everywhere

PIPELINES = REPO / "tests" / "pipelines"
SAME_PIPELINES = ["branches.py", "chain_collate_split.py"]
JOB_FILES = ".ruffus_luigi"  # a cluster back end's job scripts, logs and exit code files


def outputs(workdir: Path) -> dict[str, bytes | None]:
    """Every file (bytes) and directory (None) a run left, the job files and history left out."""
    found: dict[str, bytes | None] = {}
    for root, dirs, files in os.walk(workdir):
        dirs[:] = [d for d in dirs if d != JOB_FILES]
        rel_root = os.path.relpath(root, workdir)
        for d in dirs:
            found[os.path.normpath(os.path.join(rel_root, d))] = None
        for f in files:
            rel = os.path.normpath(os.path.join(rel_root, f))
            if not rel.startswith(".ruffus_history.sqlite"):
                found[rel] = Path(root, f).read_bytes()
    return found


def cluster_jobs_ended(cluster) -> int:
    """How many jobs the cluster's accounting knows (qacct; sacct -c reads the completion file)."""
    if cluster.name == "sge":
        done = cluster.run(["qacct", "-j"])
        return sum(line.startswith("jobnumber") for line in done.stdout.splitlines())
    done = cluster.run(["sacct", "-c", "-n", "-X", "-P", "--format=JobID", "-S", "2000-01-01"])
    return len(done.stdout.split())


def test_same_pipelines_give_byte_identical_outputs_on_local_drmaa_and_slurm(sge, slurm, tmp_path):
    """Each pipeline of tests/pipelines runs on local, on Grid Engine (drmaa) and on Slurm, 4 jobs
    in flight: every output file is byte for byte the same, and the cluster runs' jobs did run as
    cluster jobs (the cluster's accounting gained a job per Ruffus job)."""
    for script in SAME_PIPELINES:
        runs = {}
        for backend, cluster in (("local", sge), ("drmaa", sge), ("slurm", slurm)):
            workdir = tmp_path / script[:-3] / backend
            workdir.mkdir(parents=True)
            (workdir / script).write_bytes((PIPELINES / script).read_bytes())
            before = cluster_jobs_ended(cluster)
            done = run(cluster, [sys.executable, script, "1", "run"], workdir, RUFFUS_LUIGI_BACKEND=backend, MP="4")
            assert done.returncode == 0, "%s on %s:\n%s%s" % (script, backend, done.stdout, done.stderr)
            ran = cluster_jobs_ended(cluster) - before
            if backend != "local":
                assert ran >= 5, "%s on %s: only %d cluster jobs" % (script, backend, ran)
            runs[backend] = outputs(workdir)
        assert len([v for v in runs["local"].values() if v]) >= 5
        assert runs["drmaa"] == runs["local"], script
        assert runs["slurm"] == runs["local"], script


# ------------------------------------------------- 200 jobs: one status query per poll cycle

MANY = textwrap.dedent(
    """
    import json, os, sys, threading, time
    from ruffus_luigi import plugins
    from ruffus_luigi.backends.base import JobSpec
    from ruffus_luigi.execution.dispatch import Dispatcher

    name, count, work = sys.argv[1], int(sys.argv[2]), os.getcwd()
    backend = plugins.create_backend(name, poll_interval=0.5)
    specs = [JobSpec.in_dir("many%03d" % i, work + "/logs", work, command="echo %d" % i) for i in range(count)]
    me, peak, stop = os.getpid(), {"threads": 0, "children": 0}, threading.Event()

    def watch():  # this process's threads and child processes, while the jobs are in flight
        while not stop.is_set():
            peak["threads"] = max(peak["threads"], len(os.listdir("/proc/self/task")))
            children = 0
            for task in os.listdir("/proc/self/task"):
                with open("/proc/self/task/%s/children" % task) as f:
                    children += len(f.read().split())
            peak["children"] = max(peak["children"], children)
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    dispatcher = Dispatcher(backend, exit_file_grace=30.0)
    results = dispatcher.run(specs)  # all of them in flight at once
    stop.set()
    watcher.join()
    counters = {"polls": dispatcher.polls, "cycles": dispatcher.cycles, **peak}
    if name == "slurm":
        counters.update(backend_polls=backend.commands_run.count("squeue"),
                        status_queries=backend.commands_run.count("squeue") + backend.commands_run.count("sacct"),
                        submissions=backend.commands_run.count("sbatch"))
    else:
        counters.update(backend_polls=backend.polls, status_queries=backend.status_queries)
    counters["succeeded"] = sum(r.succeeded for r in results)
    counters["outputs_ok"] = all(open(s.stdout_path).read() == "%d\\n" % i for i, s in enumerate(specs))
    backend.close()
    print(json.dumps(counters))
    """
)


def test_200_jobs_one_status_query_per_poll_cycle_and_no_process_per_job(cluster, tmp_path):
    """200 jobs in flight at once on each cluster. The back end's own counters: one poll per
    dispatcher cycle and one status query (squeue; DRMAA jobStatus) per poll, so far fewer
    queries than jobs; the submitting process never holds a process (or a thread) per job."""
    count = 200
    (tmp_path / "many.py").write_text(MANY)
    done = run(cluster, [sys.executable, "many.py", BACKENDS[cluster.name], str(count)], tmp_path, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    counters = json.loads(done.stdout.strip().splitlines()[-1])
    assert counters["succeeded"] == count and counters["outputs_ok"], counters
    assert counters["backend_polls"] == counters["polls"] <= counters["cycles"], counters
    assert counters["status_queries"] <= counters["backend_polls"], counters  # one per cycle at most
    assert 1 <= counters["polls"] < count, counters
    assert counters["children"] <= 2, counters  # sbatch/squeue run one at a time; nothing waits per job
    assert counters["threads"] <= 12, counters  # main, poller, watcher (+ libdrmaa's own few)
    if cluster.name == "slurm":
        assert counters["submissions"] == count, counters


# ------------------------------------------------- a big task: a few cluster jobs, not one per job

BIG = textwrap.dedent(
    """
    import os
    from ruffus import originate, transform, suffix, pipeline_run

    def log(out):
        with open("runs.log", "a") as f:
            f.write("%s %s\\n" % (out, os.environ.get("JOB_ID") or os.environ.get("SLURM_JOB_ID")))

    @originate(["in_%02d.a" % i for i in range(60)])
    def make(out):
        log(out)
        open(out, "w").write(out)

    @transform(make, suffix(".a"), ".b")
    def copy(i, o):
        log(o)
        open(o, "w").write(open(i).read().upper())

    if __name__ == "__main__":
        pipeline_run(multiprocess=2, verbose=0)
    """
)


@pytest.mark.timeout(600)
def test_big_task_runs_in_groups_each_job_once(cluster, tmp_path):
    """Two tasks of 60 jobs, multiprocess=2: each worker's share of a task, up to job_group_size
    (20), is one cluster job, so 6 cluster jobs run the 120 Ruffus jobs, each once; with
    job_group_size = 1 each job is a cluster job of its own. A rerun runs nothing."""
    (tmp_path / "pipeline.py").write_text(BIG)
    backend = BACKENDS[cluster.name]
    done = run(cluster, [sys.executable, "pipeline.py"], tmp_path, RUFFUS_LUIGI_BACKEND=backend)
    assert done.returncode == 0, done.stdout + done.stderr
    ran = [line.split() for line in (tmp_path / "runs.log").read_text().splitlines()]
    assert sorted(name for name, _ in ran) == sorted(["in_%02d.a" % i for i in range(60)] + ["in_%02d.b" % i for i in range(60)])
    assert len({job_id for _, job_id in ran}) == 6, ran
    assert all((tmp_path / ("in_%02d.b" % i)).read_text() == ("in_%02d.a" % i).upper() for i in range(60))
    rerun = run(cluster, [sys.executable, "pipeline.py"], tmp_path, RUFFUS_LUIGI_BACKEND=backend)
    assert rerun.returncode == 0 and len((tmp_path / "runs.log").read_text().splitlines()) == 120, rerun.stderr
    (tmp_path / "runs.log").unlink()
    for made in tmp_path.glob("in_0[0-4].b"):
        made.unlink()
    again = run(cluster, [sys.executable, "pipeline.py"], tmp_path, RUFFUS_LUIGI_BACKEND=backend,
                RUFFUS_LUIGI_JOB_GROUP_SIZE="1")
    assert again.returncode == 0, again.stderr
    ran = [line.split() for line in (tmp_path / "runs.log").read_text().splitlines()]
    assert sorted(name for name, _ in ran) == ["in_%02d.b" % i for i in range(5)] and len({j for _, j in ran}) == 5
