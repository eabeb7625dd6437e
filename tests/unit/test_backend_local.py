"""The conformance kit against the built-in ``local`` back end."""

import pytest

from ruffus_luigi.backends.local import LocalBackend
from ruffus_luigi.testing.backend_conformance import BackendConformance


class TestLocalBackend(BackendConformance):
    timeout = 60.0

    @pytest.fixture
    def backend(self):
        backend = LocalBackend()
        yield backend
        backend.close()
