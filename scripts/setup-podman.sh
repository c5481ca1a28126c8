#!/usr/bin/env bash
# Installs and configures what mcp's tests and quick start need from Debian:
# podman with runc, uidmap, slirp4netns, zstd, busybox-static (the test and
# example images are built from it; there is no registry to pull from),
# docker-registry (a real registry on loopback for the credential tests), and
# mmdebstrap (the Debian root file system in which test/ops/reboot.e2e.test.ts
# boots a real systemd), and docker-compose (Debian's 1.29, which test/e2e/compose.e2e.test.ts
# runs against podman's API socket to compare with what mcp import compose deploys),
# and prometheus (its promtool checks the agent's /metrics, test/e2e/metrics.e2e.test.ts),
# and tmux (the interactive mcp exec -it and secret prompts are driven through it; catatonit,
# podman's init, is also the subreaper that lets the agent end a cancelled exec).
# Idempotent. Needs root (or sudo) only when something is missing.
set -euo pipefail

# catatonit is the init process podman runs for --init (a component's init = true; Debian's podman only recommends it).
need=()
for pkg in podman runc uidmap slirp4netns zstd busybox-static docker-registry systemd nix-bin openssl mmdebstrap catatonit docker-compose prometheus tmux; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if [ ${#need[@]} -gt 0 ]; then
  echo "setup-podman: installing ${need[*]}" >&2
  as_root apt-get update -q >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi

# This machine's kernel and cgroup setup need runc, cgroupfs and explicit ulimits.
conf=/etc/containers/containers.conf
want='# written by mcp scripts/setup-podman.sh
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
'
if [ ! -f "$conf" ] || ! grep -q 'written by mcp scripts/setup-podman.sh' "$conf"; then
  if [ -f "$conf" ]; then as_root cp "$conf" "$conf.mcp-backup"; fi
  printf '%s' "$want" | as_root tee "$conf" >/dev/null
  echo "setup-podman: wrote $conf" >&2
fi

podman version --format '{{.Client.Version}}' >/dev/null
