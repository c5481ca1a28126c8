// RUNBOOK.md's procedures, run as written (the blocks marked
// `<!-- runbook:renew-cert -->` and `<!-- runbook:restore-registry -->`)
// against an agent in a temporary directory, so that the runbook cannot rot.
// Stand-ins: `as_mcp` runs as the current user, and `systemctl` is a shell
// function that stops, starts and reloads (SIGHUP) this test's agent, as the
// unit's ExecStart and ExecReload would (no systemd here).
import { $ } from "bun";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { podmanAvailable } from "../support/image.ts";
import { BINARY, ensureBinary, freePort, ROOT, runMcp, tempDir, waitFor } from "../support/mcp.ts";
import { docBlocks } from "../support/ops.ts";

const DOC = "RUNBOOK.md";
const blocks = docBlocks(readFileSync(join(ROOT, DOC), "utf8"));
const block = (name: string) => {
  const found = blocks.filter((b) => b.marker === `runbook:${name}`);
  if (found.length !== 1) throw new Error(`${DOC} has ${found.length} blocks marked runbook:${name}`);
  return found[0]!;
};

async function unavailable(): Promise<string | null> {
  const podman = await podmanAvailable(); // the agent checks podman at start
  if (!podman.ok) return podman.reason;
  if (!Bun.which("openssl")) return "openssl is not installed";
  return null;
}
const reason = await unavailable();
if (reason) console.warn(`${DOC} procedures SKIPPED: ${reason}`);

describe("the runbook's marked blocks", () => {
  test("each procedure is there once, as sh", () => {
    for (const name of ["renew-cert", "restore-registry"]) expect(block(name).info).toBe("sh");
  });

  test("the heading the agent's start error points to exists", () => {
    // src/modes/agent.ts: "fix the environment (see RUNBOOK.md, \"Agent does not start\")"
    expect(readFileSync(join(ROOT, DOC), "utf8")).toMatch(/^### Agent does not start$/m);
  });
});

describe.skipIf(reason !== null)(`${DOC} procedures, on a temporary agent`, () => {
  const dir = tempDir("mcp-runbook-");
  const home = join(dir, "mcp");
  const cliConfig = join(dir, "cli/mcp.toml");
  const pidFile = join(dir, "agent.pid");
  let port = 0;
  let vars = "";

  /** Runs a script with the stand-ins; throws with its output when it fails. */
  const sh = (what: string, code: string) => {
    const r = Bun.spawnSync(["bash", "-c", `set -euo pipefail\n${vars}\n${code}`], {
      cwd: dir, stdout: "pipe", stderr: "pipe", env: { ...process.env, PATH: `${join(dir, "bin")}:${process.env.PATH}`, NO_COLOR: "1" },
    });
    if (r.exitCode !== 0) throw new Error(`${what} failed (exit ${r.exitCode}):\n${r.stdout}${r.stderr}\nagent log:\n${agentLog()}`);
    return r.stdout.toString();
  };
  const agentLog = () => (existsSync(join(dir, "agent.log")) ? readFileSync(join(dir, "agent.log"), "utf8") : "");
  const cli = (args: string[], stdin?: string) => runMcp("binary", [...args, "--config", cliConfig], stdin !== undefined ? { stdin } : {});
  /** The serial of the certificate the agent serves now. */
  const servedSerial = () =>
    Bun.spawnSync(["bash", "-c", `openssl s_client -connect 127.0.0.1:${port} -servername rb -alpn h2 < /dev/null 2>/dev/null | openssl x509 -noout -serial`], { stdout: "pipe" })
      .stdout.toString().trim();
  const fileSerial = async () => (await $`openssl x509 -in ${join(home, "certs/cert.pem")} -noout -serial`.quiet().text()).trim();

  beforeAll(async () => {
    ensureBinary();
    await $`mkdir -p ${join(dir, "bin")} && ln -s ${BINARY} ${join(dir, "bin/mcp")}`.quiet();
    port = await freePort();
    const init = await runMcp("binary", ["agent", "init", "--node", "rb", "--listen", `127.0.0.1:${port}`, "--dir", home, "--srv-root", join(dir, "srv")]);
    expect(init.code).toBe(0);
    vars = [
      `MCP_HOME=${home}`,
      'as_mcp() { "$@"; }',
      `AGENT_LOG=${join(dir, "agent.log")}`,
      `AGENT_PID=${pidFile}`,
      // systemctl stop|start|restart mcp-agent for this test's agent.
      `systemctl() {
        local pid n
        case "$1" in
          stop) pid=$(cat "$AGENT_PID" 2>/dev/null || true)
                if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done; fi ;;
          start) n=$(grep -c 'agent serving' "$AGENT_LOG" 2>/dev/null || true)
                mcp agent --config "$MCP_HOME/mcp-agent.toml" >> "$AGENT_LOG" 2>&1 < /dev/null &
                echo $! > "$AGENT_PID"
                for _ in $(seq 1 300); do
                  [ "$(grep -c 'agent serving' "$AGENT_LOG" || true)" -gt "\${n:-0}" ] && return 0
                  kill -0 $! 2>/dev/null || break
                  sleep 0.05
                done
                echo "the agent did not start" >&2; return 1 ;;
          restart) systemctl stop "$2" && systemctl start "$2" ;;
          reload) kill -HUP "$(cat "$AGENT_PID")" ;;
        esac
      }`,
      "",
    ].join("\n");
    sh("starting the agent", "systemctl start mcp-agent");
    expect((await cli(["node", "add", "rb", `127.0.0.1:${port}`, "--ca-cert", join(home, "certs/ca.pem")])).code).toBe(0);
    const token = init.stdout.trimEnd().split("\n").at(-1)!;
    expect((await cli(["login", "--node", "rb", "--token-stdin"], `${token}\n`)).code).toBe(0);
  });

  afterAll(() => {
    if (existsSync(pidFile)) {
      try {
        process.kill(Number(readFileSync(pidFile, "utf8")), "SIGTERM");
      } catch {}
    }
  });

  test("renew-cert: a new server certificate from the node's CA, same names, served without a restart; the CLI needs no change", async () => {
    const before = await fileSerial();
    expect(servedSerial()).toBe(before);
    const pid = readFileSync(pidFile, "utf8");
    const sans = async (file: string) => (await $`openssl x509 -in ${file} -noout -ext subjectAltName -subject`.quiet().text()).split("\n").slice(1).join("\n");
    const oldNames = await sans(join(home, "certs/cert.pem"));

    const out = sh(`${DOC}:${block("renew-cert").line}`, block("renew-cert").code);
    expect(out).toContain("cert.new.pem: OK");

    const after = await fileSerial();
    expect(after).not.toBe(before);
    await waitFor(() => servedSerial() === after, "the agent to serve the new certificate");
    expect(readFileSync(pidFile, "utf8")).toBe(pid);
    expect(agentLog()).toContain("TLS certificate reloaded");
    expect(await sans(join(home, "certs/cert.pem"))).toBe(oldNames);
    expect((await $`stat -c %a ${join(home, "certs/key.pem")}`.text()).trim()).toBe("600");
    expect(existsSync(join(home, "certs/cert.old.pem"))).toBe(true);
    expect(existsSync(join(home, "certs/cert.csr"))).toBe(false);
    const status = await cli(["node", "status", "rb"]);
    expect(status.stderr).toBe("");
    expect(status.code).toBe(0);
  }, 60_000);

  test("restore-registry: the newest backup replaces a corrupt registry; what came after it is gone", async () => {
    const backup = await runMcp("binary", ["agent", "snapshot", "--config", join(home, "mcp-agent.toml")]);
    expect(backup.code).toBe(0);
    const later = await runMcp("binary", ["agent", "token", "create", "--name", "after-backup", "--role", "viewer", "--config", join(home, "mcp-agent.toml")]);
    expect(later.code).toBe(0);

    // The registry breaks while the agent is down.
    sh("stopping the agent", "systemctl stop mcp-agent");
    writeFileSync(join(home, "mcp.db"), "this is not a database".repeat(200));

    sh(`${DOC}:${block("restore-registry").line}`, block("restore-registry").code);

    expect(readFileSync(join(home, "broken/mcp.db"), "utf8")).toStartWith("this is not a database");
    expect((await $`stat -c %a ${join(home, "mcp.db")}`.text()).trim()).toBe("600");
    const tokens = await runMcp("binary", ["agent", "token", "list", "--config", join(home, "mcp-agent.toml")]);
    expect(tokens.code).toBe(0);
    expect(tokens.stdout).toContain("admin");
    expect(tokens.stdout).not.toContain("after-backup");
    // The agent serves the restored registry, and the admin token in it still works.
    const status = await cli(["node", "status", "rb"]);
    expect(status.code).toBe(0);
    expect(agentLog().match(/agent serving/g)!.length).toBe(2);
  }, 60_000);
});
