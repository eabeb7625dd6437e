"""The job history: file layout, pickles, checksums and the up-to-date rule vs real Ruffus.

Real Ruffus 3.0.0 only ever runs in subprocesses here (never imported by the tests
or by ruffus_luigi), and is the reference for checksums, records and messages.
"""

from __future__ import annotations

import importlib
import json
import os
import pickle
import sqlite3
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest

from ruffus_luigi.planning import history as h
from ruffus_luigi.planning import history_records as records
from ruffus_luigi.planning import history_settings as levels
from ruffus_luigi.planning import history_store as store
from ruffus_luigi.planning import uptodate
from ruffus_luigi.planning.checksums import function_checksum, params_checksum

TASKS_SOURCE = """
import os


def _log(name):
    with open("runs.log", "a") as f:
        f.write(name + "\\n")


def make(output, extra, n):
    _log("make")
    with open(output, "w") as f:
        f.write(output)


def trans(infile, outfile, tag, nums):
    _log("trans")
    with open(infile) as i, open(outfile, "w") as o:
        o.write(i.read() + tag)


def merge_all(infiles, outfile):
    _log("merge_all")
    with open(outfile, "w") as f:
        f.write(str(sorted(infiles)))


def other_body(infile, outfile, tag, nums):
    pass


def with_defaults(a, b=3, c="x", *args, d=None, e=[1, 2], **kw):
    return a + b


def kw_only(*, first=1, second=2):
    return first + second


def nested(x):
    ys = [y * 2 for y in x]
    f = lambda z: z + 1
    def inner(q):
        return q
    return ys, f, inner


def closure_user(x):
    def g():
        return x
    return g


def bad_default(x, f=lambda: 1):
    return x


class C:
    pass


def class_default(x, c=C, t=(1, "two", 3.0)):
    return x
"""

FUNC_NAMES = [
    "make",
    "trans",
    "merge_all",
    "other_body",
    "with_defaults",
    "kw_only",
    "nested",
    "closure_user",
    "bad_default",
    "class_default",
]

PARAM_SETS = [
    "()",
    "('extra', 5)",
    "('xx', [1, 2])",
    "({'k': 1, 'j': [None, 2.5]}, None, 2.5)",
    "(('nested', ('t',)), {1, 2}, frozenset([3]))",
    "('\\u00e9', b'bytes', 10 ** 20, -0.0, True)",
    "(['a', ['b', ('c',)]],)",
]

PIPELINE_SOURCE = """
import io
import sys

from ruffus import Pipeline, suffix

import hist_tasks_mod as t

level = int(sys.argv[1])
mode = sys.argv[2]
p = Pipeline("p")
p.originate(t.make, ["a.txt", "b.txt"], "extra", 5)
p.transform(t.trans, t.make, suffix(".txt"), ".out", "xx", [1, 2])
p.merge(t.merge_all, t.trans, "all.m")
if mode == "run":
    p.run(verbose=0, checksum_level=level)
else:
    s = io.StringIO()
    p.printout(s, verbose=5, checksum_level=level)
    print(s.getvalue())
"""

# (unglobbed) parameters of the pipeline above's jobs, as Ruffus builds them
PIPELINE_JOBS = [
    ("make", (None, "a.txt", "extra", 5)),
    ("make", (None, "b.txt", "extra", 5)),
    ("trans", ("a.txt", "a.out", "xx", [1, 2])),
    ("trans", ("b.txt", "b.out", "xx", [1, 2])),
    ("merge_all", (["a.out", "b.out"], "all.m")),
]


# -- helpers ------------------------------------------------------------------------
def _ruffus_env(extra: dict | None = None) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "PYTHONPATH" and not k.startswith("DEFAULT_RUFFUS")
    }
    env.update(extra or {})
    return env


def real_ruffus(
    code: str, cwd: Path, env: dict | None = None, args: list[str] | None = None
) -> str:
    """Run ``code`` with real Ruffus in a subprocess and return its stdout."""
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *(args or [])],
        cwd=cwd,
        env=_ruffus_env(env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def real_ruffus_script(script: Path, args: list[str], cwd: Path) -> str:
    proc = subprocess.run(
        [sys.executable, str(script), *args],
        cwd=cwd,
        env=_ruffus_env({"PYTHONPATH": str(script.parent)}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(scope="session", autouse=True)
def _need_real_ruffus():
    probe = subprocess.run(
        [sys.executable, "-c", "import ruffus, sys; sys.stdout.write(ruffus.__version__)"],
        env=_ruffus_env(),
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0 or probe.stdout != "3.0.0":
        pytest.skip("real ruffus 3.0.0 is needed as the reference")


@pytest.fixture(scope="session")
def tasks_dir(tmp_path_factory):
    """A directory with ``hist_tasks_mod.py``, imported here under the same module name."""
    d = tmp_path_factory.mktemp("tasks")
    (d / "hist_tasks_mod.py").write_text(TASKS_SOURCE)
    sys.path.insert(0, str(d))
    try:
        yield d
    finally:
        sys.path.remove(str(d))


@pytest.fixture(scope="session")
def tasks(tasks_dir):
    sys.modules.pop("hist_tasks_mod", None)
    return importlib.import_module("hist_tasks_mod")


@pytest.fixture
def pipeline_dir(tmp_path, tasks_dir, monkeypatch):
    (tmp_path / "pipe.py").write_text(PIPELINE_SOURCE)
    (tmp_path / "hist_tasks_mod.py").write_text(TASKS_SOURCE)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- constants and defaults -------------------------------------------------------------
def test_constants():
    assert (levels.CHECKSUM_FILE_TIMESTAMPS, levels.CHECKSUM_HISTORY_TIMESTAMPS) == (0, 1)
    assert (levels.CHECKSUM_FUNCTIONS, levels.CHECKSUM_FUNCTIONS_AND_PARAMS) == (2, 3)
    assert levels.CHECKSUM_REGENERATE == 2
    assert levels.RUFFUS_HISTORY_FILE == ".ruffus_history.sqlite"


@pytest.mark.parametrize(
    "value, level",
    [
        (None, 1),
        ("0", 0),
        ("1", 1),
        ("2", 2),
        ("3", 3),
        ("CHECKSUM_FUNCTIONS", 2),
        ("CHECKSUM_FILE_TIMESTAMPS", 0),
    ],
)
def test_default_checksum_level(monkeypatch, value, level):
    if value is None:
        monkeypatch.delenv("DEFAULT_RUFFUS_CHECKSUM_LEVEL", raising=False)
    else:
        monkeypatch.setenv("DEFAULT_RUFFUS_CHECKSUM_LEVEL", value)
    assert levels.get_default_checksum_level() == level


@pytest.mark.parametrize("value", ["4", "", "12", "fast"])
def test_bad_default_checksum_level(monkeypatch, value):
    from ruffus_luigi.errors.exceptions import error_checksum_level

    monkeypatch.setenv("DEFAULT_RUFFUS_CHECKSUM_LEVEL", value)
    with pytest.raises(error_checksum_level, match="DEFAULT_RUFFUS_CHECKSUM_LEVEL"):
        levels.get_default_checksum_level()


@pytest.mark.parametrize(
    "template",
    [
        ".ruffus_history.sqlite",
        "{path}/.{basename}{ext}.history",
        "/tmp/{subdir[0]}/{basename}.db",
        "{subpath[1]}/x.sqlite",
        "{nonsense}.sqlite",
    ],
)
def test_default_history_file_name_matches_ruffus(tmp_path, template):
    script = tmp_path / "sub dir" / "my.script.py"
    script.parent.mkdir()
    script.write_text(
        "import sys\n"
        "if sys.argv[1] == 'ruffus':\n"
        "    from ruffus.ruffus_utility import get_default_history_file_name\n"
        "else:\n"
        "    from ruffus_luigi.planning.history_settings import get_default_history_file_name\n"
        "print(get_default_history_file_name())\n"
    )
    env = {"DEFAULT_RUFFUS_HISTORY_FILE": template}
    expected = subprocess.run(
        [sys.executable, str(script), "ruffus"],
        env=_ruffus_env(env),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    ours_env = dict(os.environ, **env)
    ours_env["PYTHONPATH"] = str(Path(h.__file__).parents[2])
    ours = subprocess.run(
        [sys.executable, str(script), "ours"],
        env=ours_env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert ours == expected


def test_default_history_file_name_without_main_file(monkeypatch):
    monkeypatch.setattr(levels, "RUFFUS_HISTORY_FILE", "{basename}.sqlite")
    monkeypatch.delattr(sys.modules["__main__"], "__file__", raising=False)
    assert levels.get_default_history_file_name() == "{basename}.sqlite"


# -- checksums ---------------------------------------------------------------------------
def test_checksums_equal_real_ruffus(tasks_dir, tasks):
    expected = json.loads(
        real_ruffus(
            f"""
            import json, sys
            from types import SimpleNamespace
            sys.path.insert(0, {str(tasks_dir)!r})
            import hist_tasks_mod
            from ruffus.ruffus_utility import JobHistoryChecksum
            funcs = {{}}
            for name in {FUNC_NAMES!r}:
                task = SimpleNamespace(user_defined_work_func=getattr(hist_tasks_mod, name))
                try:
                    funcs[name] = JobHistoryChecksum("o", 0, (), task).chksum_func
                except Exception as e:
                    funcs[name] = "error: " + type(e).__name__
            params = [JobHistoryChecksum("o", 0, eval(p), task).chksum_params
                      for p in {PARAM_SETS!r}]
            print(json.dumps([funcs, params]))
            """,
            tasks_dir,
        )
    )
    funcs = {}
    for name in FUNC_NAMES:
        try:
            funcs[name] = function_checksum(getattr(tasks, name))
        except Exception as e:
            funcs[name] = "error: " + type(e).__name__
    params = [params_checksum(eval(p)) for p in PARAM_SETS]
    assert funcs == expected[0]
    assert params == expected[1]
    # as Ruffus: a default that neither pickles nor marshals cannot be checksummed
    assert funcs["bad_default"] == "error: TypeError"


def test_record_constructor_like_ruffus(tasks):
    task = SimpleNamespace(user_defined_work_func=tasks.trans)
    rec = records.JobHistoryChecksum("out", 12.5, ("xx", [1, 2]), task)
    assert rec.outfile == "out" and rec.mtime == 12.5
    assert rec.chksum_func == function_checksum(tasks.trans)
    assert rec.chksum_params == params_checksum(("xx", [1, 2]))
    assert records.JobHistoryChecksum("out", 0, (), tasks.trans).chksum_func == rec.chksum_func
    assert list(vars(rec)) == ["outfile", "mtime", "chksum_params", "chksum_func"]


def test_keyword_only_defaults_are_checksummed():
    def task(*, first=1, second=2):
        return first + second

    before = function_checksum(task)
    task.__kwdefaults__ = {"second": 2, "first": 1}
    assert function_checksum(task) == before
    task.__kwdefaults__["first"] = 5
    assert function_checksum(task) != before

    def plain():
        pass

    before = function_checksum(plain)
    plain.__kwdefaults__ = {}
    assert function_checksum(plain) == before


# -- pickles ------------------------------------------------------------------------------
def test_record_pickle_round_trip_and_real_ruffus_reads_it(tmp_path):
    rec = records.JobHistoryChecksum.from_checksums("d/out.txt", 1700000000.123, "a" * 32, "b" * 32)
    data = records.dumps(rec)
    assert b"ruffus.ruffus_utility\nJobHistoryChecksum" in data
    assert b"ruffus_luigi" not in data
    back = records.loads(data)
    assert type(back) is records.JobHistoryChecksum and back == rec
    (tmp_path / "rec.pickle").write_bytes(data)
    out = real_ruffus(
        """
        import json, pickle
        rec = pickle.load(open("rec.pickle", "rb"))
        print(json.dumps([type(rec).__module__, type(rec).__name__, vars(rec)]))
        """,
        tmp_path,
    )
    assert json.loads(out) == [
        "ruffus.ruffus_utility",
        "JobHistoryChecksum",
        {
            "outfile": "d/out.txt",
            "mtime": 1700000000.123,
            "chksum_params": "a" * 32,
            "chksum_func": "b" * 32,
        },
    ]


def test_reads_real_ruffus_pickle(tmp_path, tasks_dir):
    real_ruffus(
        f"""
        import pickle, sys
        from types import SimpleNamespace
        sys.path.insert(0, {str(tasks_dir)!r})
        import hist_tasks_mod
        from ruffus.ruffus_utility import JobHistoryChecksum
        task = SimpleNamespace(user_defined_work_func=hist_tasks_mod.trans)
        rec = JobHistoryChecksum("x.out", 17.25, ("xx", [1, 2]), task)
        open("rec.pickle", "wb").write(pickle.dumps(rec, protocol=-1))
        """,
        tmp_path,
    )
    rec = records.loads((tmp_path / "rec.pickle").read_bytes())
    assert type(rec) is records.JobHistoryChecksum
    assert rec.outfile == "x.out" and rec.mtime == 17.25
    # reading it does not import real Ruffus
    env = dict(os.environ, PYTHONPATH=str(Path(h.__file__).parents[2]))
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from ruffus_luigi.planning.history_records import loads; "
            "rec = loads(open('rec.pickle', 'rb').read()); "
            "assert type(rec).__module__ == 'ruffus_luigi.planning.history_records', type(rec); "
            "assert 'ruffus' not in sys.modules, sys.modules['ruffus']",
        ],
        cwd=tmp_path,
        env=env,
        check=True,
    )


def test_other_values_pickle_normally():
    for value in ["old checkpoint", {"a": [1, 2]}, None, 3.5]:
        assert records.loads(records.dumps(value)) == value


# -- the database -------------------------------------------------------------------------
def test_layout_matches_ruffus(tmp_path):
    path = tmp_path / "hist.sqlite"
    with store.JobHistory(str(path)) as hist:
        hist.set(
            str(tmp_path / "out.txt"), records.JobHistoryChecksum.from_checksums("out.txt", 1.0, "p", "f")
        )
    con = sqlite3.connect(path)
    tables = dict(con.execute("SELECT name, sql FROM sqlite_master WHERE type='table'"))
    assert set(tables) == {"data", "ruffus_metadata"}
    # (and ours: the count of records written by other programs, for plan_cache)
    assert list(con.execute("SELECT * FROM ruffus_metadata WHERE key = 'path_format'")) == [
        ("path_format", "history_relative_v1")
    ]
    assert [r[0] for r in con.execute("SELECT key FROM data")] == ["out.txt"]
    assert [r[1] for r in con.execute("PRAGMA table_info(data)")] == ["key", "value"]
    con.close()


def test_keys_are_relative_to_the_history_directory(tmp_path, monkeypatch):
    (tmp_path / "meta").mkdir()
    (tmp_path / "launch").mkdir()
    monkeypatch.chdir(tmp_path / "launch")
    rec = records.JobHistoryChecksum.from_checksums("../output", 2.0, "p", "f")
    with store.open_job_history(str(tmp_path / "meta" / "history.sqlite")) as hist:
        hist.set("../output", rec)
        assert list(hist) == ["../output"]
        assert hist.key("../output") == "../output"
        assert hist.contains(str(tmp_path / "output"))
        assert hist.get("../output") == rec
        assert "../output" in hist
        assert store.get_history_file_path(str(tmp_path / "output"), hist) == "../output"
    monkeypatch.chdir(tmp_path)
    with store.open_job_history("meta/history.sqlite") as hist:
        assert hist.get("output") == rec
        assert hist.get("launch/output") is None
        hist.delete(["output", "never-there"])
        assert len(hist) == 0


def test_memory_history_keeps_its_base(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for path in (None, ":memory:"):
        hist = store.JobHistory(path)
        assert hist.filename == ":memory:"
        monkeypatch.chdir("/")
        assert store.get_history_file_path(str(tmp_path / "output"), hist) == "output"
        monkeypatch.chdir(tmp_path)
        hist.close()
    assert not any(tmp_path.iterdir())


def test_open_job_history_defaults_to_the_default_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(levels, "RUFFUS_HISTORY_FILE", "default.sqlite")
    store.open_job_history(None).close()
    store.open_job_history("").close()
    assert [p.name for p in tmp_path.iterdir()] == ["default.sqlite"]


def test_mapping_interface_like_dbdict(tmp_path):
    with store.JobHistory(str(tmp_path / "h.sqlite")) as hist:
        hist["k"] = "value"
        assert hist["k"] == "value" and "k" in hist and len(hist) == 1
        assert hist.items() == [("k", "value")] and hist.values() == ["value"]
        assert hist.pop("k") == "value" and hist.pop("k", None) is None
        with pytest.raises(KeyError):
            hist["k"]
        with pytest.raises(KeyError):
            del hist["k"]
        with pytest.raises(KeyError):
            hist.pop("k")
        hist["a"] = 1
        hist["b"] = 2
        del hist["a"]
        assert hist.keys() == ["b"]
        assert hist.pickle_loads(hist.pickle_dumps([1, "x"])) == [1, "x"]
        hist.clear()
        assert len(hist) == 0


def test_legacy_history_is_moved_aside(tmp_path):
    path = tmp_path / "h.sqlite"
    con = sqlite3.connect(path)
    con.execute("create table data (key PRIMARY KEY,value)")
    con.execute("insert into data values (?, ?)", ("output", pickle.dumps("old checkpoint")))
    con.commit()
    con.close()
    with pytest.warns(UserWarning, match="working-directory-relative"):
        hist = store.JobHistory(str(path))
    assert list(hist) == []
    row = hist.con.execute("SELECT key, value FROM ruffus_legacy_history").fetchone()
    assert row[0] == "output" and hist.pickle_loads(row[1]) == "old checkpoint"
    hist["new-output"] = "new checkpoint"
    hist.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with store.JobHistory(str(path)) as hist:
            assert hist["new-output"] == "new checkpoint"
    # real Ruffus agrees the file is migrated: no warning, same content
    out = real_ruffus(
        """
        import warnings
        import ruffus.ruffus_utility  # (compiled from source, Ruffus warns of its escapes)
        warnings.simplefilter("error")
        from ruffus.ruffus_utility import open_job_history
        print(list(open_job_history("h.sqlite")))
        """,
        tmp_path,
    )
    assert out.strip() == "['new-output']"


def test_legacy_history_written_by_real_ruffus_dbdict(tmp_path):
    real_ruffus(
        """
        from ruffus import dbdict
        d = dbdict.open("h.sqlite", picklevalues=True)
        d["output"] = "old"
        d.close()
        """,
        tmp_path,
    )
    with pytest.warns(UserWarning, match="ruffus_legacy_history"):
        store.JobHistory(str(tmp_path / "h.sqlite")).close()


def test_unsupported_path_format(tmp_path):
    path = tmp_path / "h.sqlite"
    store.JobHistory(str(path)).close()
    con = sqlite3.connect(path)
    con.execute("UPDATE ruffus_metadata SET value='v9'")
    con.commit()
    con.close()
    with pytest.raises(ValueError, match="Unsupported Ruffus history path format: v9"):
        store.JobHistory(str(path))


class _CountingConnection:
    """Wraps a sqlite3 connection to count commits."""

    def __init__(self, con):
        self.con = con
        self.commits = 0

    def execute(self, sql, *args):
        if sql == "COMMIT":
            self.commits += 1
        return self.con.execute(sql, *args)

    def executemany(self, sql, *args):
        return self.con.executemany(sql, *args)

    def close(self):
        self.con.close()


def test_many_jobs_are_recorded_in_one_commit(tmp_path, monkeypatch, tasks):
    monkeypatch.chdir(tmp_path)
    jobs = []
    for n in range(50):
        Path(f"f{n}.out").write_text("x")
        jobs.append(((f"f{n}.in", f"f{n}.out", "xx", [1, 2]), tasks.trans))
    hist = store.JobHistory("h.sqlite")
    counter = _CountingConnection(hist.con)
    hist.con = counter
    h.record_jobs(hist, jobs)
    assert counter.commits == 1 and len(hist) == 50
    with hist.batch():
        for params, _ in jobs[:10]:
            h.forget_job(hist, params)
        h.record_job(hist, jobs[0][0], tasks.trans)
        # not visible to another connection before the batch commits
        other = sqlite3.connect("h.sqlite", timeout=0.1)
        assert other.execute("SELECT count() FROM data").fetchone()[0] == 50
        other.close()
    assert counter.commits == 2 and len(hist) == 41
    hist.close()


def test_record_job_outputs_and_mtimes(tmp_path, monkeypatch, tasks):
    monkeypatch.chdir(tmp_path)
    for name in ("in.txt", "a.out", "b.out", "c.log"):
        Path(name).write_text(name)
    hist = store.JobHistory("h.sqlite")
    params = ("in.txt", ["a.out", ["b.out", "missing.out", "*.log", "in.txt"]], "tag", 3)
    assert h.job_output_files(params) == [str(tmp_path / n) for n in ("a.out", "b.out", "c.log")]
    before = time.time()
    assert h.record_job(hist, params, tasks.trans, 1) is False
    assert sorted(hist) == ["a.out", "b.out", "c.log"]
    rec = hist["a.out"]
    assert rec.outfile == "a.out"
    assert before <= rec.mtime <= time.time()  # wall clock: file written < 1.1 s ago
    assert rec.chksum_func == function_checksum(tasks.trans)
    assert rec.chksum_params == params_checksum(("tag", 3))
    # an old file keeps its own mtime
    os.utime("b.out", (1000.0, 1000.0))
    h.record_job(hist, params, tasks.trans)
    assert hist["b.out"].mtime == 1000.0
    # a file from the future is kept and reported (Ruffus then goes one second per job)
    future = time.time() + 100
    os.utime("c.log", (future, future))
    assert h.record_job(hist, params, tasks.trans) is True
    assert hist["c.log"].mtime == future
    h.forget_job(hist, params)
    assert len(hist) == 0
    # no outputs / unchecksummable function: nothing recorded, as in Ruffus
    assert h.record_job(hist, ("in.txt",), tasks.trans) is False
    h.record_job(hist, params, tasks.bad_default)
    assert len(hist) == 0
    hist.close()


def test_completion_mtime_rule(tmp_path):
    f = tmp_path / "f"
    f.write_text("x")
    os.utime(f, (100.0, 100.0))
    assert h.completion_mtime(str(f), now=100.5) == (100.5, False)
    assert h.completion_mtime(str(f), now=101.2) == (100.0, False)
    assert h.completion_mtime(str(f), now=99.0) == (100.0, True)


def test_record_jobs_dates_each_job_by_its_own_end(tmp_path, monkeypatch, tasks):
    """A job's outputs are dated by when it ended, not when its batch is recorded."""
    monkeypatch.chdir(tmp_path)
    for name in ("a.out", "b.out", "c.out"):
        Path(name).write_text(name)
        os.utime(name, (100.0, 100.0))
    jobs = [(("in", "a.out"), tasks.trans), (("in", "b.out"), tasks.trans), (("in", "c.out"), tasks.trans)]
    hist = store.JobHistory("h.sqlite")
    settled: list = []
    # a ended 0.3 s after its file's time, b 2 s after (its file's time stays), c unknown (now)
    assert h.record_jobs(hist, jobs, settled, [100.3, 102.0, 0.0]) is False
    assert [hist[n].mtime for n in ("a.out", "b.out", "c.out")] == [100.3, 100.0, 100.0]
    assert settled == [100.3, 100.0, 100.0]
    hist.close()


def test_record_job_into_plain_mapping(tmp_path, monkeypatch, tasks):
    monkeypatch.chdir(tmp_path)
    Path("o").write_text("x")
    store: dict = {}
    h.record_job(store, (None, "o"), tasks.make)
    assert list(store) == ["o"]
    assert uptodate.needs_update_check_modify_time(
        None,
        "o",
        task=SimpleNamespace(checksum_level=1, user_defined_work_func=tasks.make),
        job_history=store,
    ) == (False, "Missing input files")
    h.forget_job(store, (None, "o"))
    assert store == {}


# -- compatibility with whole Ruffus runs ----------------------------------------------
@pytest.mark.parametrize("level", [1, 2, 3])
def test_reads_history_of_a_real_ruffus_run(pipeline_dir, tasks, level):
    real_ruffus_script(pipeline_dir / "pipe.py", [str(level), "run"], pipeline_dir)
    assert Path("runs.log").read_text().split() == ["make", "make", "trans", "trans", "merge_all"]
    with store.open_job_history(None) as hist:
        assert sorted(hist) == ["a.out", "a.txt", "all.m", "b.out", "b.txt"]
        assert all(type(v) is records.JobHistoryChecksum for v in hist.values())
        for name, params in PIPELINE_JOBS:
            func = getattr(tasks, name)
            assert uptodate.params_need_update(params, func, level, hist) == (False, "Up to date") or (
                params[0] is None
                and uptodate.params_need_update(params, func, level, hist)
                == (False, "Missing input files")
            )
            # the records hold exactly the checksums we compute for the job
            for out in h.job_output_files(params):
                rec = hist.get(out)
                expected = records.JobHistoryChecksum(None, None, tuple(params[2:]), func)
                assert (rec.chksum_func, rec.chksum_params) == (
                    expected.chksum_func,
                    expected.chksum_params,
                )
        # a changed function / parameters are noticed at levels 2 / 3 only
        changed = uptodate.params_need_update(PIPELINE_JOBS[2][1], tasks.other_body, level, hist)
        assert changed[0] is (level >= 2)
        new_params = ("a.txt", "a.out", "yy", [1, 2])
        changed = uptodate.params_need_update(new_params, tasks.trans, level, hist)
        assert changed == (
            (True, "Pipeline parameters have changed:\n        [a.out]")
            if level == 3
            else (False, "Up to date")
        )


@pytest.mark.parametrize("level", [1, 2, 3])
def test_real_ruffus_trusts_our_records(pipeline_dir, tasks, level):
    with store.open_job_history(None) as hist:
        for name, params in PIPELINE_JOBS:
            getattr(tasks, name)(*params[1:] if params[0] is None else params)
            time.sleep(0.01)
            h.record_job(hist, params, getattr(tasks, name), level)
    Path("runs.log").unlink()
    text = real_ruffus_script(pipeline_dir / "pipe.py", [str(level), "printout"], pipeline_dir)
    assert "Job needs update" not in text and "Task needs update" not in text
    up_to_date = text.split("Tasks which are up-to-date:")[1].split("Tasks which will be run")[0]
    for name in ("make", "trans", "merge_all"):
        assert f"Task = 'p::hist_tasks_mod.{name}'" in up_to_date
    assert (
        "Tasks which will be run" not in text
        or text.split("Tasks which will be run")[1].strip(":_\n ") == ""
    )
    real_ruffus_script(pipeline_dir / "pipe.py", [str(level), "run"], pipeline_dir)
    assert not Path("runs.log").exists()
    # and the opposite: once a record is missing, real Ruffus reruns that job
    with store.open_job_history(None) as hist:
        hist.delete(["a.out"])
    real_ruffus_script(pipeline_dir / "pipe.py", [str(level), "run"], pipeline_dir)
    assert Path("runs.log").read_text().split() == ["trans", "merge_all"]


# -- the up-to-date rule vs real Ruffus' needs_update_check_modify_time --------------
T = 1_700_000_000.25

FILES = {
    "in1.txt": T,
    "in2.txt": T + 10,
    "sub/deep/dir/in3.txt": T + 5,
    "out_new.txt": T + 20,
    "out_old.txt": T + 1,
    "out_eq.txt": T + 10,
    "out_norec.txt": T + 50,
    "out_norec2.txt": T + 50,
    "out_func.txt": T + 20,
    "out_params.txt": T + 20,
    "out_both.txt": T + 20,
    "out_rec_late.txt": T + 20,
    "out_rec_early.txt": T + 40,
    "sub/deep/dir/out4.txt": T + 30,
}
DIRS = {"dir_in": T, "dir_out": T + 30}
LINKS = {"link_to_in1": "in1.txt", "link_to_out_new": "out_new.txt", "broken": "nowhere"}
# key -> (record mtime, function name, extra params)
RECORDS = {
    "out_new.txt": (T + 20.5, "trans", ("xx", [1, 2])),
    "out_old.txt": (T + 1.05, "trans", ("xx", [1, 2])),
    "out_eq.txt": (T + 10, "trans", ("xx", [1, 2])),
    "in2.txt": (T + 25, "make", ()),
    "out_func.txt": (T + 20, "other_body", ("xx", [1, 2])),
    "out_params.txt": (T + 20, "trans", ("yy",)),
    "out_both.txt": (T + 20, "other_body", ("yy",)),
    "out_rec_late.txt": (T + 30, "trans", ("xx", [1, 2])),
    "out_rec_early.txt": (T + 15, "trans", ("xx", [1, 2])),
    "sub/deep/dir/out4.txt": (T + 30, "trans", ("xx", [1, 2])),
    "dir_out": (T + 30.5, "trans", ("xx", [1, 2])),
    "link_to_in1": (T + 3, "trans", ("xx", [1, 2])),
    "link_to_out_new": (T + 20.5, "trans", ("xx", [1, 2])),
    "in1.txt": (T, "make", ()),
}

XX = ", 'xx', [1, 2]"
IN3 = "['in1.txt', 'in2.txt', 'sub/deep/dir/in3.txt'], ['out_old.txt', 'out_new.txt']"
DEEP = "['in1.txt', 'sub/deep/dir/in3.txt'], ['sub/deep/dir/out4.txt', 'out_eq.txt']"
NOREC = "'in1.txt', ['out_norec.txt', 'out_norec2.txt', 'out_norec.txt', 'out_new.txt']"
# (params as a Python expression, levels, function, verbose_abbreviated_path, dates)
CASES = [
    ("('in1.txt', 'out_new.txt'" + XX + ")", (0, 1, 2, 3), "trans", -55, False),
    ("('in1.txt', 'out_new.txt'" + XX + ")", (1, 3), "trans", -55, True),
    ("('in2.txt', 'out_new.txt'" + XX + ")", (0, 1), "trans", -55, False),
    ("('in2.txt', 'out_new.txt'" + XX + ")", (0,), "trans", -55, True),
    ("(" + IN3 + XX + ")", (0, 1), "trans", -55, False),
    ("(" + IN3 + XX + ")", (0, 1), "trans", 1, False),
    ("(" + IN3 + XX + ")", (1,), "trans", 2, False),
    ("(" + DEEP + XX + ")", (0, 1, 3), "trans", 0, False),
    ("(" + DEEP + XX + ")", (0, 1), "trans", -20, False),
    ("('in1.txt', 'out_eq.txt'" + XX + ")", (0, 1), "trans", -55, True),
    ("('in2.txt', 'out_eq.txt'" + XX + ")", (0, 1), "trans", -55, False),
    # missing files
    ("('nope.txt', 'out_new.txt')", (0, 1), "trans", -55, False),
    ("('in1.txt', ['nope1', 'sub/deep/dir/nope2'])", (0, 1), "trans", -55, False),
    ("('in1.txt', ['nope1', 'sub/deep/dir/nope2'])", (1,), "trans", 0, False),
    ("('broken', 'out_new.txt'" + XX + ")", (0, 1), "trans", -55, False),
    ("('in1.txt', [])", (0, 1), "trans", -55, False),
    ("('in1.txt', {'not': 'a file'}, 3)", (0, 1), "trans", -55, False),
    ("('in1.txt',)", (0, 1), "trans", -55, False),
    ("()", (0,), "trans", -55, False),
    ("(None, 'out_new.txt'" + XX + ")", (0, 1, 2, 3), "trans", -55, False),
    ("(None, 'out_new.txt', 'yy', [1, 2])", (3,), "trans", -55, False),
    ("([None, 3], 'out_new.txt'" + XX + ")", (1,), "trans", -55, True),
    # uncheckpointed outputs
    ("('in1.txt', 'out_norec.txt'" + XX + ")", (0, 1), "trans", -55, False),
    ("(" + NOREC + ")", (1,), "trans", -55, False),
    # changed function / parameters
    ("('in1.txt', 'out_func.txt'" + XX + ")", (1, 2, 3), "trans", -55, False),
    (
        "('in1.txt', ['out_func.txt', 'out_new.txt', 'out_func.txt']" + XX + ")",
        (2, 3),
        "trans",
        -55,
        False,
    ),
    ("('in1.txt', 'out_params.txt'" + XX + ")", (1, 2, 3), "trans", -55, False),
    (
        "('in1.txt', ['out_params.txt', 'out_params.txt', 'out_new.txt']" + XX + ")",
        (3,),
        "trans",
        -55,
        False,
    ),
    ("('in1.txt', ['out_both.txt', 'out_func.txt']" + XX + ")", (2, 3), "trans", -55, False),
    ("('in1.txt', 'out_params.txt', 'yy')", (3,), "trans", -55, False),
    ("('in1.txt', 'out_params.txt', ['yy'])", (3,), "trans", -55, False),
    # recorded times vs file times
    ("('in2.txt', 'out_rec_late.txt'" + XX + ")", (0, 1), "trans", -55, False),
    ("(['in1.txt', 'in2.txt'], 'out_rec_early.txt'" + XX + ")", (0, 1), "trans", -55, True),
    ("('in1.txt', 'out_old.txt'" + XX + ")", (0, 1), "trans", -55, True),
    # directories
    ("('dir_in', 'dir_out'" + XX + ")", (0, 1), "trans", -55, False),
    ("('dir_out', 'out_new.txt'" + XX + ")", (0, 1), "trans", -55, False),
    # symbolic links: an output that is an input passes through
    ("('in1.txt', 'link_to_in1'" + XX + ")", (0, 1), "trans", -55, False),
    ("('in1.txt', ['link_to_in1', 'out_new.txt']" + XX + ")", (0, 1), "trans", -55, True),
    ("('link_to_in1', 'in1.txt'" + XX + ")", (0, 1), "trans", -55, False),
    ("('in1.txt', 'in1.txt')", (0, 1), "trans", -55, False),
    ("('in2.txt', 'link_to_out_new'" + XX + ")", (0, 1), "trans", -55, False),
    ("('link_to_out_new', 'out_eq.txt'" + XX + ")", (0, 1), "trans", -55, False),
    # absolute paths
    ("(ABS + 'in2.txt', ABS + 'out_new.txt'" + XX + ")", (0, 1), "trans", -55, False),
    ("(ABS + 'in2.txt', ABS + 'out_new.txt'" + XX + ")", (1,), "trans", 0, False),
    ("(ABS + 'in2.txt', ABS + 'sub/deep/dir/out4.txt'" + XX + ")", (1,), "trans", 3, True),
]

REAL_CHECK = """
import json, os, sys
from types import SimpleNamespace
sys.path.insert(0, sys.argv[1])
import hist_tasks_mod
from ruffus.file_name_parameters import needs_update_check_modify_time
from ruffus.ruffus_utility import open_job_history
ABS = os.getcwd() + "/"
results = []
for expr, level, func, vap, dates in json.loads(open("cases.json").read()):
    task = SimpleNamespace(checksum_level=level,
                           user_defined_work_func=getattr(hist_tasks_mod, func))
    hist = open_job_history("hist.sqlite")
    results.append(needs_update_check_modify_time(
        *eval(expr), task=task, job_history=hist,
        verbose_abbreviated_path=vap, return_file_dates_when_uptodate=dates))
    hist.close()
print(json.dumps(results))
"""


def _make_files(root: Path, tasks) -> None:
    for name, mtime in FILES.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(name)
        os.utime(p, (mtime, mtime))
    for name, mtime in DIRS.items():
        (root / name).mkdir()
        os.utime(root / name, (mtime, mtime))
    for name, target in LINKS.items():
        os.symlink(target, root / name)
    with store.JobHistory(str(root / "hist.sqlite")) as hist:
        for key, (mtime, func, extras) in RECORDS.items():
            rec = records.JobHistoryChecksum(key, mtime, extras, getattr(tasks, func))
            hist[key] = rec


def test_decisions_and_messages_equal_real_ruffus(tmp_path, monkeypatch, tasks, tasks_dir):
    monkeypatch.chdir(tmp_path)
    _make_files(tmp_path, tasks)
    cases = [
        (expr, level, func, vap, dates)
        for expr, levels, func, vap, dates in CASES
        for level in levels
    ]
    Path("cases.json").write_text(json.dumps(cases))
    expected = json.loads(real_ruffus(REAL_CHECK, tmp_path, args=[str(tasks_dir)]))
    ours = []
    namespace = {"ABS": str(tmp_path) + "/"}
    for expr, level, func, vap, dates in cases:
        task = SimpleNamespace(checksum_level=level, user_defined_work_func=getattr(tasks, func))
        with store.JobHistory("hist.sqlite") as hist:
            params = eval(expr, namespace)
            result = uptodate.needs_update_check_modify_time(
                *params,
                task=task,
                job_history=hist,
                verbose_abbreviated_path=vap,
                return_file_dates_when_uptodate=dates,
            )
            # the planner's form (params_need_update) gives the same answer
            assert (
                uptodate.params_need_update(
                    params, task.user_defined_work_func, level, hist, vap, dates
                )
                == result
            )
        ours.append(list(result))
    for case, mine, theirs in zip(cases, ours, expected, strict=True):
        assert mine == theirs, case
    # the cases cover every kind of answer
    texts = "\n".join(m for _, m in ours)
    for fragment in (
        "Missing file ",
        "Missing files ",
        "Missing output file",
        "Missing input files",
        "Uncheckpointed file (left",
        "Uncheckpointed files (left",
        "Pipeline function has changed",
        "Pipeline parameters have changed",
        "  Input files:\n",
        "Up to date\n",
    ):
        assert fragment in texts, fragment
    assert [True, ""] in ours


def test_passed_through_output_with_dates_does_not_crash(tmp_path, monkeypatch, tasks):
    # Ruffus raises IndexError here (no output left to date); we list inputs only
    monkeypatch.chdir(tmp_path)
    Path("in.txt").write_text("x")
    os.symlink("in.txt", "link")
    with store.JobHistory(None) as hist:
        need, msg = uptodate.job_needs_update(["in.txt"], ["link"], (), tasks.trans, 0, hist, -55, True)
    assert not need and msg.startswith("Up to date\n\n  Input files:\n")
    assert msg.endswith("  Output files:\n")


def test_without_task_or_history_checks_file_times_only(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(levels, "RUFFUS_HISTORY_FILE", "h.sqlite")
    Path("a").write_text("a")
    Path("b").write_text("b")
    os.utime("a", (T, T))
    assert uptodate.needs_update_check_modify_time("a", "b") == (False, "Up to date")
    assert "Oops: Should only appear in test code" in capsys.readouterr().err
    assert Path("h.sqlite").exists()
    assert uptodate.needs_update_check_modify_time("b", "a", job_history={})[0] is True
