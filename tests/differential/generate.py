"""Random Ruffus pipelines for the differential corpus, one per seed (reproducible).

A pipeline starts from @originate outputs or input files matched by a glob, then
adds 2-6 steps, each a random decorator over one or two earlier tasks. Every task
writes files named ``<stem>.t<N>`` (N = the task's number), so the patterns of
later steps (suffix, regex, formatter, collate groups) can be written knowing
what the earlier tasks make. Job bodies call ``_record.record``.
"""

from __future__ import annotations

import random

STEMS = ["ab", "ac", "b1", "bb", "c9", "ca", "d", "dd0"]


class _Task:
    def __init__(self, number: int, many: bool, exact: bool) -> None:
        self.name = "t%d" % number
        self.ext = ".t%d" % number
        self.many = many  # more than one output file
        self.exact = exact  # outputs named <stem>.tN exactly (no extra dots)


def generate(seed: int) -> str:
    """The source of one random pipeline script."""
    rnd = random.Random(seed)
    lines = ["import os", "from ruffus import *", "from ruffus.combinatorics import *", "from _record import record", ""]
    stems = sorted(rnd.sample(STEMS, rnd.randint(2, 5)))
    tasks: list[_Task] = []

    first = _Task(0, True, True)
    if rnd.random() < 0.5:
        lines += ["@originate(%r)" % ["%s.t0" % s for s in stems]]
        lines += _body(first.name, "o", "record(%r, None, o)" % first.name)
    else:
        lines += ["for _s in %r:" % stems, "    open(_s + '.t0', 'w').write(_s)", ""]
        lines += ["@transform('*.t0', suffix('.t0'), '.u0')"]
        lines += _body(first.name, "i, o", "record(%r, i, o)" % first.name)
        first.ext = ".u0"
    tasks.append(first)

    for number in range(1, rnd.randint(3, 7)):
        source = rnd.choice(tasks)
        new = _Task(number, source.many, source.exact)
        decorators, signature, call = _step(rnd, source, new, tasks)
        if rnd.random() < 0.15:
            decorators.append("@follows(mkdir('dir%d'))" % number)
        if rnd.random() < 0.1:
            decorators.append("@posttask(touch_file('done%d.flag'))" % number)
        if rnd.random() < 0.1:
            decorators.append("@jobs_limit(1)")
        lines += decorators
        lines += _body(new.name, signature, call)
        tasks.append(new)
    lines.append("RUN_KWARGS = %r" % ({"checksum_level": rnd.choice([0, 1, 2, 3])},))
    return "\n".join(lines) + "\n"


def _body(name: str, signature: str, call: str) -> list[str]:
    return ["def %s(%s):" % (name, signature), "    " + call, "", ""]


def _step(rnd: random.Random, src: _Task, new: _Task, tasks: list[_Task]) -> tuple[list[str], str, str]:
    """Decorator lines, the function's signature and its body call for one random step."""
    n, ext, s = new.name, new.ext, src.name
    kinds = ["suffix", "regex", "formatter", "extras", "add_inputs", "merge"]
    if src.many and src.exact:
        kinds += ["collate_regex", "collate_formatter", "product", "combinations", "permutations"]
    if not src.many:
        kinds += ["split_list", "split_glob"]
    if src.exact:
        kinds += ["subdivide"]
    kind = rnd.choice(kinds)
    io = "i, o", "record(%r, i, o)" % n
    if kind == "suffix":
        return ["@transform(%s, suffix(%r), %r)" % (s, src.ext, ext)], *io
    if kind == "regex":
        return ["@transform(%s, regex(r'(.+)\\%s$'), r'\\1%s')" % (s, src.ext, ext)], *io
    if kind == "formatter":
        return ["@transform(%s, formatter(r'(?P<STEM>[^/]+)\\%s$'), '{path[0]}/{STEM[0]}%s')" % (s, src.ext, ext)], *io
    if kind == "extras":
        extra = rnd.choice(["'x'", "42", "['a', 1]", "{'k': 'v'}"])
        return ["@transform(%s, suffix(%r), %r, %s)" % (s, src.ext, ext, extra)], "i, o, e", "record(%r, i, o, e)" % n
    if kind == "add_inputs":
        other = rnd.choice(tasks)
        return ["@transform(%s, suffix(%r), add_inputs(%s), %r)" % (s, src.ext, other.name, ext)], *io
    if kind == "merge":
        new.many = False
        new.exact = False
        return ["@merge(%s, 'all%s')" % (s, ext)], *io
    if kind == "collate_regex":
        return ["@collate(%s, regex(r'([a-z])\\w*\\%s$'), r'\\1%s')" % (s, src.ext, ext)], *io
    if kind == "collate_formatter":
        return ["@collate(%s, formatter(r'(?P<G>[a-z])\\w*\\%s$'), '{path[0]}/{G[0]}g%s')" % (s, src.ext, ext)], *io
    if kind in ("product", "combinations", "permutations"):
        new.exact = False
        out = "'{basename[0][0]}_{basename[1][0]}%s'" % ext
        if kind == "product":
            other = rnd.choice(tasks)
            return ["@product(%s, formatter(), %s, formatter(), %s)" % (s, other.name, out)], *io
        return ["@%s(%s, formatter(), 2, %s)" % (kind, s, out)], *io
    if kind == "split_list":
        new.many = True
        return ["@split(%s, ['p%s', 'q%s'])" % (s, ext, ext)], *io
    if kind == "split_glob":
        new.many = True
        body = "record(%r, i, o); [open('g%%d%s' %% k, 'w').write('g') for k in range(3)]" % (n, ext)
        return ["@split(%s, 'g*%s')" % (s, ext)], "i, o", body
    # subdivide: each input into two files found by a glob
    new.many, new.exact = True, False
    body = "record(%r, i, o, stem); [open('%%s.%%d%s' %% (stem, k), 'w').write('s') for k in range(2)]" % (n, ext)
    return ["@subdivide(%s, regex(r'(.+)\\%s$'), r'\\1.*%s', r'\\1')" % (s, src.ext, ext)], "i, o, stem", body


if __name__ == "__main__":
    import sys

    print(generate(int(sys.argv[1])))
