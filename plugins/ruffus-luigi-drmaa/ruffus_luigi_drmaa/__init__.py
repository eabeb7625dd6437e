"""The ``drmaa`` back end for ruffus-luigi (a plugin in the ``ruffus_luigi`` entry-point group).

Importing this package does not load the DRMAA library: ``ruffus_luigi_drmaa.backend`` does,
and ``ruffus_luigi_drmaa.plugin`` imports it only when the back end is chosen.
"""
