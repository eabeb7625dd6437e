#!/usr/bin/env bash
# Install everything ruffus-luigi needs on a fresh Debian machine: system packages,
# the project (editable), its plugins and its test dependencies. Safe to rerun.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq graphviz >/dev/null
python3 -m pip install -q -e ".[test]"
for plugin in plugins/*/pyproject.toml; do
  [ -e "$plugin" ] && python3 -m pip install -q -e "$(dirname "$plugin")"
done
echo "ruffus-luigi installed: $(ruffus-luigi --version)"
