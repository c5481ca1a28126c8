// Secrets (SPEC §7.3) on real podman in the production shape (the agent as mcp, rootless podman):
// set from stdin, used as env and as a file, rotated (the next deploy replaces the container, the new
// value inside), removed (a deploy naming it fails before anything stops; the old container runs on);
// then every CLI output, the agent's log, the events, the audit trail and the registry's files are
// searched for the values: none is there.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AGENT_USER, P } from "../support/shape.ts";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { ensureTestImages, podmanAvailable, removeContainers, SLEEP_CMD, TEST_IMAGES, uniqueName } from "../support/image.ts";
import { BINARY, ensureBinary, tempDir, waitFor } from "../support/mcp.ts";
import { recordOutput, recordSecret } from "../support/scan.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`e2e secrets suite SKIPPED: podman is not available (${podman.reason})`);

const tmux = Bun.which("tmux");
if (!tmux && process.env.CI) throw new Error("tmux is missing: scripts/setup-podman.sh installs it");
if (!tmux) console.warn("e2e secrets: the terminal (tmux) test is SKIPPED: tmux is not installed");

const V1 = `first-${crypto.randomUUID()}`;
const V2 = `second-${crypto.randomUUID()}`;
for (const v of [V1, V2]) recordSecret(v);

describe.skipIf(!podman.ok)("e2e: secrets on real podman", () => {
  let agent: TestAgent;
  const svc = uniqueName("sec");
  const ctr = `${svc}-app`;
  const outputs: string[] = [];
  const cli = async (args: string[], o?: { stdin?: string }) => {
    const r = await agent.cli(args, o);
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  /** What the container sees: the variable, then the file. */
  const seen = async () => (await $`${P} exec ${ctr} sh -c ${'printf "%s|" "$DB_PASSWORD"; cat /run/secrets/db_password'}`.text());
  const id = async () => (await $`${P} inspect --format ${"{{.Id}}"} ${ctr}`.text()).trim();

  beforeAll(async () => {
    await ensureTestImages(P);
    ensureBinary();
    agent = await startTestAgent({ user: AGENT_USER });
    writeServiceDef(agent, svc, `name = "${svc}"
node = "local"

[[components]]
name = "app"
image = "${TEST_IMAGES.v1}"
user = "1000:1000"
cmd = ${JSON.stringify(SLEEP_CMD)}
env = ["MODE=prod"]

[[components.secrets]]
name = "db_password"
env = "DB_PASSWORD"

[[components.secrets]]
name = "db_password"
file = "/run/secrets/db_password"
`);
  }, 120_000);

  afterAll(async () => {
    recordOutput("secrets-cli", outputs.join("\n"));
    await agent?.stop();
    await removeContainers(svc, P);
    for (const name of ["db_password", "tty_pw", "tty_other"]) await $`${P} secret rm mcp.${svc}.${name}`.nothrow().quiet();
  });

  test("a deploy naming a secret that was never set fails before anything is created, saying what to do", async () => {
    const r = await cli(["deploy", svc]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: service ${svc}, component app: secrets[0]: secret db_password does not exist on node local; nothing was changed`);
    expect(r.stderr).toContain(`hint: set it first: mcp secret set ${svc} db_password < value-file`);
    expect((await $`${P} container exists ${ctr}`.nothrow().quiet()).exitCode).not.toBe(0);
  }, 60_000);

  test("set from stdin (one trailing newline dropped) → deploy: the value as env and as a file, for a non-root user", async () => {
    const set = await cli(["secret", "set", svc, "db_password"], { stdin: `${V1}\n` });
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(new RegExp(`^created secret ${svc}/db_password on local \\(${V1.length} bytes, version [0-9a-f]{16}\\)\\n$`));
    const ls = await cli(["secret", "ls", svc]);
    expect(ls.stdout).toMatch(new RegExp(`^SERVICE\\s+NAME\\s+SIZE\\s+UPDATED\\n${svc}\\s+db_password\\s+${V1.length} B\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\n$`));
    const json = JSON.parse((await cli(["secret", "ls", "--json"])).stdout);
    expect(json.secrets.find((s: { service: string }) => s.service === svc)).toMatchObject({ name: "db_password", node: "local", size: V1.length });
    const d = await cli(["deploy", svc]);
    expect(d.code).toBe(0);
    expect(await seen()).toBe(`${V1}|${V1}`);
  }, 60_000);

  test("the same value again changes nothing; a rotation (--from-file) makes the next deploy replace the container, the new value inside", async () => {
    const before = await id();
    expect((await cli(["secret", "set", svc, "db_password"], { stdin: V1 })).code).toBe(0);
    expect((await cli(["deploy", svc])).stdout).toMatch(/\bunchanged\b/);
    expect(await id()).toBe(before);
    const file = join(tempDir("mcp-secret-"), "value");
    writeFileSync(file, V2, { mode: 0o600 });
    const set = await cli(["secret", "set", svc, "db_password", "--from-file", file]);
    expect(set.stdout).toStartWith(`stored secret ${svc}/db_password on local (${V2.length} bytes`);
    // Until it is deployed, the running container keeps what it was made with.
    expect((await seen()).split("|")[1]).toBe(V1);
    const d = await cli(["deploy", svc]);
    expect(d.code).toBe(0);
    expect(d.stdout).toMatch(new RegExp(`${svc}\\s+app\\s+ok`));
    expect(await id()).not.toBe(before);
    expect(await seen()).toBe(`${V2}|${V2}`);
  }, 60_000);

  test("a secret podman lost behind the agent's back is listed as missing with what to do, and set again heals it", async () => {
    await $`${P} secret rm mcp.${svc}.db_password`.quiet();
    const ls = await cli(["secret", "ls", svc]);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(new RegExp(`^${svc}\\s+db_password\\s+missing\\s`, "m"));
    expect(ls.stderr).toContain(`warning: secret ${svc}/db_password on node local is recorded but podman no longer has it`);
    expect(ls.stderr).toContain(`set it again: mcp secret set ${svc} db_password`);
    expect(JSON.parse((await cli(["secret", "ls", svc, "--json"])).stdout).secrets[0]).toMatchObject({ name: "db_password", missing: true });
    expect((await cli(["secret", "set", svc, "db_password"], { stdin: `${V2}\n` })).code).toBe(0);
    const healed = await cli(["secret", "ls", svc]);
    expect(healed.stdout).not.toContain("missing");
    expect(healed.stderr).toBe("");
  });

  test("rm: the container runs on; a deploy naming it fails before anything stops", async () => {
    const before = await id();
    const rm = await cli(["secret", "rm", svc, "db_password"]);
    expect(rm.code).toBe(0);
    expect(rm.stdout).toBe(`removed secret ${svc}/db_password from local\n`);
    expect(rm.stderr).toContain(`warning: ${svc}/app still name db_password: they keep running, but cannot start again`);
    expect((await cli(["secret", "ls", svc])).stdout).toBe("SERVICE  NAME  SIZE  UPDATED\n");
    for (const args of [["deploy", svc], ["deploy", svc, "--force"]]) {
      const d = await cli(args);
      expect(d.code).toBe(1);
      expect(d.stderr).toContain("secret db_password does not exist on node local; nothing was changed");
    }
    expect((await $`${P} inspect --format ${"{{.Id}} {{.State.Status}}"} ${ctr}`.text()).trim()).toBe(`${before} running`);
    const again = await cli(["secret", "rm", svc, "db_password"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`service ${svc} has no secret db_password on node local`);
  }, 60_000);

  test.skipIf(!tmux)("on a terminal the value is asked twice and never shown; two different answers store nothing", async () => {
    const session = `mcp-secret-${crypto.randomUUID().slice(0, 8)}`;
    const pane = async () => (await $`tmux capture-pane -p -t ${session}`.quiet()).stdout.toString();
    const typed = `typed-${crypto.randomUUID()}`;
    recordSecret(typed);
    const run = (name: string) => `${BINARY} secret set ${svc} ${name} --config ${agent.cliConfig}; echo "[exit $?]"; sleep 600`;
    const drive = async (name: string, first: string, second: string) => {
      await $`tmux new-session -d -s ${session} -x 150 -y 20 ${run(name)}`.quiet();
      try {
        await waitFor(async () => (await pane()).includes(`value of ${svc}/${name} (not shown):`), "the first prompt");
        await $`tmux send-keys -t ${session} -l ${first}`.quiet();
        await $`tmux send-keys -t ${session} Enter`.quiet();
        await waitFor(async () => (await pane()).includes("again:"), "the second prompt");
        await $`tmux send-keys -t ${session} -l ${second}`.quiet();
        await $`tmux send-keys -t ${session} Enter`.quiet();
        await waitFor(async () => /\[exit \d+\]/.test(await pane()), "the command to end");
        return await pane();
      } finally {
        await $`tmux kill-session -t ${session}`.quiet().nothrow();
      }
    };
    const ok = await drive("tty_pw", typed, typed);
    outputs.push(ok);
    expect(ok).toContain("[exit 0]");
    expect(ok).toContain(`created secret ${svc}/tty_pw on local (${typed.length} bytes`);
    expect(ok).not.toContain(typed);
    const differ = await drive("tty_other", typed, `${typed}x`);
    outputs.push(differ);
    expect(differ).toContain("error: the two values typed differ; nothing was stored");
    expect(differ).toContain("[exit 2]");
    expect(differ).not.toContain(typed);
    expect((await cli(["secret", "ls", svc])).stdout).not.toContain("tty_other");
  }, 60_000);

  test("no value in any CLI output, the agent's log, the events, the audit trail or the registry's files", async () => {
    const events = await cli(["events", "--json"]);
    const audit = await cli(["audit", "--json"]);
    expect(events.stdout).toContain("secret-set");
    expect(audit.stdout).toContain("SetSecret");
    for (const args of [["list", "--json"], ["status", svc, "--json"], ["service", "show", svc], ["diff", svc]]) await cli(args);
    const db = join(agent.stateDir, "mcp.db");
    const files = [db, `${db}-wal`].filter(existsSync).map((f) => readFileSync(f, "latin1"));
    const all = [...outputs, agent.logs(), ...files];
    for (const v of [V1, V2]) for (const text of all) expect(text.includes(v)).toBe(false);
  }, 60_000);
});
