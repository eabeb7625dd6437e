from ruffus import *
from ruffus.combinatorics import *
from _record import record

for _f, text in [("my file.txt", "héllo wörld\n"), ("other file.txt", "日本語\n")]:
    open(_f, "w", encoding="utf-8").write(text)

@transform(["my file.txt", "other file.txt"], suffix(".txt"), ".out copy")
def f(i, o):
    record("f", i, o)

@merge(f, "merged file")
def m(i, o):
    record("m", i, o)
