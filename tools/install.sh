#!/usr/bin/env bash
# Install everything ruffus-luigi needs on a fresh Debian machine: system packages, then a
# virtual environment .venv holding only what the pyproject.toml files declare: the project
# (editable) with its test extra, and its plugins (editable) from plugins/. A dependency that
# is used but not declared fails there, as it would for a user. Safe to rerun.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
# chromium (headless) loads luigid's visualiser in tests/integration/test_visualiser.py.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq graphviz chromium >/dev/null

# One-host clusters for tests/cluster (started by tools/cluster/{sge,slurm}.sh, see
# docs/clusters.md): Debian's Grid Engine 8.1.9 with its DRMAA library, and Slurm 22.05 + munge.
# Grid Engine identifies hosts by name, so this host's name must resolve (to loopback here).
host=$(hostname)
getent hosts "$host" >/dev/null || echo "127.0.0.1 $host" | $SUDO tee -a /etc/hosts >/dev/null
# Without these answers (asked by each gridengine package) the packages leave the cell
# unconfigured; sge.sh checks and completes the cell anyway.
for pkg in gridengine-common gridengine-client gridengine-master gridengine-exec; do
  printf '%s shared/gridengineconfig boolean true\n%s shared/gridenginecell string default\n%s shared/gridenginemaster string %s\n' \
    "$pkg" "$pkg" "$pkg" "$host"
done | $SUDO debconf-set-selections
# The clusters are started by tools/cluster/*.sh, never by the packages' init scripts: forbid
# those for the install if the image does not already (Debian's container images do).
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod 755 /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
# --no-install-recommends keeps daemons we do not want out; mailutils satisfies
# gridengine-common's "bsd-mailx | mailx" without pulling in exim4 (an MTA daemon).
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
  --no-install-recommends gridengine-common gridengine-client gridengine-master \
  gridengine-exec gridengine-drmaa1.0 mailutils munge slurmctld slurmd slurm-client >/dev/null
# munge's postinst normally creates the key; make sure there is one.
if ! $SUDO test -s /etc/munge/munge.key; then
  $SUDO mungekey --create --keyfile=/etc/munge/munge.key
  $SUDO chown munge:munge /etc/munge/munge.key && $SUDO chmod 400 /etc/munge/munge.key
fi
# The virtual environment. python3 -m venv needs ensurepip, which Debian's own python3 has
# only with python3-venv.
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
fi
if ! .venv/bin/python -c 'import sys; sys.exit(sys.prefix == sys.base_prefix)' 2>/dev/null; then
  rm -rf .venv
  "$PYTHON" -m venv .venv
fi
plugins=()
for plugin in plugins/*/pyproject.toml; do
  [ -e "$plugin" ] && plugins+=(-e "$(dirname "$plugin")")
done
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]" "${plugins[@]}"
echo "ruffus-luigi installed in .venv: $(.venv/bin/ruffus-luigi --version) (use it: . .venv/bin/activate)"
