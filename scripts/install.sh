#!/usr/bin/env bash
# Installs the mcp agent on a Debian-like node (SPEC §6.2). Idempotent: run it
# again after an upgrade, or to repair modes; a second run changes nothing.
# Messages go to stderr; stdout carries only `mcp agent init`'s output, whose
# last line is the admin token (with --node/--listen on a first install); the
# token is also written to <srv-root>/mcp/admin-token (root, 0600).
set -euo pipefail

usage() {
  cat <<'TXT'
Usage: scripts/install.sh [options]          (as root)

Installs the mcp agent to run as the unprivileged `mcp` user with rootless
podman: the user (home <srv-root>/mcp, shell nologin, subuid/subgid ranges),
lingering, /run/user/<uid>, the directories and their modes, the binary, the
systemd units, rootless podman storage, and an agent config if none exists.
Running it twice leaves the same result.

Options:
  --binary FILE      the mcp binary to install (default: dist/mcp of this checkout)
  --prefix DIR       install the binary as DIR/bin/mcp, docs under DIR/share/doc/mcp
                     (default: /usr/local)
  --srv-root DIR     where service data directories live; the agent's home and
                     state is DIR/mcp (default: /srv)
  --unit-dir DIR     where the systemd units go (default: /etc/systemd/system)
  --node NAME        with --listen: on a first install, run `mcp agent init` as the
  --listen HOST:PORT mcp user (config, CA and certificate, registry, admin token;
                     the token is the last line of stdout and is written to
                     <srv-root>/mcp/admin-token, root-only). Without them, an
                     example config is left as <srv-root>/mcp/mcp-agent.toml.example.
  --no-start         do not enable or (re)start the units (systemd hosts only)
  -h, --help         this text

Then see docs/bootstrap.md (a new node to its first deploy) and RUNBOOK.md.
TXT
}

repo=$(cd "$(dirname "$0")/.." && pwd)
binary="$repo/dist/mcp"
prefix=/usr/local
srv_root=/srv
unit_dir=/etc/systemd/system
node=""
listen=""
start=1
user=mcp
# The PATH the agent gets (the same as the unit's): podman, newuidmap, slirp4netns, runc, conmon.
agent_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

say() { echo "install: $*" >&2; }
die() { echo "install: error: $1" >&2; [ -z "${2:-}" ] || echo "install: hint: $2" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary="${2:?--binary needs a file}"; shift 2 ;;
    --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
    --srv-root) srv_root="${2:?--srv-root needs a directory}"; shift 2 ;;
    --unit-dir) unit_dir="${2:?--unit-dir needs a directory}"; shift 2 ;;
    --node) node="${2:?--node needs a name}"; shift 2 ;;
    --listen) listen="${2:?--listen needs host:port}"; shift 2 ;;
    --no-start) start=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument: $1" "see scripts/install.sh --help" ;;
  esac
done

# Paths end up in unit files and sed expressions: keep them plain.
for p in "$prefix" "$srv_root" "$unit_dir"; do
  [[ "$p" =~ ^/[A-Za-z0-9._/-]*$ ]] || die "$p: must be an absolute path of letters, digits and . _ - /"
done
prefix=${prefix%/}; srv_root=${srv_root%/}; unit_dir=${unit_dir%/}
[ -n "$srv_root" ] || die "--srv-root cannot be /"
if [ -n "$node$listen" ] && { [ -z "$node" ] || [ -z "$listen" ]; }; then
  die "--node and --listen go together" "e.g. --node rift --listen 100.95.252.120:9444"
fi
[ "$(id -u)" -eq 0 ] || die "run as root" "sudo $0 $*"
[ -x "$binary" ] || die "$binary is not an executable file" "build it (bun scripts/build.ts) or pass --binary"
"$binary" version >/dev/null || die "$binary does not run" "is it a Linux x86-64 build of mcp?"
command -v podman >/dev/null || die "podman is not installed" "apt-get install podman uidmap slirp4netns"
command -v newuidmap >/dev/null && command -v newgidmap >/dev/null || die "newuidmap/newgidmap are missing (rootless podman needs them)" "apt-get install uidmap"
command -v setpriv >/dev/null && command -v runuser >/dev/null || die "setpriv/runuser are missing" "apt-get install util-linux"
# The agent unit's privileged ExecStartPre names them by path.
podman_bin=$(command -v podman); setpriv_bin=$(command -v setpriv)

home="$srv_root/mcp"
dest="$prefix/bin/mcp"
doc_dir="$prefix/share/doc/mcp"
systemd_up=0
[ -d /run/systemd/system ] && systemd_up=1
changed=0 # binary or units changed: a running agent is restarted (systemd hosts)

# Writes stdin to $1 with owner $2 and mode $3, only when the content differs
# (so the file's inode and mtime stay put on a re-run); sets the owner and
# mode either way. Returns 0 when the content changed, 1 when not.
put() {
  local target=$1 owner=$2 mode=$3 tmp
  tmp=$(mktemp "$(dirname "$target")/.install.XXXXXX")
  cat > "$tmp"
  if [ -f "$target" ] && cmp -s "$tmp" "$target"; then
    rm -f "$tmp"; chown "$owner" "$target"; chmod "$mode" "$target"; return 1
  fi
  chown "$owner" "$tmp"; chmod "$mode" "$tmp"; mv -f "$tmp" "$target"; return 0
}

# --- the user -----------------------------------------------------------------
nologin=$(command -v nologin || echo /usr/sbin/nologin)
if ! getent passwd "$user" >/dev/null; then
  useradd --system --user-group --home-dir "$home" --no-create-home --shell "$nologin" --comment "mcp agent" "$user"
  say "created system user $user (home $home)"
else
  have_home=$(getent passwd "$user" | cut -d: -f6)
  [ "$have_home" = "$home" ] || say "warning: user $user exists with home $have_home, not $home (left as it is)"
fi
uid=$(id -u "$user"); gid=$(id -g "$user")

# Subordinate ids for the user namespace of rootless podman: 65536 of each,
# after every range already given out, added only when the user has none.
next_free() { awk -F: 'BEGIN { n = 100000 } NF >= 3 && $2 + $3 > n { n = $2 + $3 } END { print n }' "$1" 2>/dev/null || echo 100000; }
for kind in uid gid; do
  file=/etc/sub$kind
  touch "$file"
  if ! grep -Eq "^($user|$uid):" "$file"; then
    first=$(next_free "$file"); last=$((first + 65535))
    if [ $kind = uid ]; then usermod --add-subuids "$first-$last" "$user"; else usermod --add-subgids "$first-$last" "$user"; fi
    say "added $file range $first-$last for $user"
  fi
done

# --- directories ----------------------------------------------------------------
install -d -m 0755 "$srv_root"
# The agent creates staging directories (.mcp-snapshot-*, .mcp-restore-*) in the
# srv root and renames service directories there (mcp restore): the mcp group may
# write, and the sticky bit keeps it from renaming or removing what it does not own.
chgrp "$user" "$srv_root"; chmod 1775 "$srv_root"
install -d -o "$user" -g "$user" -m 0700 "$home" "$home/certs" "$home/backups"

# --- the runtime directory and lingering -----------------------------------------
if [ $systemd_up = 0 ]; then
  say "systemd is not running here: lingering skipped (on a systemd host: loginctl enable-linger $user)"
elif ! loginctl enable-linger "$user"; then
  # logind keeps /run/user/<uid> from boot on only with lingering.
  say "warning: loginctl enable-linger $user failed: the agent needs /run/user/$uid at boot"
elif ! systemctl start "user@$uid.service" 2>/dev/null; then
  # Lingering starts the user's manager at boot; seen failing where pam_systemd
  # is missing (a minimal root file system): the user's manager then never runs.
  # The agent itself only needs /run/user/<uid> (the unit's drop-in below).
  say "warning: user@$uid.service ($user's lingering manager) does not start: is libpam-systemd installed? (journalctl -u user@$uid)"
fi
if [ ! -d "/run/user/$uid" ]; then
  install -d -m 0755 /run/user
  install -d -o "$user" -g "$user" -m 0700 "/run/user/$uid"
  [ $systemd_up = 1 ] || say "created /run/user/$uid ($user, 0700); /run is emptied at boot: run this script again before starting the agent"
else
  chown "$user:$user" "/run/user/$uid"; chmod 0700 "/run/user/$uid"
fi

# --- rootless podman --------------------------------------------------------------
# slirp4netns (rootless networking) opens /dev/net/tun: 0666 is Debian's udev default.
if [ -c /dev/net/tun ]; then
  if [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
    chmod 0666 /dev/net/tun
    say "made /dev/net/tun 0666 (udev's default; rootless networking needs it)"
  fi
else
  say "warning: /dev/net/tun is missing: rootless containers will have no network (modprobe tun)"
fi
# Storage: overlay without fuse-overlayfs (native rootless overlay, kernel >= 5.13).
# Only for a storage that does not exist yet: podman refuses to switch drivers
# under existing images and containers.
storage_conf="$home/.config/containers/storage.conf"
if [ ! -e "$storage_conf" ] && [ ! -e "$home/.local/share/containers/storage" ]; then
  kver=$(uname -r); kmaj=${kver%%.*}; kmin=${kver#*.}; kmin=${kmin%%.*}
  if [ "$kmaj" -gt 5 ] || { [ "$kmaj" -eq 5 ] && [ "$kmin" -ge 13 ]; }; then
    install -d -o "$user" -g "$user" -m 0700 "$home/.config" "$home/.config/containers"
    printf '%s\n' "# written by mcp scripts/install.sh: rootless overlay, native (kernel >= 5.13, no fuse-overlayfs)" \
      "[storage]" 'driver = "overlay"' | put "$storage_conf" "$user:$user" 0644 || true
    say "rootless podman storage: overlay ($storage_conf)"
  else
    say "kernel $kver has no rootless overlay: podman picks its default (fuse-overlayfs if installed, else vfs)"
  fi
fi

# --- the binary and the documents -------------------------------------------------
install -d -m 0755 "$prefix/bin" "$doc_dir"
if put "$dest" root:root 0755 < "$binary"; then changed=1; say "installed $dest ($("$dest" version))"; fi
for doc in RUNBOOK.md docs/bootstrap.md; do
  [ -f "$repo/$doc" ] && { put "$doc_dir/$(basename "$doc")" root:root 0644 < "$repo/$doc" || true; }
done

# --- the units --------------------------------------------------------------------
install -d -m 0755 "$unit_dir"
render() {
  sed -e "s|@MCP_UID@|$uid|g" -e "s|/srv/mcp|$home|g" \
      -e "s|/usr/local/bin/mcp|$dest|g" -e "s|/usr/local/share/doc/mcp|$doc_dir|g" \
      -e "s|/usr/bin/podman|$podman_bin|g" -e "s|/usr/bin/setpriv|$setpriv_bin|g" "$1"
}
for unit in mcp-agent.service mcp-agent-backup.service mcp-agent-backup.timer; do
  if render "$repo/deploy/systemd/$unit" | put "$unit_dir/$unit" root:root 0644; then
    changed=1; say "installed $unit_dir/$unit"
  fi
done
# At boot systemd started the agent before logind had made /run/user/<uid>
# for the lingering user (nothing orders the two): the first start failed and
# only Restart= brought the agent up, 5 s later (test/ops/reboot.e2e.test.ts).
# user-runtime-dir@<uid> is the unit that makes the directory (lingering pulls
# it in too); Wants= also keeps it while the agent runs. The uid is only known
# here, and the shipped unit cannot name user-runtime-dir@@MCP_UID@ (the
# template's Slice=user-%i.slice does not load with that placeholder), so the
# ordering is this drop-in.
install -d -m 0755 "$unit_dir/mcp-agent.service.d"
if printf '%s\n' "# written by mcp scripts/install.sh: /run/user/$uid ($user's XDG_RUNTIME_DIR) exists before the agent starts" \
    "[Unit]" "Wants=user-runtime-dir@$uid.service" "After=user-runtime-dir@$uid.service" \
    | put "$unit_dir/mcp-agent.service.d/runtime-dir.conf" root:root 0644; then
  changed=1; say "installed $unit_dir/mcp-agent.service.d/runtime-dir.conf"
fi

# --- the agent's config ---------------------------------------------------------------
config="$home/mcp-agent.toml"
token_file="$home/admin-token"
as_mcp() { (cd / && runuser -u "$user" -- env -i HOME="$home" XDG_RUNTIME_DIR="/run/user/$uid" PATH="$agent_path" "$@"); }
if [ -f "$config" ]; then
  # An existing setup is never touched.
  [ -z "$node" ] || say "$config exists: kept as it is (--node and --listen only apply to a first install)"
elif [ -n "$node" ]; then
  say "running mcp agent init --node $node --listen $listen as $user"
  if ! init_out=$(as_mcp "$dest" agent init --node "$node" --listen "$listen" --dir "$home" --srv-root "$srv_root"); then
    printf '%s\n' "$init_out"
    die "mcp agent init failed (its error is above)"
  fi
  printf '%s\n' "$init_out"
  # The token exists only now (the registry keeps its hash): also keep it in a
  # file only root reads, so that it is not lost with the terminal. Only a
  # first install gets here (an existing config skips init), so a re-run never
  # touches it; a file left by an earlier, removed setup holds a dead token and
  # is replaced.
  token=${init_out##*$'\n'}
  if [[ "$token" =~ ^[A-Za-z0-9_-]{20,}$ ]]; then
    [ ! -e "$token_file" ] || say "replacing $token_file (the token of an earlier setup, whose config is gone)"
    printf '%s\n' "$token" | put "$token_file" root:root 0600 || true
    say "admin token written to $token_file (root, 0600); it is also the last line of stdout"
  else
    say "warning: the last line of mcp agent init's output is not a token: $token_file not written"
  fi
elif [ ! -f "$config.example" ]; then
  if [ -f "$repo/examples/mcp-agent.toml" ]; then
    sed -e "s|/srv/mcp|$home|g" -e "s|^srv_root = \"/srv\"|srv_root = \"$srv_root\"|" "$repo/examples/mcp-agent.toml" \
      | put "$config.example" "$user:$user" 0600 || true
    say "no agent config: left an example at $config.example; make the real one with"
    say "  runuser -u $user -- $dest agent init --node <name> --listen <host:port> --dir $home --srv-root $srv_root"
  fi
fi

# --- systemd ------------------------------------------------------------------------------
if [ $systemd_up = 1 ] && [ "$unit_dir" = /etc/systemd/system ]; then
  systemctl daemon-reload
  if [ $start = 1 ]; then
    systemctl enable --now mcp-agent-backup.timer >/dev/null 2>&1 || say "warning: could not enable mcp-agent-backup.timer"
    if [ -f "$config" ]; then
      systemctl enable mcp-agent.service >/dev/null 2>&1
      # The agent stopping never stops containers, so an upgrade restarts it.
      if [ $changed = 1 ]; then systemctl restart mcp-agent.service; else systemctl start mcp-agent.service; fi
      say "mcp-agent is $(systemctl is-active mcp-agent.service || true) (journalctl -u mcp-agent)"
    fi
  fi
else
  say "systemd is not running: units installed, not started. Run the agent by hand with"
  say "  runuser -u $user -- env HOME=$home XDG_RUNTIME_DIR=/run/user/$uid PATH=$agent_path $dest agent --config $config"
fi
say "done: $user uid $uid gid $gid, home $home, binary $dest"
