"""``ruffus.drmaa_wrapper`` is ``ruffus_luigi.drmaa_wrapper``, imported when first used (see ``ruffus/__init__``)."""

import sys

import ruffus_luigi.drmaa_wrapper

sys.modules[__name__] = ruffus_luigi.drmaa_wrapper
