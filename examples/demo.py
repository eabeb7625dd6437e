"""A small sequencing pipeline in plain Ruffus, to see ruffus-luigi run one end to end.

Four samples, each sequenced on two lanes: the reads are made up, "aligned" (upper-cased),
counted per lane, merged per sample with ``@collate``, and summed up in one report.
Everything it makes goes into ``demo_work/`` beside this file; run it again and nothing
is redone; touch a lane's reads and only what depends on them runs again::

    ruffus-luigi run examples/demo.py -v 3          # the run, with Ruffus' printout
    ruffus-luigi run examples/demo.py -n -v 3       # what a run would do, nothing runs
    ruffus-luigi run examples/demo.py --flowchart flowchart.svg  # in demo_work/; needs graphviz dot

The options (``-j``, ``-v``, ``-n``, ``--flowchart``, ``--log_file``...) are Ruffus'
``ruffus.cmdline`` ones; the same script runs under Ruffus 3.0.0 itself.
"""

import os
import random

from ruffus import cmdline, collate, formatter, merge, mkdir, originate, regex, transform

SAMPLES = ["liver", "heart", "brain", "lung"]
LANES = ["L1", "L2"]
HERE = os.path.dirname(os.path.abspath(__file__))

parser = cmdline.get_argparse(description="ruffus-luigi's demo pipeline")
options = parser.parse_args()
logger, logger_mutex = cmdline.setup_logging(__name__, options.log_file, options.verbose)


@mkdir(["reads", "aligned", "counts", "merged"])
@originate(["reads/%s_%s.fastq" % (sample, lane) for sample in SAMPLES for lane in LANES])
def sequence(fastq):
    """Made-up reads, the same every run (one random generator per file, seeded by its name)."""
    draw = random.Random(os.path.basename(fastq))
    with open(fastq, "w") as out:
        for i in range(50):
            out.write("@read%d\n%s\n+\n%s\n" % (i, "".join(draw.choice("acgt") for _ in range(30)), "I" * 30))


@transform(sequence, formatter(r"reads/(?P<sample>\w+)_(?P<lane>L\d)\.fastq$"),
           "aligned/{sample[0]}_{lane[0]}.sam", "{sample[0]}")
def align(fastq, sam, sample):
    with open(fastq) as reads, open(sam, "w") as out:
        for i, line in enumerate(reads):
            if i % 4 == 1:
                out.write("%s\t%s\n" % (sample, line.strip().upper()))
    with logger_mutex:
        logger.info("aligned %s", fastq)


@transform(align, regex(r"aligned/(\w+)_(L\d)\.sam$"), r"counts/\1_\2.count")
def count(sam, counted):
    with open(sam) as reads:
        bases = sum(len(line.split("\t")[1].strip()) for line in reads)
    with open(counted, "w") as out:
        out.write("%d\n" % bases)


@collate(count, regex(r"counts/(\w+)_L\d\.count$"), r"merged/\1.total")
def merge_lanes(counts, total):
    with open(total, "w") as out:
        out.write("%d\n" % sum(int(open(c).read()) for c in counts))


@merge(merge_lanes, "report.txt")
def report(totals, report_file):
    with open(report_file, "w") as out:
        for total in sorted(totals):
            out.write("%s\t%s" % (os.path.basename(total)[: -len(".total")], open(total).read()))


if __name__ == "__main__":
    work = os.path.join(HERE, "demo_work")
    os.makedirs(work, exist_ok=True)
    os.chdir(work)
    cmdline.run(options)
