"""``ruffus.proxy_logger`` is ``ruffus_luigi.proxy_logger``, imported when first used (see ``ruffus/__init__``)."""

import sys

import ruffus_luigi.proxy_logger

sys.modules[__name__] = ruffus_luigi.proxy_logger
