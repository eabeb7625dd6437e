"""Ruffus' exception classes, and the errors shown in one line without a traceback."""
