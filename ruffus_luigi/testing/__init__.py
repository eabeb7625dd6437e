"""Test helpers for plugin authors: ``backend_conformance.BackendConformance``."""
