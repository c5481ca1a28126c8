/**
 * A real systemd for the operations tests: a Debian 12 root file system
 * (mmdebstrap, from the Debian mirror this machine's apt uses) imported as an
 * image and booted in a privileged container, where scripts/install.sh, the
 * shipped units, lingering and the mcp user's rootless podman run for real,
 * and `podman restart` is a reboot (BUN-NOTES.md, "A real systemd …").
 */
import { $ } from "bun";
import { createHash } from "node:crypto";
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { podmanAvailable } from "./image.ts";
import { BINARY, ROOT, tempDir, waitFor } from "./mcp.ts";

export const SD_IMAGE = "localhost/mcp-sd:12";
const SUITE = "bookworm";
/**
 * The BUN-NOTES list, plus what install.sh uses (useradd/usermod: passwd;
 * setpriv/runuser: util-linux; loginctl: systemd) and libpam-systemd: without
 * pam_systemd the lingering user's manager (user@<uid>.service) fails at once
 * ("$XDG_RUNTIME_DIR is not set") and logind removes /run/user/<uid> again.
 * A real Debian server has it (priority standard); minbase does not.
 */
const PACKAGES = [
  "systemd", "systemd-sysv", "libpam-systemd", "dbus", "podman", "runc", "uidmap", "slirp4netns", "catatonit",
  "busybox-static", "iproute2", "procps", "zstd", "sqlite3", "passwd", "login", "util-linux",
];
/** The image's Comment: a changed package list or suite rebuilds it (as test/support/image.ts does). */
const RECIPE = `mcp-sd/1 ${createHash("sha256").update(`${SUITE} ${PACKAGES.join(",")}`).digest("hex").slice(0, 12)}`;
/** Marks the containers of this file, so that a run killed half-way is cleaned up by a later one. */
const LABEL = "mcp-test=systemd";

/** The URI of the Debian archive the host's apt sources name for bookworm (the only network this machine reaches). */
export function debianMirror(): string | null {
  const files = ["/etc/apt/sources.list", ...(existsSync("/etc/apt/sources.list.d") ? readdirSync("/etc/apt/sources.list.d").map((f) => `/etc/apt/sources.list.d/${f}`) : [])];
  for (const f of files.filter((f) => /\.(list|sources)$/.test(f) && existsSync(f))) {
    const text = readFileSync(f, "utf8");
    for (const m of text.matchAll(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/gm)) if (m[2] === SUITE && !m[1]!.includes("security")) return m[1]!;
    for (const block of text.split(/\n\s*\n/)) {
      const uri = /^URIs:\s*(\S+)/m.exec(block)?.[1];
      const suites = /^Suites:\s*(.+)$/m.exec(block)?.[1]?.split(/\s+/) ?? [];
      if (uri && suites.includes(SUITE) && !/^Types:.*deb-src/m.test(block) && !uri.includes("security")) return uri;
    }
  }
  return null;
}

async function imageUpToDate(): Promise<boolean> {
  const out = await $`podman image inspect --format ${"{{.Comment}}"} ${SD_IMAGE}`.nothrow().quiet();
  return out.exitCode === 0 && out.stdout.toString().trim() === RECIPE;
}

/** Why a systemd container cannot be had here, or null. */
export async function systemdUnavailable(): Promise<string | null> {
  if (process.getuid?.() !== 0) return "not root (the container must be --privileged for systemd and nested podman)";
  const podman = await podmanAvailable();
  if (!podman.ok) return podman.reason;
  if (await imageUpToDate()) return null;
  if (!Bun.which("mmdebstrap")) return `${SD_IMAGE} is not built and mmdebstrap is not installed (bash scripts/setup-podman.sh)`;
  if (!debianMirror()) return `no Debian ${SUITE} mirror in /etc/apt/sources.list*`;
  return null;
}

/**
 * Builds SD_IMAGE unless it exists from this recipe. Returns the build time
 * in ms (0 when cached). About 50 s here, most of it mmdebstrap.
 */
export async function ensureSystemdImage(): Promise<number> {
  if (await imageUpToDate()) return 0;
  const started = performance.now();
  const dir = tempDir("mcp-sd-image-");
  try {
    const tar = join(dir, "rootfs.tar");
    const r = await $`mmdebstrap --variant=minbase --include=${PACKAGES.join(",")} ${SUITE} ${tar} ${debianMirror()!}`.nothrow().quiet();
    if (r.exitCode !== 0) throw new Error(`mmdebstrap failed (exit ${r.exitCode}):\n${r.stderr.toString().split("\n").slice(-15).join("\n")}`);
    await $`podman import --quiet --message ${RECIPE} --change ${'CMD ["/sbin/init"]'} ${tar} ${SD_IMAGE}`.quiet();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return performance.now() - started;
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment of the installed agent unit, for running commands as mcp. */
const MCP_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** One booted systemd container. */
export class Machine {
  private constructor(readonly name: string) {}

  /**
   * Boots a new machine. Why each option:
   * --privileged --systemd=always: systemd as PID 1, and podman inside;
   * --cgroupns=private: this host has cgroup v1, where the shared cgroup
   *   namespace gives runc inside a path that does not exist ("error mounting
   *   cgroup … stat /sys/fs/cgroup/systemd/system.slice/mcp-agent.service");
   * --tmpfs /dev/shm: otherwise /dev/shm survives `podman restart`, and after
   *   the "reboot" podman's refresh trips on its own old lock files;
   * -v /srv: the mcp user's rootless storage is native overlay (install.sh),
   *   which cannot sit on the container's own overlay root, but can on a
   *   volume (an ordinary file system, as /srv is on a real node).
   */
  static async boot(name: string, publish: Array<[hostPort: number, port: number]>, hostname: string): Promise<Machine> {
    await cleanStale();
    const ports = publish.flatMap(([h, p]) => ["-p", `127.0.0.1:${h}:${p}`]);
    await $`podman run -d --name ${name} --hostname ${hostname} --label ${LABEL} --privileged --systemd=always --cgroupns=private --tmpfs ${"/dev/shm:rw,nosuid,nodev,mode=1777"} -v /srv ${ports} ${SD_IMAGE} /sbin/init`.quiet();
    const m = new Machine(name);
    try {
      await m.waitBooted();
    } catch (e) {
      await m.remove();
      throw e;
    }
    return m;
  }

  /** Runs argv in the machine as root (stdin optional). */
  async exec(argv: string[], stdin?: string): Promise<Run> {
    const p = Bun.spawn(["podman", "exec", ...(stdin !== undefined ? ["-i"] : []), this.name, ...argv], {
      stdin: stdin !== undefined ? new TextEncoder().encode(stdin) : "ignore", stdout: "pipe", stderr: "pipe",
    });
    const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    return { code, stdout, stderr };
  }

  /** Runs a shell script as root; throws with its output unless it exits 0. */
  async sh(script: string): Promise<string> {
    const r = await this.exec(["bash", "-euo", "pipefail", "-c", script]);
    if (r.code !== 0) throw new Error(`in ${this.name}: ${script}\nexit ${r.code}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  /** Runs argv as mcp with the agent unit's environment (as docs/bootstrap.md's as_mcp does). */
  async asMcp(argv: string[]): Promise<Run> {
    const uid = (await this.sh("id -u mcp")).trim();
    return this.exec(["runuser", "-u", "mcp", "--", "env", "-i", "HOME=/srv/mcp", `XDG_RUNTIME_DIR=/run/user/${uid}`, `PATH=${MCP_PATH}`, "sh", "-c", 'cd / && exec "$@"', "sh", ...argv]);
  }

  /** The unit's properties (systemctl show), as a record. */
  async unit(name: string, props: string[]): Promise<Record<string, string>> {
    const out = await this.sh(`systemctl show ${name} -p ${props.join(",")}`);
    return Object.fromEntries(out.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
  }

  /** Waits until systemd has booted (`degraded` is normal: podman.service fails here, harmlessly). */
  async waitBooted(timeoutMs = 60_000): Promise<void> {
    let last = "";
    await waitFor(async () => {
      last = (await this.exec(["systemctl", "is-system-running"])).stdout.trim();
      return last === "running" || last === "degraded";
    }, `${this.name} to boot (last state: ${last})`, timeoutMs);
  }

  /** A reboot: systemd stops everything (SIGRTMIN+3), the container starts again and boots. */
  async reboot(): Promise<void> {
    await $`podman restart -t 30 ${this.name}`.quiet();
    await this.waitBooted();
  }

  async copyIn(src: string, dest: string): Promise<void> {
    await $`podman cp ${src} ${`${this.name}:${dest}`}`.quiet();
  }

  async copyOut(src: string, dest: string): Promise<void> {
    await $`podman cp ${`${this.name}:${src}`} ${dest}`.quiet();
  }

  /** Removes the machine and its /srv volume. */
  async remove(): Promise<void> {
    await $`podman rm -f -v -t 0 ${this.name}`.nothrow().quiet();
  }
}

/** Removes containers of this file left by a run that was killed, once old enough not to be another run's. */
async function cleanStale(): Promise<void> {
  const out = await $`podman ps -a --filter ${`label=${LABEL}`} --format json`.nothrow().quiet();
  if (out.exitCode !== 0) return;
  const old = (JSON.parse(out.stdout.toString() || "[]") as Array<{ Names: string[]; Created: number }>)
    .filter((c) => Date.now() / 1000 - c.Created > 30 * 60).map((c) => c.Names[0]!);
  if (old.length > 0) await $`podman rm -f -v -t 0 ${old}`.nothrow().quiet();
}

/**
 * What scripts/install.sh needs from a checkout (itself, the units, the
 * documents it installs, the example config, dist/mcp), copied into the
 * machine at dest.
 */
export async function stageCheckout(m: Machine, dest: string): Promise<void> {
  const dir = tempDir("mcp-sd-stage-");
  try {
    const files = ["scripts/install.sh", "RUNBOOK.md", "docs/bootstrap.md", "examples/mcp-agent.toml"];
    for (const f of files) {
      mkdirSync(join(dir, "src", f, ".."), { recursive: true });
      copyFileSync(join(ROOT, f), join(dir, "src", f));
    }
    cpSync(join(ROOT, "deploy/systemd"), join(dir, "src/deploy/systemd"), { recursive: true });
    mkdirSync(join(dir, "src/dist"));
    copyFileSync(BINARY, join(dir, "src/dist/mcp"));
    await m.copyIn(join(dir, "src"), dest);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Imports a busybox image (PATH=/bin) into the mcp user's rootless podman
 * inside the machine, from the machine's own busybox-static: what
 * test/support/image.ts builds outside.
 */
export async function importBusyboxAsMcp(m: Machine, ref: string): Promise<void> {
  await m.sh(`d=$(mktemp -d) && mkdir -p "$d/root/bin" && cp /bin/busybox "$d/root/bin/"
    for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$d/root/bin/$a"; done
    tar -C "$d/root" -cf /tmp/busybox-rootfs.tar . && chmod 0644 /tmp/busybox-rootfs.tar && rm -rf "$d"`);
  const r = await m.asMcp(["podman", "import", "--quiet", "--change", "ENV PATH=/bin", "/tmp/busybox-rootfs.tar", ref]);
  if (r.code !== 0) throw new Error(`podman import as mcp failed: ${r.stderr}`);
}
