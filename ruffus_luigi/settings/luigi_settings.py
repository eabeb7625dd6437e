"""The ``[ruffus_luigi]`` settings as a Luigi ``Config``: documented, and settable on a ``luigi`` command line.

Read through ``config`` (which spares importing Luigi when no configuration exists); the
parameters are made from ``table.SETTINGS``, where each setting is declared.
"""

from __future__ import annotations

import luigi

from .table import CONFIGURED, SECTION

_PARAMETERS = {int: luigi.IntParameter, float: luigi.FloatParameter, str: luigi.Parameter}

ruffus_luigi = type(
    SECTION,  # the section name users write
    (luigi.Config,),
    {
        "__doc__": "Settings of ruffus-luigi.",
        "__module__": __name__,
        **{s.name: _PARAMETERS[s.type](default=s.default, description=s.help) for s in CONFIGURED},
    },
)
