"""``ruffus.cmdline`` is ``ruffus_luigi.cmdline``, imported when first used (see ``ruffus/__init__``)."""

import sys

import ruffus
import ruffus_luigi.cmdline

ruffus_luigi.cmdline.task = ruffus.task  # (Ruffus' cmdline imports ruffus.task: its `import *` gives it)
sys.modules[__name__] = ruffus_luigi.cmdline
