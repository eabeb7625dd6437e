"""What a Ruffus script declares: pipelines, tasks, decorators, indicators, loggers."""
