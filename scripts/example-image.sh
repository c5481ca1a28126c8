#!/usr/bin/env bash
# Builds the example image localhost/mcp-example/hello:v1 from Debian's
# busybox-static (no registry is needed): busybox with its applets on PATH
# and a one-page site under /www. Idempotent.
set -euo pipefail
image="${1:-localhost/mcp-example/hello:v1}"
if podman image exists "$image"; then exit 0; fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/www" "$root/tmp"
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
cat > "$root/www/index.html" <<'HTML'
<!doctype html><title>hello from mcp</title><h1>hello from mcp</h1>
HTML
tar -C "$root" -cf "$root.tar" .
podman import --quiet --change 'ENV PATH=/bin' "$root.tar" "$image" >/dev/null
rm -f "$root.tar"
echo "example-image: built $image from /bin/busybox" >&2
