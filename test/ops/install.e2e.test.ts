// scripts/install.sh on this machine, as root (acceptance 2 of issue 8): two
// runs leave the same result; then the agent, started as the installed unit
// says (as mcp, the unit's environment only, NoNewPrivileges after the
// privileged ExecStartPre), serves a deploy from the CLI with rootless podman,
// and the container runs under the mcp user's podman, not root's.
// There is no systemd here: the unit's Exec lines are run by the test
// (test/support/ops.ts execArgv); ProtectSystem= and cgroups are not reproduced.
//
// It uses the real `mcp` user and /srv/mcp. A setup it did not make (an agent
// config whose node is not "ops-e2e") is never touched: the suite skips.
import { $ } from "bun";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { HTTP_CMD, podmanAvailable, uniqueName } from "../support/image.ts";
import { ensureBinary, freePort, ROOT, runMcp, tempDir, waitFor } from "../support/mcp.ts";
import { describeEntry, endProcessTree, entriesOf, execArgv, listTree, parseUnit, unitEnvironment, unitExec, writeBusyboxRootfs, type UnitFile } from "../support/ops.ts";

const NODE = "ops-e2e";
const HOME = "/srv/mcp";
const CONFIG = `${HOME}/mcp-agent.toml`;
const BIN = "/usr/local/bin/mcp";
const UNIT_DIR = "/etc/systemd/system";
const IMAGE = "localhost/mcp-test/busybox:v1";

async function unavailable(): Promise<string | null> {
  if (process.getuid?.() !== 0) return "not root (install.sh creates a system user)";
  const podman = await podmanAvailable();
  if (!podman.ok) return podman.reason;
  for (const tool of ["runuser", "setpriv", "useradd", "newuidmap"]) if (!Bun.which(tool)) return `${tool} is not installed`;
  if (!existsSync("/bin/busybox")) return "/bin/busybox is missing (apt-get install busybox-static)";
  if (existsSync(CONFIG) && !/^node_name = "ops-e2e"$/m.test(readFileSync(CONFIG, "utf8"))) {
    return `${CONFIG} belongs to a real setup (its node is not "${NODE}"); not touching it`;
  }
  return null;
}
const reason = await unavailable();
if (reason) console.warn(`install.sh end-to-end suite SKIPPED: ${reason}`);

/** Runs a command as mcp with the installed agent unit's environment only. */
function asMcp(unit: UnitFile, argv: string[], opts: { stdin?: string } = {}) {
  const env = Object.entries(unitEnvironment(unit)).map(([k, v]) => `${k}=${v}`);
  return Bun.spawnSync(["runuser", "-u", "mcp", "--", "env", "-i", ...env, ...argv], {
    cwd: HOME, stdout: "pipe", stderr: "pipe", ...(opts.stdin !== undefined ? { stdin: new TextEncoder().encode(opts.stdin) } : {}),
  });
}

/** The mcp user's containers that match a podman ps filter: name and state. */
function mcpContainers(unit: UnitFile, filter: string): Array<{ name: string; state: string }> {
  const r = asMcp(unit, ["podman", "ps", "-a", "--filter", filter, "--format", "json"]);
  if (r.exitCode !== 0) throw new Error(`podman ps as mcp failed: ${r.stderr.toString()}`);
  return (JSON.parse(r.stdout.toString()) as Array<{ Names: string[]; State: string }>).map((c) => ({ name: c.Names[0]!, state: c.State }));
}

/** What a previous run of this suite left in /srv/mcp: the agent's state (never the podman storage). */
function removeTestState(): void {
  for (const f of ["mcp-agent.toml", "mcp.db", "mcp.db-wal", "mcp.db-shm", "admin-token"]) rmSync(join(HOME, f), { force: true });
  for (const d of ["certs", "backups"]) {
    if (existsSync(join(HOME, d))) for (const f of readdirSync(join(HOME, d))) rmSync(join(HOME, d, f), { recursive: true, force: true });
  }
  rmSync(join(HOME, "registries"), { recursive: true, force: true });
}

async function install(port: number) {
  const p = Bun.spawn(["bash", join(ROOT, "scripts/install.sh"), "--node", NODE, "--listen", `127.0.0.1:${port}`], { stdout: "pipe", stderr: "pipe", cwd: "/" });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { stdout, stderr, code };
}

/** Everything install.sh owns: owners, modes, contents; the user's passwd, group, subuid and subgid lines. */
function snapshotOfInstall(): string {
  const uid = statSync(HOME).uid;
  return [
    describeEntry("/srv"),
    listTree([HOME], [".local", ".cache"]),
    describeEntry(`/run/user/${uid}`),
    describeEntry("/dev/net/tun"),
    listTree([BIN, "/usr/local/share/doc/mcp", ...["mcp-agent.service", "mcp-agent-backup.service", "mcp-agent-backup.timer"].map((u) => `${UNIT_DIR}/${u}`)]),
    ...["/etc/passwd", "/etc/group", "/etc/subuid", "/etc/subgid"].flatMap((f) => entriesOf(f, "mcp").map((l) => `${f}: ${l}`)),
  ].join("\n");
}

describe("scripts/install.sh usage (no root needed)", () => {
  const run = (args: string[]) => Bun.spawnSync(["bash", join(ROOT, "scripts/install.sh"), ...args], { stdout: "pipe", stderr: "pipe" });

  test("--help prints the options on stdout, exit 0", () => {
    const r = run(["--help"]);
    expect(r.exitCode).toBe(0);
    for (const flag of ["--binary", "--prefix", "--srv-root", "--unit-dir", "--node", "--listen", "--no-start"]) expect(r.stdout.toString()).toContain(flag);
  });

  test("a bad flag or half of --node/--listen: what went wrong and what to do, exit 2, nothing done", () => {
    const bad = run(["--bogus"]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.toString()).toBe("install: error: unknown argument: --bogus\ninstall: hint: see scripts/install.sh --help\n");
    const half = run(["--node", "rift"]);
    expect(half.exitCode).toBe(2);
    expect(half.stderr.toString()).toStartWith("install: error: --node and --listen go together\n");
  });
});

describe.skipIf(reason !== null)("scripts/install.sh, then the agent as mcp with rootless podman", () => {
  let port = 0;
  let token = "";
  let agentUnit: UnitFile;
  let agent: ReturnType<typeof Bun.spawn> | null = null;
  let agentPid = 0;
  let log = "";
  const service = uniqueName("opse2e");
  const container = `${service}-web`;

  beforeAll(async () => {
    ensureBinary();
    removeTestState();
    port = await freePort();
  });

  afterAll(async () => {
    // runuser forks: the agent is its child (already ended by the last test when all went well).
    if (agent) await endProcessTree(agent);
    if (agentUnit) asMcp(agentUnit, ["podman", "rm", "-f", "-t", "0", container]);
    // The user, its podman storage (with the test image) and the installed files stay.
    removeTestState();
  });

  test("runs twice as root: both succeed, the second changes nothing", async () => {
    const first = await install(port);
    expect(first.stderr).not.toContain("error");
    expect(first.code).toBe(0);
    // stdout is `mcp agent init`'s: the token is its last line, alone.
    token = first.stdout.trimEnd().split("\n").at(-1)!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const before = snapshotOfInstall();

    const second = await install(port);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe("");
    expect(second.stderr).not.toMatch(/installed |created |added |running mcp agent init/);
    expect(snapshotOfInstall()).toBe(before);
  }, 120_000);

  test("leaves the user, directories, modes and files SPEC §6.2 asks for", () => {
    const [passwd] = entriesOf("/etc/passwd", "mcp");
    const [, , uid, gid, , home, shell] = passwd!.split(":");
    expect(home).toBe(HOME);
    expect(shell).toMatch(/nologin$/);
    expect(Number(uid)).toBeLessThan(1000); // a system user
    for (const f of ["/etc/subuid", "/etc/subgid"]) {
      const lines = entriesOf(f, "mcp");
      expect(lines).toHaveLength(1);
      expect(Number(lines[0]!.split(":")[2])).toBeGreaterThanOrEqual(65536);
    }
    const entry = (p: string) => describeEntry(p).split(" ").slice(1, 4).join(" ");
    expect(entry(HOME)).toBe("dir 0700 mcp:mcp");
    expect(entry(`${HOME}/certs`)).toBe("dir 0700 mcp:mcp");
    expect(entry(`${HOME}/backups`)).toBe("dir 0700 mcp:mcp");
    expect(entry(CONFIG)).toBe("file 0600 mcp:mcp");
    expect(entry(`${HOME}/certs/key.pem`)).toBe("file 0600 mcp:mcp");
    expect(entry(`${HOME}/mcp.db`)).toBe("file 0600 mcp:mcp");
    expect(entry("/srv")).toBe("dir 1775 root:mcp");
    expect(entry(`/run/user/${uid}`)).toBe("dir 0700 mcp:mcp");
    expect(entry(BIN)).toBe("file 0755 root:root");
    expect(readFileSync(BIN).equals(readFileSync(join(ROOT, "dist/mcp")))).toBe(true);
    for (const u of ["mcp-agent.service", "mcp-agent-backup.service", "mcp-agent-backup.timer"]) expect(entry(`${UNIT_DIR}/${u}`)).toBe("file 0644 root:root");
    agentUnit = parseUnit(readFileSync(`${UNIT_DIR}/mcp-agent.service`, "utf8"));
    expect(unitEnvironment(agentUnit).XDG_RUNTIME_DIR).toBe(`/run/user/${uid}`);
    expect(Number(gid)).toBeGreaterThan(0);
  });

  test.skipIf(!Bun.which("systemd-analyze"))("the installed units pass systemd-analyze verify", async () => {
    const units = ["mcp-agent.service", "mcp-agent-backup.service", "mcp-agent-backup.timer"].map((u) => `${UNIT_DIR}/${u}`);
    const r = await $`systemd-analyze verify ${units}`.nothrow().quiet();
    expect(r.stdout.toString() + r.stderr.toString()).toBe("");
    expect(r.exitCode).toBe(0);
  });

  test("the agent, run as the unit says, serves a deploy; the container runs in mcp's podman", async () => {
    agentUnit ??= parseUnit(readFileSync(`${UNIT_DIR}/mcp-agent.service`, "utf8"));
    const cwd = agentUnit.get("Service")!.find(([k]) => k === "WorkingDirectory")?.[1] ?? "/";

    // The test image, imported into the mcp user's storage (rootless).
    const tar = await writeBusyboxRootfs(tempDir("mcp-ops-image-"));
    const imp = asMcp(agentUnit, ["podman", "import", "--quiet", "--change", "ENV PATH=/bin", tar, IMAGE]);
    expect(imp.stderr.toString().replace(/.*is not a shared mount.*\n/g, "")).toBe("");
    expect(imp.exitCode).toBe(0);

    // ExecStartPre (privileged): podman's pause process now holds mcp's user namespace.
    for (const pre of unitExec(agentUnit, "ExecStartPre")) {
      const r = Bun.spawnSync(execArgv(agentUnit, pre), { cwd, stdout: "pipe", stderr: "pipe" });
      expect(r.exitCode).toBe(0);
    }
    const pauseFile = `${unitEnvironment(agentUnit).XDG_RUNTIME_DIR}/libpod/tmp/pause.pid`;
    expect(existsSync(`/proc/${readFileSync(pauseFile, "utf8").trim()}`)).toBe(true);

    // ExecStart: as mcp, with NoNewPrivileges, the unit's environment only.
    const [start] = unitExec(agentUnit, "ExecStart");
    const proc = Bun.spawn(execArgv(agentUnit, start!), { cwd, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    agent = proc;
    const decoder = new TextDecoder();
    for (const s of [proc.stdout, proc.stderr]) void (async () => { for await (const c of s) log += decoder.decode(c); })();
    await waitFor(() => log.includes("agent serving") || proc.exitCode !== null, "the agent to serve", 30_000);
    expect(log).toContain(`agent serving node=${NODE}`);

    // runuser forks: the agent is its child. It runs as mcp with no_new_privs set.
    agentPid = Number(readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, "utf8").trim().split(" ")[0]);
    const status = readFileSync(`/proc/${agentPid}/status`, "utf8");
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(status).toMatch(new RegExp(`^Uid:\\s+${statSync(HOME).uid}\\s`, "m"));
    expect(readFileSync(`/proc/${agentPid}/cmdline`, "utf8").split("\0")[0]).toBe(BIN);

    // A token made on the node with `mcp agent token create`, as mcp, on the agent's config.
    const made = asMcp(agentUnit, [BIN, "agent", "token", "create", "--name", "ops-e2e-cli", "--role", "operator", "--config", CONFIG]);
    expect(made.exitCode).toBe(0);
    const opToken = made.stdout.toString().trimEnd().split("\n").at(-1)!;
    expect(opToken).not.toBe(token);

    // The CLI, as root, with its own config.
    const cliDir = tempDir("mcp-ops-cli-");
    const cli = (args: string[], stdin?: string) => runMcp("binary", [...args, "--config", join(cliDir, "mcp.toml")], stdin !== undefined ? { stdin } : {});
    expect((await cli(["node", "add", NODE, `127.0.0.1:${port}`, "--ca-cert", `${HOME}/certs/ca.pem`])).code).toBe(0);
    expect((await cli(["login", "--node", NODE, "--token-stdin"], `${opToken}\n`)).code).toBe(0);
    const webPort = await freePort();
    await Bun.write(join(cliDir, "services", `${service}.toml`), [
      `name = "${service}"`, `node = "${NODE}"`, "", "[[components]]", 'name = "web"', `image = "${IMAGE}"`,
      `cmd = ${JSON.stringify(HTTP_CMD)}`, `ports = ["127.0.0.1:${webPort}:8080"]`, "",
    ].join("\n"));

    const dep = await cli(["deploy", service]);
    expect(dep.stderr).toBe("");
    expect(dep.stdout).toMatch(new RegExp(`${service}\\s+web\\s+ok\\s+v1`));
    expect(dep.code).toBe(0);

    const ps = await cli(["ps", "--json"]);
    expect(ps.code).toBe(0);
    expect(JSON.parse(ps.stdout).components).toContainEqual(expect.objectContaining({ service, component: "web", node: NODE, state: "running" }));

    // mcp's podman runs it, with mcp's labels; root's podman does not know it.
    expect(mcpContainers(agentUnit, `label=mcp.service=${service}`)).toEqual([{ name: container, state: "running" }]);
    const roots = await $`podman ps -a --format ${"{{.Names}}"}`.quiet().text();
    expect(roots.split("\n")).not.toContain(container);

    // Rootless networking (slirp4netns, /dev/net/tun) publishes its port.
    const page = await waitFor(async () => {
      try {
        return await (await fetch(`http://127.0.0.1:${webPort}/`)).text();
      } catch {
        return "";
      }
    }, "the container's web page");
    expect(page).toBe("v1\n");
  }, 120_000);

  test("the backup unit's command, run as the unit says, writes a 0600 backup owned by mcp", () => {
    const backup = parseUnit(readFileSync(`${UNIT_DIR}/mcp-agent-backup.service`, "utf8"));
    const [line] = unitExec(backup, "ExecStart");
    const r = Bun.spawnSync(execArgv(backup, line!), { cwd: HOME, stdout: "pipe", stderr: "pipe" });
    expect(r.exitCode).toBe(0);
    const path = r.stdout.toString().trimEnd().split("\n").at(-1)!;
    expect(path).toMatch(new RegExp(`^${HOME}/backups/mcp-\\d{8}T\\d{6}Z(-\\d+)?\\.db$`));
    expect(describeEntry(path).split(" ").slice(1, 4).join(" ")).toBe("file 0600 mcp:mcp");
  });

  test("SIGTERM to the agent alone (KillMode=process) leaves the container running and no podman of the agent's behind", async () => {
    expect(agentPid).toBeGreaterThan(0);
    process.kill(agentPid, "SIGTERM");
    await agent!.exited;
    agentPid = 0;
    expect(log).toContain("shutting down");
    expect(mcpContainers(agentUnit, `name=^${container}$`)).toEqual([{ name: container, state: "running" }]);
    const uid = statSync(HOME).uid;
    const leftovers = readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return statSync(`/proc/${p}`).uid === uid && readFileSync(`/proc/${p}/cmdline`, "utf8").startsWith("podman\0events");
      } catch {
        return false;
      }
    });
    expect(leftovers).toEqual([]);
  }, 30_000);
});
