"""An example ruffus-luigi back end plugin, to copy: ``plugin`` registers it, ``backend`` is it.

Nothing is imported here: ruffus-luigi imports ``ruffus_luigi_example.plugin`` (and so
this package) in every run, and the back end itself only when it is chosen.
"""
