"""Luigi: the generated task classes, the worker and its slots, the scheduler, the luigid client."""
