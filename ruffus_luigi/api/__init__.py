"""The Ruffus API's verbs: ``pipeline_run``, and ``Pipeline`` with its ``run`` and ``printout`` methods."""
