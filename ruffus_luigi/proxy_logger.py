"""``ruffus.proxy_logger``: one real logger, shared by every job process through a proxy.

A manager process owns the logger; jobs get a picklable proxy and a lock, so
log lines from forked workers end up, whole, in one place.
"""

from __future__ import annotations

import logging
import logging.config
import logging.handlers
import multiprocessing  # noqa: F401 - with os and sys, given by `from ruffus.proxy_logger import *` (Ruffus' manual relies on it)
import os  # noqa: F401
import sys  # noqa: F401
from collections.abc import Callable
from multiprocessing.managers import BaseProxy, SyncManager
from typing import Any

from .execution import progress


def setup_std_shared_logger(logger_name: str, args: dict) -> logging.Logger:
    """A logger writing to ``args["file_name"]`` (or configured by ``args["config_file"]``)."""
    logger = logging.getLogger(logger_name)
    if "config_file" in args:
        logging.config.fileConfig(args["config_file"])
        return logger
    if "file_name" not in args:
        raise Exception("Missing file name for log. Remember to set 'file_name'")
    logger.setLevel(args.get("level", logging.DEBUG))
    if args.get("rotating"):
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            args["file_name"],
            maxBytes=args.get("maxBytes", 100000),
            backupCount=args.get("backupCount", 5),
            delay=args.get("delay", False),
        )
    else:
        handler = logging.FileHandler(args["file_name"], delay=args.get("delay", False))
    if "formatter" in args:  # otherwise logging's plain "%(message)s", as in Ruffus
        handler.setFormatter(logging.Formatter(args["formatter"]))
    logger.addHandler(handler)
    return logger


class LoggerProxy(BaseProxy):
    """The picklable stand-in jobs log through."""

    _exposed_ = ("debug", "info", "warning", "error", "critical", "log")

    def _logged(self, method: str, args: tuple, kwargs: dict) -> Any:
        """Call the real logger; a run's live progress line is taken off the terminal meanwhile."""
        progress.before_output()
        try:
            return self._callmethod(method, args, kwargs)
        finally:
            progress.after_line()

    def debug(self, *args: Any, **kwargs: Any) -> Any:
        return self._logged("debug", args, kwargs)

    def info(self, *args: Any, **kwargs: Any) -> Any:
        return self._logged("info", args, kwargs)

    def warning(self, *args: Any, **kwargs: Any) -> Any:
        return self._logged("warning", args, kwargs)

    def error(self, *args: Any, **kwargs: Any) -> Any:
        return self._logged("error", args, kwargs)

    def critical(self, *args: Any, **kwargs: Any) -> Any:
        return self._logged("critical", args, kwargs)

    def log(self, *args: Any, **kwargs: Any) -> Any:
        return self._logged("log", args, kwargs)


class LoggingManager(SyncManager):
    """The server process that owns the shared logger."""


_shared: dict[str, logging.Logger] = {}


def _make_logger(factory: Callable, name: str, args: Any) -> logging.Logger:
    _shared[name] = factory(name, args)
    return _shared[name]


LoggingManager.register("setup_logger", _make_logger, proxytype=LoggerProxy)


def make_shared_logger_and_proxy(
    logger_factory: Callable, logger_name: str, args: Any
) -> tuple[LoggerProxy, Any]:
    """Start the manager, create the logger in it; return (proxy, lock) for the jobs."""
    manager = LoggingManager()
    manager.start()
    proxy = manager.setup_logger(logger_factory, logger_name, args)
    proxy._ruffus_manager = manager  # keep the server alive as long as the proxy
    return proxy, manager.Lock()
