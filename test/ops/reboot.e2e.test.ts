// A real systemd, a real reboot (issue 14, acceptance 2; SPEC §6, §7.7). A
// Debian 12 container boots systemd (test/support/systemd.ts); inside it
// scripts/install.sh makes the mcp user and installs the shipped units, and
// systemctl runs the agent with the unit's own User=, environment and
// hardening. The CLI here, outside, deploys two components through a port
// published to loopback. `podman restart` then reboots the machine: the
// mcp user's containers are left stopped, as after a power cycle, and the
// agent has to come back by itself, start them again (`on_boot = "start"`,
// the default), alert each drift once, and show no drift. Last, the backup
// timer's unit runs through systemctl.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SLEEP_CMD, uniqueName } from "../support/image.ts";
import { ensureBinary, freePort, runMcp, tempDir, waitFor } from "../support/mcp.ts";
import { ensureSystemdImage, importBusyboxAsMcp, Machine, stageCheckout, systemdUnavailable } from "../support/systemd.ts";

const NODE = "sdnode";
const SERVICE = "sleepy";
const COMPONENTS = ["a", "b"];
const IMAGE = "localhost/mcp-sd/sleep:v1";
const HOME = "/srv/mcp";
const ALERTS = `${HOME}/alerts.log`;
const TOKEN_FILE = `${HOME}/admin-token`;

const reason = await systemdUnavailable();
if (reason) console.warn(`real systemd and reboot suite SKIPPED: ${reason}`);

type Ps = { components: Array<{ service: string; component: string; state: string }> };
type Status = { components: Array<{ component: string; desired: string; observed: string; drift: boolean }> };

describe.skipIf(reason !== null)("a real systemd: install.sh, the shipped units, a deploy from outside, a reboot", () => {
  let m: Machine;
  let port = 0;
  let token = "";
  let rebootedAt = 0;
  const cliDir = tempDir("mcp-sd-cli-");
  const timings: Record<string, string> = {};
  const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;
  const cli = (args: string[], stdin?: string) => runMcp("binary", [...args, "--config", join(cliDir, "mcp.toml")], stdin !== undefined ? { stdin } : {});

  /** Each alert the alert command appended: "kind service component". */
  const alerts = async () => (await m.exec(["cat", ALERTS])).stdout.split("\n").filter(Boolean);
  /** The agent's journal of this boot (volatile: a reboot empties it) without its per-call lines, for failure messages. */
  const journal = async () => (await m.exec(["sh", "-c", "journalctl -u mcp-agent -o short-monotonic --no-pager | grep -v ' info rpc ' | tail -n 40"])).stdout;
  /** Runs check; when it throws, adds the agent's journal to the error. */
  const withJournal = async (check: () => Promise<void>) => {
    try {
      await check();
    } catch (e) {
      (e as Error).message += `\n--- journalctl -u mcp-agent ---\n${await journal()}`;
      throw e;
    }
  };

  beforeAll(async () => {
    ensureBinary();
    const image = await ensureSystemdImage();
    timings.image = image === 0 ? "cached" : `built in ${(image / 1000).toFixed(1)} s`;
    port = await freePort();
    const t = performance.now();
    m = await Machine.boot(uniqueName("mcp-sd"), [[port, 9444]], NODE);
    timings.boot = seconds(t);
  }, 600_000);

  afterAll(async () => {
    await m?.remove();
    console.log(`reboot.e2e timings: ${Object.entries(timings).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  });

  test("install.sh runs the agent from the shipped unit, as mcp, hardened; the token is its last line and in a root-only file", async () => {
    await stageCheckout(m, "/opt/mcp");
    // 0.0.0.0, said explicitly (the agent never defaults to it): connections
    // arrive from podman's port forwarding on the machine's own interface.
    const first = await m.exec(["bash", "/opt/mcp/scripts/install.sh", "--node", NODE, "--listen", "0.0.0.0:9444"]);
    expect(first.stderr).not.toMatch(/warning|error/);
    expect(first.code).toBe(0);
    token = first.stdout.trimEnd().split("\n").at(-1)!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(first.stderr).toContain(`admin token written to ${TOKEN_FILE} (root, 0600)`);
    expect(await m.sh(`stat -c '%a %U:%G' ${TOKEN_FILE}; cat ${TOKEN_FILE}`)).toBe(`600 root:root\n${token}\n`);

    const agent = await m.unit("mcp-agent", ["ActiveState", "UnitFileState", "MainPID", "User", "NoNewPrivileges", "ProtectSystem", "KillMode", "DropInPaths"]);
    expect(agent).toMatchObject({ ActiveState: "active", UnitFileState: "enabled", User: "mcp", NoNewPrivileges: "yes", ProtectSystem: "full", KillMode: "process" });
    expect(agent.DropInPaths).toBe("/etc/systemd/system/mcp-agent.service.d/runtime-dir.conf");
    // The process itself: mcp's uid, no_new_privs set by systemd.
    const status = await m.sh(`cat /proc/${agent.MainPID}/status`);
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(status).toMatch(new RegExp(`^Uid:\\s+${(await m.sh("id -u mcp")).trim()}\\s`, "m"));
    expect((await m.unit("mcp-agent-backup.timer", ["ActiveState", "UnitFileState"]))).toEqual({ ActiveState: "active", UnitFileState: "enabled" });

    // A re-run changes nothing: no init, no new token, the file as it was.
    const second = await m.exec(["bash", "/opt/mcp/scripts/install.sh", "--node", NODE, "--listen", "0.0.0.0:9444"]);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe("");
    expect(second.stderr).not.toMatch(/installed |created |admin token|running mcp agent init/);
    expect(await m.sh(`cat ${TOKEN_FILE}`)).toBe(`${token}\n`);
  }, 120_000);

  test("the CLI outside deploys two components through the published port", async () => {
    // The alert command appends what it is told; the agent (ProtectSystem=full) may write its home.
    const argv = ["/bin/sh", "-c", `echo "$MCP_ALERT_KIND $MCP_SERVICE $MCP_COMPONENT" >> ${ALERTS}`];
    const config = await m.sh(`cat ${HOME}/mcp-agent.toml`);
    expect(config).toMatch(/^alert_command = \[\]/m);
    const r = await m.exec(["sh", "-c", `cat > ${HOME}/mcp-agent.toml`], config.replace(/^alert_command = \[\]/m, `alert_command = ${JSON.stringify(argv)}`));
    expect(r.code).toBe(0);
    await m.sh("systemctl restart mcp-agent");
    await importBusyboxAsMcp(m, IMAGE);

    // The node's CA and the admin token, copied out of the machine as an operator would.
    await m.copyOut(`${HOME}/certs/ca.pem`, join(cliDir, "ca.pem"));
    await m.copyOut(TOKEN_FILE, join(cliDir, "admin-token"));
    expect(readFileSync(join(cliDir, "admin-token"), "utf8")).toBe(`${token}\n`);
    // An IP address to dial, the node's name to verify in its certificate.
    expect((await cli(["node", "add", NODE, `127.0.0.1:${port}`, "--ca-cert", join(cliDir, "ca.pem"), "--server-name", NODE])).code).toBe(0);
    expect((await cli(["login", "--node", NODE, "--token-stdin"], readFileSync(join(cliDir, "admin-token"), "utf8"))).code).toBe(0);
    const def = [`name = "${SERVICE}"`, `node = "${NODE}"`, ...COMPONENTS.flatMap((c) => ["", "[[components]]", `name = "${c}"`, `image = "${IMAGE}"`, `cmd = ${JSON.stringify(SLEEP_CMD)}`])];
    await Bun.write(join(cliDir, "services", `${SERVICE}.toml`), def.join("\n") + "\n");

    await withJournal(async () => {
      // The agent was just restarted: wait until it answers.
      await waitFor(async () => (await cli(["ps", "--json"])).code === 0, "the agent to answer after its restart", 20_000);
      const dep = await cli(["deploy", SERVICE]);
      expect(dep.stderr).toBe("");
      for (const c of COMPONENTS) expect(dep.stdout).toMatch(new RegExp(`^${SERVICE}\\s+${c}\\s+ok\\s+v1`, "m"));
      expect(dep.code).toBe(0);
    });
    const ps = JSON.parse((await cli(["ps", "--json"])).stdout) as Ps;
    expect(ps.components.map((c) => `${c.component} ${c.state}`).sort()).toEqual(COMPONENTS.map((c) => `${c} running`));
    // mcp's rootless podman runs them.
    const mine = await m.asMcp(["podman", "ps", "--format", "{{.Names}}"]);
    expect(mine.stdout.split("\n").filter(Boolean).sort()).toEqual(COMPONENTS.map((c) => `${SERVICE}-${c}`));
    expect(await alerts()).toEqual([]);
  }, 120_000);

  test("after a reboot the agent came back by itself, started on the first try", async () => {
    const before = await m.unit("mcp-agent", ["InvocationID"]);
    rebootedAt = performance.now();
    await m.reboot();
    timings.reboot = `${seconds(rebootedAt)} to booted`;
    await withJournal(async () => {
      await waitFor(async () => (await m.unit("mcp-agent", ["ActiveState"])).ActiveState === "active", "mcp-agent to be active after the reboot", 30_000);
      // Nobody started it: it is enabled, and this boot's systemd started it.
      const after = await m.unit("mcp-agent", ["InvocationID", "NRestarts"]);
      expect(after.InvocationID).not.toBe(before.InvocationID);
      // Not only thanks to Restart=: /run/user/<uid> existed at its first start (install.sh's drop-in).
      expect(after.NRestarts).toBe("0");
      await waitFor(async () => (await cli(["ps", "--json"])).code === 0, "the agent to answer after the reboot", 20_000);
      timings.agent = `${seconds(rebootedAt)} to answering`;
    });
  }, 90_000);

  test("the services were started again (on_boot = \"start\")", async () => {
    const states = async () => (JSON.parse((await cli(["ps", "--json"])).stdout) as Ps).components.map((c) => `${c.component} ${c.state}`).sort();
    let last: string[] = [];
    await withJournal(async () => {
      await waitFor(async () => JSON.stringify((last = await states())) === JSON.stringify(COMPONENTS.map((c) => `${c} running`)), "both components running after the reboot", 30_000)
        .catch((e: Error) => {
          e.message += ` (last: ${last.join(", ")})`;
          throw e;
        });
    });
    timings.services = `${seconds(rebootedAt)} to running`;
    // podman 4.3 writes {{.State}} as "Up 2 seconds ago": ask for the running ones by filter.
    const mine = await m.asMcp(["podman", "ps", "--filter", "status=running", "--format", "{{.Names}}"]);
    expect(mine.stdout.split("\n").filter(Boolean).sort()).toEqual(COMPONENTS.map((c) => `${SERVICE}-${c}`));
  }, 60_000);

  test("one drift alert per component ran (and at most one recovered)", async () => {
    const drift = (lines: string[]) => COMPONENTS.every((c) => lines.includes(`drift ${SERVICE} ${c}`));
    let lines: string[] = [];
    await waitFor(async () => drift((lines = await alerts())), "a drift alert for each component", 15_000).catch((e: Error) => {
      e.message += ` (alerts: ${JSON.stringify(lines)})`;
      throw e;
    });
    for (const c of COMPONENTS) {
      expect(lines.filter((l) => l === `drift ${SERVICE} ${c}`)).toHaveLength(1);
      expect(lines.filter((l) => l === `recovered ${SERVICE} ${c}`).length).toBeLessThanOrEqual(1);
    }
    expect(lines.filter((l) => !/^(drift|recovered) /.test(l))).toEqual([]);
  }, 30_000);

  test("mcp status, from outside, shows no drift", async () => {
    const r = await cli(["status", "--json"]);
    expect(r.code).toBe(0);
    const status = JSON.parse(r.stdout) as Status;
    expect(status.components.map((c) => `${c.component} ${c.desired} ${c.observed} drift=${c.drift}`).sort())
      .toEqual(COMPONENTS.map((c) => `${c} running running drift=false`));
  }, 30_000);

  test("the backup timer's unit runs through systemctl and writes a backup", async () => {
    // The timer survived the reboot, enabled and waiting.
    expect(await m.unit("mcp-agent-backup.timer", ["ActiveState", "UnitFileState"])).toEqual({ ActiveState: "active", UnitFileState: "enabled" });
    const before = (await m.sh(`ls ${HOME}/backups`)).split("\n").filter(Boolean);
    await m.sh("systemctl start mcp-agent-backup.service");
    expect(await m.unit("mcp-agent-backup.service", ["Result", "ExecMainStatus"])).toEqual({ Result: "success", ExecMainStatus: "0" });
    const made = (await m.sh(`ls ${HOME}/backups`)).split("\n").filter((f) => f !== "" && !before.includes(f));
    expect(made).toHaveLength(1);
    expect(made[0]).toMatch(/^mcp-\d{8}T\d{6}Z(-\d+)?\.db$/);
    expect(await m.sh(`stat -c '%a %U:%G' ${HOME}/backups/${made[0]}`)).toBe("600 mcp:mcp\n");
  }, 60_000);
});
