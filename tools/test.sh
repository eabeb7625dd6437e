#!/usr/bin/env bash
# Run the whole test suite: lint, the documentation site (MkDocs, warnings are errors),
# Ruffus 3.0.0's own test suite through the `ruffus` import alias, then the tests of
# ruffus-luigi and of its plugins in plugins/ (in parallel; pytest's summary closes the run).
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
ruff check . || status=1
mkdocs build --strict --site-dir "$(mktemp -d)" || status=1
python3 tools/ruffus_suite.py || status=1
python3 -m pytest -n auto -q -p no:cacheprovider tests plugins || status=1
exit $status
