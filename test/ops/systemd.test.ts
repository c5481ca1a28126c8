// The shipped systemd units (deploy/systemd/): `systemd-analyze verify`
// accepts them without a warning (acceptance 1 of issue 8), and they carry
// the environment and hardening of SPEC §6.2. The installed (rendered) copies
// are verified again by test/ops/install.e2e.test.ts.
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BINARY, ensureBinary, ROOT, tempDir } from "../support/mcp.ts";
import { parseUnit, unitEnvironment, unitExec, unitValues } from "../support/ops.ts";

const UNITS = ["mcp-agent.service", "mcp-agent-backup.service", "mcp-agent-backup.timer"];
const SRC = join(ROOT, "deploy/systemd");
const read = (name: string) => readFileSync(join(SRC, name), "utf8");

// verify checks that every Exec command exists: the binary is pointed at a
// link to dist/mcp; the agent's ExecStartPre names setpriv and podman.
function unavailable(): string | null {
  if (!Bun.which("systemd-analyze")) return "systemd-analyze is not installed (apt-get install systemd)";
  for (const p of ["/usr/bin/setpriv", "/usr/bin/podman"]) if (!existsSync(p)) return `${p} is missing (the agent unit's ExecStartPre runs it)`;
  return null;
}
const reason = unavailable();
if (reason) console.warn(`systemd-analyze verify of deploy/systemd SKIPPED: ${reason}`);

/** The units as scripts/install.sh renders them, with the binary at bin; into a fresh directory. */
function render(bin: string, uid = 998): string {
  const dir = tempDir("mcp-units-");
  for (const name of UNITS) {
    writeFileSync(join(dir, name), read(name).replaceAll("@MCP_UID@", String(uid)).replaceAll("/usr/local/bin/mcp", bin));
  }
  return dir;
}

async function verify(dir: string, names = UNITS): Promise<{ code: number; out: string }> {
  const p = Bun.spawn(["systemd-analyze", "verify", ...names.map((n) => join(dir, n))], { stdout: "pipe", stderr: "pipe", env: { ...process.env, SYSTEMD_LOG_COLOR: "0" } });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out: stdout + stderr };
}

describe.skipIf(reason !== null)("systemd-analyze verify", () => {
  let bin = "";
  beforeAll(() => {
    ensureBinary();
    bin = join(tempDir("mcp-bin-"), "mcp");
    symlinkSync(BINARY, bin);
  });

  test("accepts the three units, rendered as install.sh does, without a word", async () => {
    const r = await verify(render(bin));
    expect(r.out).toBe("");
    expect(r.code).toBe(0);
  });

  test("accepts them as shipped too (the uid placeholder is only a value)", async () => {
    const dir = tempDir("mcp-units-");
    for (const name of UNITS) writeFileSync(join(dir, name), read(name).replaceAll("/usr/local/bin/mcp", bin));
    const r = await verify(dir);
    expect(r.out).toBe("");
    expect(r.code).toBe(0);
  });

  test("would catch a mistake: an unknown key is reported", async () => {
    const dir = render(bin);
    writeFileSync(join(dir, "mcp-agent.service"), readFileSync(join(dir, "mcp-agent.service"), "utf8").replace("KillMode=process", "KilMode=process"));
    const r = await verify(dir);
    expect(r.out).toContain("Unknown key 'KilMode'");
  });

  test("would catch a mistake: a binary that is not there fails", async () => {
    const r = await verify(render(join(tempDir("mcp-nobin-"), "mcp")));
    expect(r.out).toContain("is not executable");
    expect(r.code).not.toBe(0);
  });
});

describe("the units say what SPEC §6.2 asks", () => {
  const agent = parseUnit(read("mcp-agent.service"));
  const backup = parseUnit(read("mcp-agent-backup.service"));
  const timer = parseUnit(read("mcp-agent-backup.timer"));
  const one = (u: typeof agent, section: string, key: string) => unitValues(u, section, key).at(-1);

  test("the agent runs as mcp with HOME, XDG_RUNTIME_DIR (rendered uid) and PATH", () => {
    expect(one(agent, "Service", "User")).toBe("mcp");
    const env = unitEnvironment(agent);
    expect(env.HOME).toBe("/srv/mcp");
    expect(env.XDG_RUNTIME_DIR).toBe("/run/user/@MCP_UID@");
    expect(env.PATH!.split(":")).toEqual(expect.arrayContaining(["/usr/local/bin", "/usr/bin", "/usr/sbin"]));
    expect(unitExec(agent, "ExecStart")).toEqual([{ privileged: false, argv: ["/usr/local/bin/mcp", "agent", "--config", "/srv/mcp/mcp-agent.toml"] }]);
  });

  test("hardening: NoNewPrivileges, ProtectSystem=full, ProtectHome=false, Restart=on-failure; no MemoryDenyWriteExecute or RestrictNamespaces", () => {
    expect(one(agent, "Service", "NoNewPrivileges")).toBe("true");
    expect(one(agent, "Service", "ProtectSystem")).toBe("full");
    expect(one(agent, "Service", "ProtectHome")).toBe("false");
    expect(one(agent, "Service", "Restart")).toBe("on-failure");
    // A bad config (exit 2) is not retried; a missing runtime dir or podman (exit 1) is.
    expect(one(agent, "Service", "RestartPreventExitStatus")).toBe("2");
    for (const u of [agent, backup]) {
      expect(unitValues(u, "Service", "MemoryDenyWriteExecute")).toEqual([]);
      expect(unitValues(u, "Service", "RestrictNamespaces")).toEqual([]);
    }
    expect(one(agent, "Install", "WantedBy")).toBe("multi-user.target");
  });

  test("stopping the agent signals only the agent (containers stay), and the user namespace is made before NoNewPrivileges applies", () => {
    expect(one(agent, "Service", "KillMode")).toBe("process");
    // systemctl reload: the agent rereads its certificate on SIGHUP.
    expect(unitValues(agent, "Service", "ExecReload")).toEqual(["/bin/kill -HUP $MAINPID"]);
    const pre = unitExec(agent, "ExecStartPre");
    expect(pre).toHaveLength(1);
    expect(pre[0]!.privileged).toBe(true);
    expect(pre[0]!.argv).toEqual(["/usr/bin/setpriv", "--reuid=mcp", "--regid=mcp", "--init-groups", "/usr/bin/podman", "unshare", "true"]);
  });

  test("the backup service runs `mcp agent snapshot` once, as mcp, with the same environment", () => {
    expect(one(backup, "Service", "Type")).toBe("oneshot");
    expect(one(backup, "Service", "User")).toBe("mcp");
    expect(unitEnvironment(backup)).toEqual(unitEnvironment(agent));
    expect(unitExec(backup, "ExecStart")).toEqual([{ privileged: false, argv: ["/usr/local/bin/mcp", "agent", "snapshot", "--config", "/srv/mcp/mcp-agent.toml"] }]);
    expect(one(backup, "Service", "NoNewPrivileges")).toBe("true");
  });

  test("the timer fires daily and catches up a missed day", () => {
    expect(one(timer, "Timer", "OnCalendar")).toBe("daily");
    expect(one(timer, "Timer", "Persistent")).toBe("true");
    expect(one(timer, "Install", "WantedBy")).toBe("timers.target");
  });

  test("the commands the units run exist in this build", async () => {
    ensureBinary();
    for (const args of [["agent", "run", "--help"], ["agent", "snapshot", "--help"]]) {
      const p = Bun.spawnSync([BINARY, ...args], { stdout: "pipe", stderr: "pipe" });
      expect(p.exitCode).toBe(0);
      expect(p.stdout.toString()).toContain("--config");
    }
  });
});
