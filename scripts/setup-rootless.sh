#!/usr/bin/env bash
# Sets up the production shape the end-to-end tests run in (issue 14): the
# mcp user with subordinate ids, /run/user/<uid>, /dev/net/tun and rootless
# podman's storage, exactly as scripts/install.sh does on a node (it runs
# install.sh, with the binary and units put in a throwaway place and nothing
# started). Idempotent; needs root and dist/mcp.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "setup-rootless: not root: the rootless suites will say they skipped" >&2; exit 0; }
scratch=/var/tmp/mcp-test-install
install -d -m 0755 "$scratch/prefix" "$scratch/units"
bash scripts/install.sh --binary dist/mcp --prefix "$scratch/prefix" --unit-dir "$scratch/units" --no-start >/dev/null
