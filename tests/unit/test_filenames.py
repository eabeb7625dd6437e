"""ruffus_luigi.files.filenames against real Ruffus 3.0.0, call by call.

Every case is a call written as JSON. All calls of this module go to one
subprocess that runs them on real Ruffus (so this process never imports it);
each test then makes the same call on ruffus_luigi and compares the results,
or the exception's type and message, in a canonical encoding that keeps
tuple/list/set and dict key order apart. Both run in the same working
directory because abspath/relpath depend on it.

Besides hand-picked edge cases there are seeded random cases; set
RUFFUS_LUIGI_FUZZ_SEED / RUFFUS_LUIGI_FUZZ_COUNT to explore further.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import textwrap
from typing import Any

import pytest

# --------------------------------------------------------------------------------
# Code shared by both processes: objects that cannot travel as JSON, and the
# encoding of arguments and results.
# --------------------------------------------------------------------------------
SHARED = textwrap.dedent(
    r"""
    import collections
    import json
    import os
    import re

    def _cls(name, module, **body):
        body["__module__"] = module
        return type(name, (object,), body)

    def _raise(self):
        raise RuntimeError("no str")

    Plain = _cls("Plain", "__main__")
    Elsewhere = _cls("Elsewhere", "mymod")
    BadStr = _cls("BadStr", "__main__", __str__=_raise)
    LooksLikeObject = _cls("LooksLikeObject", "x", __str__=lambda self: '<"quoted" object at 0x1>')
    OpenAngle = _cls("OpenAngle", "x", __str__=lambda self: "<no close object")
    Quote = _cls("Quote", "x", __str__=lambda self: 'say "hi"')

    class MyList(list):
        pass

    MyList.__module__ = "__main__"
    Point = collections.namedtuple("Point", "x y")

    class MyErr(Exception):
        pass

    MyErr.__module__ = "__main__"

    OBJECTS = {
        "plain": Plain(),
        "elsewhere": Elsewhere(),
        "badstr": BadStr(),
        "looks": LooksLikeObject(),
        "openangle": OpenAngle(),
        "quote": Quote(),
        "mylist": MyList(["m/a.txt", ("m/b.txt",)]),
        "point": Point("p/x.txt", 2),
        "int_type": int,
        "frozen": frozenset(["f.txt"]),
        "range": range(3),
    }

    def _boom(s):
        raise ValueError("boom " + s)

    FUNCS = {
        "upper": str.upper,
        "tag": lambda s: "<" + s + ">",
        "none": lambda s: None,
        "len": len,
        "boom": _boom,
    }

    EXCEPTIONS = {
        "ValueError": ValueError,
        "KeyError": KeyError,
        "OSError": OSError,
        "RuntimeError": RuntimeError,
        "MyErr": MyErr,
    }

    class Task:
        _name = "my_task"

    TASK = Task()

    def decode(x, impl):
        if isinstance(x, list):
            return [decode(i, impl) for i in x]
        if not isinstance(x, dict):
            return x
        (tag,) = [k for k in x if k.isupper()]
        v = x[tag]
        if tag == "T":
            return tuple(decode(i, impl) for i in v)
        if tag == "S":
            return {decode(i, impl) for i in v}
        if tag == "D":
            return {decode(k, impl): decode(i, impl) for k, i in v}
        if tag == "R":
            return re.compile(v, x.get("f", 0))
        if tag == "O":
            return OBJECTS[v]
        if tag == "F":
            return FUNCS[v]
        if tag == "B":
            return v.encode("latin-1")
        if tag == "I":
            return impl["indicators"][v](*decode(x["a"], impl))
        if tag == "X":
            return getattr(impl["exceptions"], v)
        if tag == "K":
            return TASK
        if tag == "C":
            return os.path.join(os.getcwd(), v)
        if tag == "M":
            return map(str, decode(v, impl))
        raise ValueError(x)

    def encode(x):
        if x is None or type(x) in (bool, int, float, str):
            return x
        for name, obj in OBJECTS.items():
            if x is obj:
                return {"O": name}
        for name, obj in FUNCS.items():
            if x is obj:
                return {"F": name}
        if type(x) is list:
            return [encode(i) for i in x]
        if type(x) is tuple:
            return {"T": [encode(i) for i in x]}
        if type(x) is set:
            items = [encode(i) for i in x]
            return {"S": sorted(items, key=lambda i: json.dumps(i, sort_keys=True))}
        if type(x) is dict:
            return {"D": [[encode(k), encode(v)] for k, v in x.items()]}
        if type(x) is bytes:
            return {"B": x.decode("latin-1")}
        if isinstance(x, re.Pattern):
            return {"R": x.pattern, "f": x.flags}
        return {"?": type(x).__name__, "r": repr(x)}

    def encode_exception(e):
        try:
            text = str(e)
        except Exception as ee:  # pragma: no cover - a broken __str__ is itself a finding
            text = "<str failed: %r>" % (ee,)
        return {
            "E": type(e).__name__,
            "args": [a if isinstance(a, str) else repr(a) for a in e.args],
            "main_msg": getattr(e, "main_msg", None),
            "str": text,
        }

    def run_call(call, impl):
        name, args = call[0], call[1]
        try:
            if name == "wrap_exception_as_string":
                try:
                    if args[0] == "re":
                        re.compile(args[1])
                    else:
                        raise EXCEPTIONS[args[0]](*args[1])
                except Exception:
                    return {"ok": impl["wrap_exception_as_string"]()}
            return {"ok": encode(impl[name](*decode(args, impl)))}
        except Exception as e:
            return {"raised": encode_exception(e)}
    """
)

REFERENCE_MAIN = textwrap.dedent(
    r"""
    import json
    import sys

    from ruffus import file_name_parameters as fnp
    from ruffus import ruffus_exceptions, ruffus_utility as ru

    def regex_substitute(filename, regex_str, compiled, patterns, suffix_mode=False):
        mode = ru.SUFFIX_SUBSTITUTE if suffix_mode else ru.REGEX_SUBSTITUTE
        return ru.regex_replace(filename, regex_str, compiled, patterns, mode)

    IMPL = {
        "is_glob": ru.is_glob,
        "non_str_sequence": ru.non_str_sequence,
        "flatten_strings": ru.get_strings_in_flattened_sequence,
        "apply_to_strings": ru.apply_func_to_sequence,
        "path_decomposition": ru.path_decomposition,
        "path_components": ru.get_all_paths_components,
        "compile_suffix": ru.compile_suffix,
        "compile_regex": ru.compile_regex,
        "compile_formatter": ru.compile_formatter,
        "regex_substitute": regex_substitute,
        "formatter_substitute": ru.formatter_replace,
        "nested_formatter_substitute": ru.nested_formatter_replace,
        "ignore_unknown_encoder": ru.ignore_unknown_encoder,
        "shorten_filenames_encoder": ru.shorten_filenames_encoder,
        "get_nth_nested_level_of_path": ru.get_nth_nested_level_of_path,
        "get_readable_path_str": fnp.get_readable_path_str,
        "epoch_seconds_to_str": fnp.epoch_seconds_to_str,
        "wrap_exception_as_string": ru.wrap_exception_as_string,
        "indicators": {"suffix": ru.suffix, "regex": ru.regex, "formatter": ru.formatter},
        "exceptions": ruffus_exceptions,
    }
    calls = json.load(sys.stdin)
    json.dump([run_call(c, IMPL) for c in calls], sys.stdout)
    """
)

_shared: dict[str, Any] = {"__name__": "filenames_shared"}
exec(compile(SHARED, "<filenames shared>", "exec"), _shared)


def _ours() -> dict[str, Any]:
    from ruffus_luigi.errors import exceptions
    from ruffus_luigi.files import filenames, patterns, printable
    from ruffus_luigi.model import indicators

    impl: dict[str, Any] = {
        name: getattr(module, name) for module in (filenames, patterns, printable) for name in module.__all__
    }
    impl["indicators"] = {
        "suffix": indicators.suffix,
        "regex": indicators.regex,
        "formatter": indicators.formatter,
    }
    impl["exceptions"] = exceptions
    return impl


# --------------------------------------------------------------------------------
# JSON helpers for writing cases
# --------------------------------------------------------------------------------
def T(*items: Any) -> dict:
    return {"T": list(items)}


def S(*items: Any) -> dict:
    return {"S": list(items)}


def D(**items: Any) -> dict:
    return {"D": [[k, v] for k, v in items.items()]}


def R(pattern: str) -> dict:
    return {"R": pattern}


def O(name: str) -> dict:  # noqa: E743 - short helper name
    return {"O": name}


def F(name: str) -> dict:
    return {"F": name}


def IND(kind: str, *args: Any) -> dict:
    return {"I": kind, "a": list(args)}


def CWD(rel: str) -> dict:
    return {"C": rel}


TASK = {"K": "task"}
ERR = {"X": "error_task_transform"}
DESC = "@transform(%s)"


def suffix_regex(s: str) -> dict:
    return R("(.*)" + re.escape(s) + "$")


# --------------------------------------------------------------------------------
# Hand-picked cases
# --------------------------------------------------------------------------------
PATHS = [
    "",
    "/",
    "//",
    "///",
    "////a",
    ".",
    "./",
    "/.",
    "..",
    "../",
    "./x",
    "./x/",
    ".//x",
    "./.",
    "././x",
    "x",
    "x/",
    "x//y",
    "x/y",
    "/x",
    "/x/",
    "/x/y.txt",
    "//a/b",
    "///a/b",
    "a/b/c/d/filename.txt",
    "/a/b/c/d/filename.txt",
    "a.b.c",
    ".bashrc",
    "dir/.bashrc",
    "dir/.hidden.txt",
    "noext",
    "a/./b",
    "a/../b",
    "../../x.y",
    "./../x",
    "x/..",
    "/..",
    "a/b/",
    "a/b.txt/",
    "a/b/c/",
    "x.",
    "x..",
    "...",
    ".../x",
    "~/x.txt",
    "$HOME/x",
    "ünïcödé/ファイル.txt",
    "dir with space/file name.tar.gz",
    "a\\b.txt",
    "*.txt",
    "[ab].txt",
    "x?.txt",
    "{}.txt",
    "a/{b}/c",
    "tab\tname",
    "new\nline.txt",
    "/very/deep/nested/directory/structure/with/many/levels/file.txt",
    "relative/very/deep/nested/directory/file.fastq.gz",
]

NON_STRINGS = [None, 5, 2.5, True, [], ["*"], T("?"), S("a"), D(k="v"), {"B": "*.txt"}, O("plain")]

CASES: dict[str, list[list]] = {}


def case(group: str, name: str, *args: Any) -> None:
    CASES.setdefault(group, []).append([name, list(args)])


for p in PATHS + ["abc", "no glob here", "a]", "[", "?", "**"]:
    case("is_glob", "is_glob", p)
for x in NON_STRINGS + [["a", "b"], D(**{"*": 1})]:
    case("is_glob", "is_glob", x)

for x in NON_STRINGS + [
    "",
    "ab",
    O("mylist"),
    O("point"),
    O("frozen"),
    O("range"),
    O("int_type"),
    T(),
    S(),
    [[]],
]:
    case("non_str_sequence", "non_str_sequence", x)

for x in NON_STRINGS + [
    "",
    "a",
    ["a", ["b", T("c", S("d"))]],
    [1, None, "x", 2.5, D(k="v"), {"B": "b"}, O("plain"), ["y", [[["z"]]]]],
    T(D(k="v")),
    O("mylist"),
    O("point"),
    O("frozen"),
    O("range"),
    T(T(), [], S(), ""),
]:
    case("flatten_strings", "flatten_strings", x)

for func in ["upper", "tag", "none", "len", "boom"]:
    for x in [
        "a",
        None,
        5,
        [],
        T(),
        S(),
        ["a", ["b", T("c", S("d"), 7)], None],
        S("only"),
        S(1, 2, 3),
        D(k="v"),
        O("frozen"),
        O("mylist"),
        O("point"),
        O("range"),
        [O("plain"), "p", T(T(T("deep")))],
    ]:
        case("apply_to_strings", "apply_to_strings", x, F(func))

for p in PATHS:
    case("path_decomposition", "path_decomposition", p)
for x in [None, 5, ["a"], {"B": "a/b.txt"}, {"B": "./"}, {"B": "/"}]:
    case("path_decomposition", "path_decomposition", x)

SAMPLE_RE = r"(.*)(?P<id>\d+)\..+"
for paths, regexes in [
    (["a/b.txt"], None),
    (["/a/b/c/sample1.bam"], [R(SAMPLE_RE)]),
    (["dbsnp15.vcf"], [R(SAMPLE_RE)]),
    (["/test.txt"], [R(SAMPLE_RE)]),
    (["/test.txt"], [SAMPLE_RE]),
    (["a1.x", "b.x", "c3.x"], [R(SAMPLE_RE)]),
    (["a1.x", "b.x", "c3.x"], [R(SAMPLE_RE), None, R(SAMPLE_RE)]),
    (["a1.x", "b2.x", "c.x"], [R(SAMPLE_RE), R(SAMPLE_RE), R(SAMPLE_RE)]),
    (["a1.x"], [R(SAMPLE_RE), R("zzz"), R("yyy")]),
    (["a.x"], []),
    ([], []),
    ([], None),
    (["a.x"], T(R("a"))),
    (["a.x"], [5]),
    (["a.x"], ["("]),
    (["b"], [R("(a)|(b)")]),
    (["a"], [R("(a)|(b)")]),
    (["x"], [R("(x)?(y)?")]),
    (["ab"], [R("((a)b)")]),
    (["a"], [R("(?P<n>z)?a")]),
    (["a"], [R("(?P<n>a)?(?P<m>z)?")]),
    (["q/file.txt"], [R(r"(?P<basename>.*)\.(?P<ext>txt)")]),
    (["q/file.txt"], [R(r"(?P<subdir>q)/(?P<extra>.+)")]),
    ([""], [R("^$")]),
    ([""], None),
    (["./x/y.z", "/"], [R("."), R("/")]),
    (["a/b.txt"], [R("nomatch"), None]),
]:
    case("path_components", "path_components", paths, regexes)

for args in [
    (),
    (".txt",),
    (".txt", ".x"),
    (5,),
    (None,),
    ("",),
    ("[weird(.*)",),
    (["a"],),
    ("ü.gz",),
    (T(".a"),),
]:
    for desc in [DESC, "task 100%"]:
        case("compile", "compile_suffix", TASK, IND("suffix", *args), ERR, desc)
for args in [
    (),
    ("a(b)",),
    ("(",),
    ("a", "b"),
    ("a", "b", "c"),
    (5,),
    (None,),
    ("(?P<x>a)(?P=x)",),
    ("[",),
    ("a{",),
    (r"\d+(?P<n>x)",),
    (R("a"),),
    (T("a"),),
]:
    case("compile", "compile_regex", TASK, IND("regex", *args), ERR, DESC)
    case("compile", "compile_regex", TASK, IND("regex", *args), ERR, DESC, "files_re")
for args in [
    (),
    (None,),
    ("(.*)",),
    ("(",),
    (None, "a", "("),
    (5,),
    ("a", 5),
    (R("a"),),
    (None, None),
    ("a", "b"),
    (T("x"),),
    ("(?P<id>\\d+)",),
]:
    case("compile", "compile_formatter", TASK, IND("formatter", *args), ERR, DESC)
for exc, args in [
    ("ValueError", ["x"]),
    ("ValueError", []),
    ("KeyError", ["k"]),
    ("OSError", [2, "gone"]),
    ("MyErr", ["custom"]),
    ("MyErr", [""]),
    ("RuntimeError", [1, 2]),
    ("re", "("),
    ("re", "a{1,0}"),
]:
    case("compile", "wrap_exception_as_string", exc, args)

TXT = r"(.*)\.txt$"
for filename, regex_str, compiled, patterns in [
    ("a/b.txt", TXT, R(TXT), r"\1.out"),
    ("a/b.txt", TXT, R(TXT), [r"\1.a", T(r"\1.b", 5, None), S(r"\1.c"), D(k=r"\1")]),
    ("a/b.txt", TXT, R(TXT), "literal"),
    ("a/b.tsv", TXT, R(TXT), r"\1.out"),
    ("a/b.tsv", TXT, R(TXT), ["x", r"\1.out"]),
    ("a/b.tsv", TXT, R(TXT), [None, 5, D(a="b")]),
    ("a/b.txt", TXT, R(TXT), "has \1 control"),
    ("a/b.txt", TXT, R(TXT), "has \2 control \1 both"),
    ("a/b.txt", TXT, R(TXT), r"\3"),
    ("a/b.txt", TXT, R(TXT), r"\g<name>"),
    ("a/b.txt", TXT, R(TXT), r"\q"),
    ("a/b.txt", TXT, R(TXT), "\\"),
    ("a/b.txt", r"(?P<stem>.*)\.txt", R(r"(?P<stem>.*)\.txt"), r"\g<stem>.x"),
    ("a/b.txt", r"(?P<stem>.*)\.txt", R(r"(?P<stem>.*)\.txt"), r"\g<1>.\g<0>"),
    ("abc", "", R(""), "x"),
    ("abab", "a", R("a"), "A"),
    ("ab", "(a)|(b)", R("(a)|(b)"), r"[\1\2]"),
    (["a.txt"], TXT, R(TXT), "x"),
    (O("plain"), TXT, R(TXT), "x"),
    ("ü/ß.txt", TXT, R(TXT), r"\1.é"),
    ("a/b.txt", T("tuple", "regex"), R("zzz"), "x"),
    ("a/b.txt", TXT, R(TXT), "{basename}"),
]:
    case("regex_substitute", "regex_substitute", filename, regex_str, compiled, patterns)

for filename, sfx, patterns in [
    ("a/b.txt", ".txt", ".out"),
    ("a/b.txt", ".txt", r"\1.out"),
    ("a/b.txt", ".txt", r"\g<1>.out"),
    ("a/b.txt", ".txt", ""),
    ("a/b.txt", ".txt", [".a", T(".b", 3), S(".c"), None]),
    ("a/b.tsv", ".txt", ".out"),
    ("a/b.tsv", ".txt", [None, 5]),
    ("a/b.txt", ".txt", r"\3"),
    ("a/b.txt", ".txt", r"\2.out"),
    ("a/b.txt", ".txt", r"\q"),
    ("a/b.txt", ".txt", "has \1"),
    ("a/b.txt.txt", ".txt", ".x"),
    ("a/b.txt", "", ".x"),
    ("a/b[1].txt", "[1].txt", ".x"),
    ("a/b.txt", ".txt", r"\0x"),
    ("a/b.txt", ".txt", "\\"),
]:
    case("regex_substitute", "regex_substitute", filename, sfx, suffix_regex(sfx), patterns, True)
    case("regex_substitute", "regex_substitute", filename, sfx, suffix_regex(sfx), patterns, False)

FORMAT_PATTERNS = [
    "{basename[0]}{ext[0]}",
    "{path[0]}/{basename[0]}.out",
    "{subpath[0][0]}",
    "{subpath[0][1]}",
    "{subpath[0][9]}",
    "{subdir[0][0]}",
    "{subdir[0][1]}",
    "{0[0]}",
    "{1[0]}",
    "{2[0]}",
    "{1[1]}",
    "{id[0]}",
    "{5}",
    "{nosuch[0]}",
    "{basename[3]}",
    "{basename}",
    "no fields",
    "",
    "{",
    "}",
    "{basename.x}",
    "{basename[0]!r:>20}",
    "{{escaped}}",
    "{basename[0]}.{basename[1]}.{basename[2]}",
    ["{basename[0]}", T("{ext[0]}", 5, None), S("{path[0]}"), D(k="{x}")],
]
SAMPLE_STRS = [SAMPLE_RE]
for filenames, regex_strs, compiled in [
    (["a/b/c.txt"], [], []),
    (["/x/y/z.tar.gz"], ["(.*)"], [R("(.*)")]),
    (["/a/b/c/sample1.bam"], SAMPLE_STRS, [R(SAMPLE_RE)]),
    (["/a/b/c/sample1.bam", "x/y2.z", "w"], SAMPLE_STRS, [R(SAMPLE_RE)]),
    (["/a/b/c/sample1.bam", "x/y2.z"], SAMPLE_STRS + [None], [R(SAMPLE_RE), None]),
    (T("sample1.bam", "x/y2.z"), SAMPLE_STRS, [R(SAMPLE_RE), R(SAMPLE_RE)]),
    (["nomatch.txt"], SAMPLE_STRS, [R(SAMPLE_RE)]),
    (["./rel/ative.txt", "../up.txt", "/"], None, None),
    (["q/file.txt"], [r"(?P<basename>.*)\.(?P<ext>txt)"], [R(r"(?P<basename>.*)\.(?P<ext>txt)")]),
    (["b", "a"], ["(a)|(b)"], [R("(a)|(b)"), R("(a)|(b)")]),
    (["a", "b"], ["(a)|(b)"], [R("(a)|(b)"), R("(a)|(b)")]),
    (["ü/ファイル.txt"], ["(.)"], [R("(.)")]),
    ([], [], []),
    (
        ["a.x"],
        T(
            "tuple",
        ),
        [None],
    ),
    (["a.x"], [], T()),
    (["a.x"], [], [5]),
    (["a.x", 5], [], []),
    ("ab", [], []),
    (["a.x"], [], ["(a)"]),
]:
    for pattern in FORMAT_PATTERNS:
        case(
            "formatter_substitute", "formatter_substitute", filenames, regex_strs, compiled, pattern
        )

NESTED_PATTERNS = [
    "{basename[0][0]}_{basename[1][1]}",
    "{1[1][0]}",
    "{1[0][0]}",
    "{0[1][1]}",
    "{id[1][0]}",
    "{path[0][0]}/{subdir[1][1][0]}",
    "{subpath[1][0][1]}",
    "{basename[2][0]}",
    "{basename[0][5]}",
    "{nosuch}",
    "{3}",
    "plain",
    "{",
    ["{ext[0][0]}", T("{ext[1][0]}", None)],
]
for groups, strs, compiled in [
    ([["a/b.txt"], ["c/d.tsv", "e/f.x"]], [[], ["(.*)"]], [[], [R("(.*)")]]),
    ([["a/b1.txt"], ["c/d22.tsv"]], [[SAMPLE_RE], [SAMPLE_RE]], [[R(SAMPLE_RE)], [R(SAMPLE_RE)]]),
    ([["a/b1.txt"], ["nomatch"]], [[SAMPLE_RE], [SAMPLE_RE]], [[R(SAMPLE_RE)], [R(SAMPLE_RE)]]),
    ([["x"], ["y"]], [None, []], [None, []]),
    ([["x"], ["y"]], [[], []], [[]]),
    ([], [], []),
    ([["x"]], [T()], [[]]),
    ([["x", 1]], [[]], [[]]),
    ([["./r/x.y"], ["/abs/p/q.r"], ["s"]], [[], [], []], [[], [], []]),
]:
    for pattern in NESTED_PATTERNS:
        case("nested", "nested_formatter_substitute", groups, strs, compiled, pattern)

ENCODE_OBJECTS = [
    "plain string",
    'has "double" quotes',
    "<my object>",
    "<x object at 0x1>",
    "",
    None,
    1.5,
    True,
    7,
    [],
    T(),
    S(),
    ["a", ["b", T("c", 5)], S(3)],
    S(1, 2),
    D(a="b", c=[1, "d"]),
    O("plain"),
    O("elsewhere"),
    O("badstr"),
    O("looks"),
    O("openangle"),
    O("quote"),
    O("mylist"),
    O("point"),
    O("int_type"),
    O("frozen"),
    O("range"),
    R("a.*"),
    {"B": "bytes"},
    [O("plain"), [O("elsewhere"), None]],
    {"M": ["a/b/c/d.txt", 5]},
]
for obj in ENCODE_OBJECTS:
    case("encoders", "ignore_unknown_encoder", obj)

SHORTEN_OBJECTS = (
    ENCODE_OBJECTS
    + PATHS
    + [
        CWD("x.txt"),
        CWD("sub/x.txt"),
        CWD("sub/deeper/x.txt"),
        CWD("../sibling/dir/x.txt"),
        [CWD("sub/deeper/x.txt"), "/a/b/c/d/e.txt", T("rel/a/b/c.txt", 5)],
        ["/short", "/a/b", "a/b/c"],
        "/" + "/".join(f"d{i}" for i in range(30)) + "/file.txt",
        "a" * 200,
        "/" + "b" * 200 + "/c.txt",
    ]
)
for obj in SHORTEN_OBJECTS:
    for n in [0, 1, 2, 3, 5, -1, -4, -5, -6, -10, -20, -40, -80, -300]:
        case("encoders", "shorten_filenames_encoder", obj, n)
case("encoders", "shorten_filenames_encoder", "/a/b/c/d.txt")
case("encoders", "shorten_filenames_encoder", "/a/b/c/d.txt", None)

for p in PATHS + [CWD("sub/a/b.txt"), CWD("")]:
    for n in [0, 1, 2, 3, 4, 6, 10, -1, None, 2.0]:
        case("encoders", "get_nth_nested_level_of_path", p, n)

for p in PATHS + ["/" + "/".join(f"dir{i}" for i in range(12)) + "/f.txt", "x" * 50]:
    for n in [-3, 0, 1, 3, 5, 6, 7, 10, 20, 100]:
        case("encoders", "get_readable_path_str", p, n)

for t in [
    0,
    1,
    1.5,
    1306367860.123,
    1306367860.999,
    1306367860.995,
    1306367860.005,
    -1.5,
    -0.25,
    1e9,
    2**31,
    0.005,
    0.995,
    1.0,
    253402300799,
    253402300800,
    1e20,
    86399.999,
]:
    case("encoders", "epoch_seconds_to_str", t)


# --------------------------------------------------------------------------------
# Seeded random cases
# --------------------------------------------------------------------------------
SEED = int(os.environ.get("RUFFUS_LUIGI_FUZZ_SEED", "20240601"))
COUNT = int(os.environ.get("RUFFUS_LUIGI_FUZZ_COUNT", "400"))
rng = random.Random(SEED)

COMPONENTS = [
    "a",
    "b",
    "ab",
    "x.y",
    ".",
    "..",
    "",
    ".hidden",
    "ü",
    "*",
    "file.tar.gz",
    " ",
    "sample12.bam",
    "d1",
    "x.",
    "{0}",
    "名",
]


def rand_path() -> str:
    parts = [rng.choice(COMPONENTS) for _ in range(rng.randint(0, 6))]
    sep = rng.choice(["/", "/", "/", "//"])
    path = sep.join(parts)
    lead = rng.choice(["", "", "/", "./", "../", "//"])
    trail = rng.choice(["", "", "", "/"])
    return lead + path + trail


def rand_nested(depth: int = 0) -> Any:
    """Nested params; sets hold one string at most so their order is the same in both processes."""
    r = rng.random()
    if depth > 3 or r < 0.45:
        return rand_path()
    if r < 0.55:
        return rng.choice([None, 3, 2.5, O("plain"), D(k="v")])
    items = [rand_nested(depth + 1) for _ in range(rng.randint(0, 4))]
    kind = rng.choice(["list", "list", "tuple", "set"])
    if kind == "list":
        return items
    if kind == "tuple":
        return T(*items)
    return S(rand_path()) if rng.random() < 0.7 else S(*range(rng.randint(0, 3)))


FUZZ_REGEXES = [
    None,
    ".*",
    "(.*)",
    r"(.*)\.(.+)$",
    SAMPLE_RE,
    "(?P<dir>[^/]*)/(?P<name>[^/]*)$",
    "(a)|(b)",
    r"(\d)?(x)?",
    "^$",
    "zzz",
    "((a)(b))?",
    r"(?P<basename>[^/.]+)",
]
FUZZ_SUB_PATTERNS = [
    r"\1",
    r"\1.out",
    r"\g<1>x",
    r"\2",
    r"\g<name>",
    r"\g<dir>",
    "plain",
    "",
    r"\0",
    "{basename}",
    r"\3",
    r"\\",
]
FUZZ_SUFFIXES = [".txt", ".gz", ".tar.gz", "", "b", ".", "/"]
FUZZ_FORMAT = [
    "{basename[0]}",
    "{ext[0]}",
    "{path[0]}",
    "{subdir[0][0]}",
    "{subpath[0][1]}",
    "{subdir[0][2]}",
    "{0[0]}",
    "{1[0]}",
    "{2[1]}",
    "{name[0]}",
    "{dir[1]}",
    "{basename[1]}{ext[2]}",
    "{1}",
    "x",
]

for _ in range(COUNT):
    p = rand_path()
    case("fuzz_paths", "path_decomposition", p)
    case("fuzz_paths", "is_glob", p)
    case("fuzz_paths", "get_nth_nested_level_of_path", p, rng.randint(-1, 7))
    case("fuzz_paths", "get_readable_path_str", p, rng.randint(-2, 25))
    case("fuzz_paths", "shorten_filenames_encoder", p, rng.randint(-60, 5))
    nested = rand_nested()
    case("fuzz_nested", "flatten_strings", nested)
    case("fuzz_nested", "apply_to_strings", nested, F("tag"))
    case("fuzz_nested", "ignore_unknown_encoder", nested)
    case(
        "fuzz_nested", "shorten_filenames_encoder", nested, rng.choice([0, 1, 2, 3, -10, -30, -70])
    )
    rx_str = rng.choice(FUZZ_REGEXES[1:])
    case("fuzz_substitute", "regex_substitute", p, rx_str, R(rx_str), rng.choice(FUZZ_SUB_PATTERNS))
    sfx = rng.choice(FUZZ_SUFFIXES)
    case(
        "fuzz_substitute",
        "regex_substitute",
        p,
        sfx,
        suffix_regex(sfx),
        rng.choice(FUZZ_SUB_PATTERNS + [".out", ".x"]),
        True,
    )
    files = [rand_path() for _ in range(rng.randint(1, 3))]
    rx_strs = [rng.choice(FUZZ_REGEXES) for _ in range(rng.randint(0, len(files)))]
    compiled = [None if s is None else R(s) for s in rx_strs]
    case("fuzz_formatter", "path_components", files, compiled)
    case(
        "fuzz_formatter",
        "formatter_substitute",
        files,
        rx_strs,
        compiled,
        [rng.choice(FUZZ_FORMAT) for _ in range(rng.randint(1, 3))],
    )
    groups = [[rand_path() for _ in range(rng.randint(1, 2))] for _ in range(rng.randint(1, 3))]
    g_strs = [[rng.choice(FUZZ_REGEXES)] for _ in groups]
    g_compiled = [[None if s[0] is None else R(s[0])] for s in g_strs]
    nested_pattern = "{basename[0][0]}" + rng.choice(
        ["", "{1[0][0]}", "{ext[1][0]}", "{dir[0][0]}"]
    )
    case(
        "fuzz_formatter", "nested_formatter_substitute", groups, g_strs, g_compiled, nested_pattern
    )
    case("fuzz_formatter", "epoch_seconds_to_str", rng.uniform(-1e9, 4e9))


# --------------------------------------------------------------------------------
# Running and comparing
# --------------------------------------------------------------------------------
ALL_CALLS = [c for group in CASES.values() for c in group]


def _canonical(result: Any) -> str:
    return json.dumps(result, sort_keys=True, ensure_ascii=False)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A nested working directory shared by both processes (relpath/abspath depend on it)."""
    d = tmp_path_factory.mktemp("filenames") / "one" / "two"
    (d / "sub").mkdir(parents=True)
    return str(d)


@pytest.fixture(scope="module")
def reference(workdir: str) -> dict[str, str]:
    """Every case's result on real Ruffus, from one subprocess."""
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    proc = subprocess.run(
        [sys.executable, "-c", SHARED + REFERENCE_MAIN],
        input=json.dumps(ALL_CALLS),
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=workdir,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    assert len(results) == len(ALL_CALLS)
    return {_canonical(c): _canonical(r) for c, r in zip(ALL_CALLS, results, strict=True)}


@pytest.fixture
def in_workdir(workdir: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(workdir)
    return workdir


def _compare(calls: list[list], reference: dict[str, str]) -> None:
    impl = _ours()
    mismatches = []
    for call in calls:
        ours = _canonical(_shared["run_call"](call, impl))
        theirs = reference[_canonical(call)]
        if ours != theirs:
            mismatches.append(f"{_canonical(call)}\n  ruffus: {theirs}\n  ours:   {ours}")
    assert not mismatches, f"{len(mismatches)} of {len(calls)} differ:\n" + "\n".join(
        mismatches[:10]
    )


HAND_PICKED = [
    pytest.param(call, id=f"{group}-{i}-{call[0]}")
    for group, calls in CASES.items()
    if not group.startswith("fuzz")
    for i, call in enumerate(calls)
]


@pytest.mark.parametrize("call", HAND_PICKED)
def test_same_as_ruffus(call: list, reference: dict[str, str], in_workdir: str) -> None:
    _compare([call], reference)


@pytest.mark.parametrize("group", [g for g in CASES if g.startswith("fuzz")])
def test_random_cases_same_as_ruffus(
    group: str, reference: dict[str, str], in_workdir: str
) -> None:
    _compare(CASES[group], reference)


# --------------------------------------------------------------------------------
# Properties the comparison cannot see
# --------------------------------------------------------------------------------
def test_never_imports_real_ruffus() -> None:
    code = (
        "import sys, ruffus_luigi.files.filenames\n"
        "real = [m for m, mod in sys.modules.items()\n"
        "        if 'site-packages' in (getattr(mod, '__file__', '') or '')\n"
        "        and (m == 'ruffus' or m.startswith('ruffus.'))]\n"
        "assert not real, real\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


def test_cached_results_are_not_shared() -> None:
    from ruffus_luigi.files.filenames import path_components, path_decomposition

    first = path_decomposition("/a/b/c.txt")
    first["subdir"].append("junk")
    first["basename"] = "junk"
    assert path_decomposition("/a/b/c.txt")["subdir"] == ["b", "a", "/"]
    assert path_decomposition("/a/b/c.txt")["basename"] == "c"
    comps = path_components(["/a/b/c.txt"], [re.compile("(c)")])
    comps[0]["subpath"].clear()
    comps[0][1] = "junk"
    again = path_components(["/a/b/c.txt"], [re.compile("(c)")])
    assert again[0]["subpath"] == ["/a/b", "/a", "/"] and again[0][1] == "c"


def test_path_components_leaves_regex_list_alone() -> None:
    from ruffus_luigi.files.filenames import path_components

    regexes: list = ["(a)"]
    path_components(["a", "b"], regexes)
    assert regexes == ["(a)"]


def test_formatter_follows_working_directory(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ruffus_luigi.files.filenames import formatter_substitute

    for sub in ("one", "two"):
        (tmp_path / sub).mkdir()
        monkeypatch.chdir(tmp_path / sub)
        assert formatter_substitute(["x.txt"], [], [], "{path[0]}") == str(tmp_path / sub)


def test_formatter_pattern_without_strings_still_checks_inputs() -> None:
    """Ruffus builds the substitutions before looking at the pattern."""
    from ruffus_luigi.files.filenames import formatter_substitute

    with pytest.raises(TypeError):
        formatter_substitute([5], [], [], None)
    with pytest.raises(Exception, match="Unexpected parameter list"):
        formatter_substitute(["a"], ("x",), [], 7)
