#!/usr/bin/env bash
# Sets up and runs every test: podman from Debian (when root or sudo is
# available), npm packages, the generated code check, the compiled binary,
# then `bun test`. Ends with one line: N passed, N failed[, N skipped].
set -uo pipefail
cd "$(dirname "$0")/.."

if ! bash scripts/setup-podman.sh; then
  echo "test: podman could not be set up here; the podman suites will say they skipped" >&2
fi
if [ ! -x node_modules/.bin/bun ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error || exit 1
fi
bun=node_modules/.bin/bun
$bun scripts/gen.ts --check || exit 1
$bun scripts/build.ts || exit 1
# The production shape: the mcp user and its rootless podman, as install.sh leaves a node (issue 14).
bash scripts/setup-rootless.sh || echo "test: the mcp user could not be set up; the rootless suites will say they skipped" >&2

out=$(mktemp)
# The helpers keep every secret they make and every agent log and CLI error here (see test/support/scan.ts).
MCP_TEST_SCAN_DIR=$(mktemp -d)
export MCP_TEST_SCAN_DIR
$bun test "$@" 2>&1 | tee "$out"
code=${PIPESTATUS[0]}
count() { grep -E "^ *[0-9]+ $1\$" "$out" | tail -n 1 | awk '{print $1}'; }
pass=$(count pass); fail=$(count fail); skip=$(count skip)
# After a full run: no token, password or pushed content in any log or error output (counted as one more test).
if [ $# -eq 0 ]; then
  if $bun scripts/scan-secrets.ts "$MCP_TEST_SCAN_DIR"; then pass=$(( ${pass:-0} + 1 )); else fail=$(( ${fail:-0} + 1 )); code=1; fi
fi
rm -rf "$MCP_TEST_SCAN_DIR"
line="${pass:-0} passed, ${fail:-0} failed"
[ -n "$skip" ] && [ "$skip" != 0 ] && line="$line, $skip skipped"
rm -f "$out"
echo "$line"
exit "$code"
