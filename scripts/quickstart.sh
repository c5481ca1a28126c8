#!/usr/bin/env bash
# The main job on this machine, with an embedded default: installs what is
# missing (podman from Debian, npm packages), builds dist/mcp, initializes a
# local agent with its own CA and token under .mcp-demo/, starts it on
# 127.0.0.1, deploys examples/services/hello.toml and shows `mcp ps`.
# Re-running it reuses the running agent. Stop it with: scripts/quickstart.sh stop
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
state="${MCP_DEMO_DIR:-$repo/.mcp-demo}"
port="${MCP_DEMO_PORT:-19444}"
mcp="$repo/dist/mcp"
export XDG_CONFIG_HOME="$state/config"   # the CLI's default config: $XDG_CONFIG_HOME/mcp/mcp.toml

agent_running() { [ -f "$state/agent.pid" ] && kill -0 "$(cat "$state/agent.pid")" 2>/dev/null; }

if [ "${1:-}" = stop ]; then
  if agent_running; then kill "$(cat "$state/agent.pid")"; echo "agent stopped (containers keep running; podman rm -f hello-web to remove)"; fi
  exit 0
fi

bash scripts/setup-podman.sh
if [ ! -x node_modules/.bin/bun ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
node_modules/.bin/bun scripts/build.ts
bash scripts/example-image.sh localhost/mcp-example/hello:v1

mkdir -p "$state"
if [ ! -f "$state/agent/mcp-agent.toml" ]; then
  "$mcp" agent init --node local --listen "127.0.0.1:$port" --dir "$state/agent" --srv-root "$state/srv" > "$state/init.txt"
  mkdir -p "$state/srv"
  "$mcp" node add local "127.0.0.1:$port" --ca-cert "$state/agent/certs/ca.pem"
  tail -n 1 "$state/init.txt" | "$mcp" login --node local --token-stdin
  mkdir -p "$XDG_CONFIG_HOME/mcp/services"
  cp examples/services/hello.toml "$XDG_CONFIG_HOME/mcp/services/"
fi

if ! agent_running; then
  # Only this start's lines count: the log is appended to across runs.
  offset=$(stat -c %s "$state/agent.log" 2>/dev/null || echo 0)
  nohup "$mcp" agent --config "$state/agent/mcp-agent.toml" >> "$state/agent.log" 2>&1 &
  echo $! > "$state/agent.pid"
  for _ in $(seq 1 100); do
    tail -c +"$((offset + 1))" "$state/agent.log" | grep -q "agent serving" && break
    kill -0 "$(cat "$state/agent.pid")" 2>/dev/null || { cat "$state/agent.log" >&2; exit 1; }
    sleep 0.1
  done
fi

"$mcp" deploy hello
echo
"$mcp" ps
cat <<TXT

The agent runs in the background (log: $state/agent.log). To use this setup:
  export XDG_CONFIG_HOME="$XDG_CONFIG_HOME"
  $mcp status            # desired vs observed
  curl http://127.0.0.1:18080/
  scripts/quickstart.sh stop
TXT
