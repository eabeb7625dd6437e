"""``ruffus.cmdline`` is ``ruffus_luigi.cmdline``, imported when first used (see ``ruffus/__init__``)."""

import sys

import ruffus_luigi.cmdline

sys.modules[__name__] = ruffus_luigi.cmdline
