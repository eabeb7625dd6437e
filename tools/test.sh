#!/usr/bin/env bash
# Run the whole test suite: lint, the layers contract (import-linter: imports only go down,
# see docs/architecture.md), the documentation site (MkDocs, warnings are errors),
# Ruffus 3.0.0's own test suite through the `ruffus` import alias, then the tests of
# ruffus-luigi and of its plugins in plugins/ (in parallel; pytest's summary closes the run).
# Everything runs in the virtual environment .venv made by tools/install.sh, which holds only
# what pyproject.toml declares; its bin/ comes first on PATH (ruffus-luigi, luigid, ruff...).
set -uo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  echo "tools/test.sh: no .venv here: run tools/install.sh first" >&2
  exit 1
fi
export VIRTUAL_ENV="$PWD/.venv"
export PATH="$VIRTUAL_ENV/bin:$PATH"
unset PYTHONHOME PYTHONPATH  # the venv's packages only
py="$VIRTUAL_ENV/bin/python"
status=0
"$py" -m ruff check . || status=1
"$VIRTUAL_ENV/bin/lint-imports" || status=1
"$py" -m mkdocs build --strict --site-dir "$(mktemp -d)" || status=1
"$py" tools/ruffus_suite.py || status=1
"$py" -m pytest -n auto -q -p no:cacheprovider tests plugins || status=1
exit $status
