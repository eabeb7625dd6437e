"""The ``[ruffus_luigi]`` settings: luigi.cfg, environment variables, defaults."""
