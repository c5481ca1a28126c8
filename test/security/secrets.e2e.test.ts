// Attackers against secrets (SPEC §7.3) and the component keys (§7.1, §7.2), on a real agent in the
// production layout: a viewer cannot set or remove a secret and never reads a value; a token scoped to
// one service cannot touch, list or use another's secrets (not even by naming it in a definition);
// hostile names and values are located errors that change nothing; a device the node's policy does not
// list, and mcp's own labels, are refused at the agent whatever the CLI checked.
import { $ } from "bun";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { ComponentSpec, ServiceDef } from "../../src/model/index.ts";
import { podmanSecretName } from "../../src/node/secrets/index.ts";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { actor, fingerprint, type Actor } from "../support/attack.ts";
import { podmanAvailable, SLEEP_CMD, TEST_IMAGES } from "../support/image.ts";
import { recordOutput, recordSecret } from "../support/scan.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`security suite (secrets) SKIPPED: podman is not available (${podman.reason})`);

const APP_VALUE = `app-value-${crypto.randomUUID()}`;
const OTHER_VALUE = `other-value-${crypto.randomUUID()}`;
for (const v of [APP_VALUE, OTHER_VALUE]) recordSecret(v);
const bytes = (s: string) => new TextEncoder().encode(s);

/** The podman secrets there are now (names), and what the registry says of them. */
const podmanSecrets = async () => (await $`podman secret ls --format ${"{{.Name}}"}`.quiet().text()).split("\n").filter(Boolean).sort().join(",");

describe.skipIf(!podman.ok)("security: secrets and component keys", () => {
  let agent: TestAgent;
  let op: Actor;
  let viewer: Actor;
  let scoped: Actor;
  const suffix = crypto.randomUUID().slice(0, 8);
  const app = `sapp-${suffix}`;
  const other = `sother-${suffix}`;
  const outputs: string[] = [];
  const run = async (a: Actor, args: string[], stdin?: string) => {
    const r = await a.cli(args, stdin === undefined ? {} : { stdin });
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const def = (name: string, extra: Partial<ComponentSpec> = {}): ServiceDef => ({
    name, node: "local", active: true,
    components: [{ name: "web", image: TEST_IMAGES.v1, network: "", user: "1000:1000", restart: "", ports: [], volumes: [], cmd: SLEEP_CMD, env: [], ...extra }],
  });

  beforeAll(async () => {
    agent = await startTestAgent({ flavor: "binary", layout: "production" });
    [op, viewer, scoped] = await Promise.all([actor(agent, "op", "operator"), actor(agent, "watcher", "viewer"), actor(agent, "ci", "operator", [app])]);
    for (const s of [app, other]) {
      writeServiceDef(agent, s, `name = "${s}"\nnode = "local"\n\n[[components]]\nname = "web"\nimage = "${TEST_IMAGES.v1}"\nuser = "1000:1000"\ncmd = ${JSON.stringify(SLEEP_CMD)}\n\n[[components.secrets]]\nname = "pw"\nenv = "PW"\n`);
    }
    expect((await run(op, ["secret", "set", other, "pw"], OTHER_VALUE)).code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    recordOutput("security-secrets-cli", outputs.join("\n"));
    await agent?.stop();
    // One name per call: podman 4.3's rm -f removes nothing when one of several names is missing.
    for (const c of [`${app}-web`, `${other}-web`]) await $`podman rm -f -t 0 ${c}`.nothrow().quiet();
    await $`podman secret rm mcp.${app}.pw mcp.${other}.pw`.nothrow().quiet();
  });

  test("a viewer cannot set or remove a secret (exit 3, nothing changes) and lists names only", async () => {
    const before = [await fingerprint(agent), await podmanSecrets()];
    for (const [args, stdin] of [[["secret", "set", other, "pw"], "x-viewer-value"], [["secret", "rm", other, "pw"], undefined]] as const) {
      const r = await run(viewer, [...args], stdin);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/needs role operator; token "watcher" has viewer/);
    }
    const c = viewer.client();
    try {
      await expect(c.setSecret({ service: other, name: "pw", value: bytes("x") })).rejects.toMatchObject({ code: "permission_denied" });
    } finally {
      c.close();
    }
    const ls = await run(viewer, ["secret", "ls", "--json"]);
    expect(ls.code).toBe(0);
    expect(JSON.parse(ls.stdout).secrets.map((s: { service: string; name: string }) => `${s.service}/${s.name}`)).toContain(`${other}/pw`);
    expect([await fingerprint(agent), await podmanSecrets()]).toEqual(before);
  }, 60_000);

  test("a token scoped to one service sets its own secrets only; it cannot touch, list or use another's", async () => {
    expect((await run(scoped, ["secret", "set", app, "pw"], APP_VALUE)).code).toBe(0);
    const before = [await fingerprint(agent), await podmanSecrets()];
    for (const [args, stdin] of [[["secret", "set", other, "pw"], "stolen"], [["secret", "rm", other, "pw"], undefined], [["secret", "ls", other], undefined]] as const) {
      const r = await run(scoped, [...args], stdin);
      expect({ args, code: r.code }).toEqual({ args, code: 3 });
      expect(r.stderr).toContain(`token "ci" is scoped to services ${app}; it cannot act on service ${other}`);
    }
    const ls = JSON.parse((await run(scoped, ["secret", "ls", "--json"])).stdout);
    expect(ls.secrets.map((s: { service: string }) => s.service)).toEqual([app]);
    expect([await fingerprint(agent), await podmanSecrets()]).toEqual(before);
    // Its definition names "pw": that is its own service's pw, never the other's (whose value is different).
    expect((await run(scoped, ["deploy", app])).code).toBe(0);
    expect((await $`podman exec ${app}-web sh -c ${'printf %s "$PW"'}`.text())).toBe(APP_VALUE);
    const [box] = JSON.parse(await $`podman container inspect ${app}-web`.text());
    // (podman 4.3 lists env secrets nowhere but in the create command.)
    expect((box.Config.CreateCommand as string[]).filter((a, i, all) => all[i - 1] === "--secret")).toEqual([`mcp.${app}.pw,type=env,target=PW`]);
  }, 60_000);

  test("a definition cannot reach another service's secret by any name: the agent refuses the names", async () => {
    const before = [await fingerprint(agent), await podmanSecrets()];
    const c = scoped.client();
    try {
      const attempt = (name: string) => c.deploy({ service: def(app, { secrets: [{ name, env: "PW" }] }), component: "", force: true, lockWaitMs: 0 }, () => {})
        .then(() => null, (e: Error & { code?: string }) => e);
      for (const name of [`mcp.${other}.pw`, `../${other}/pw`, `${other}/pw`, ".."]) {
        const err = await attempt(name);
        expect({ name, code: err?.code, message: err?.message }).toEqual({ name, code: "invalid_argument", message: expect.stringContaining("components[0].secrets[0].name") });
      }
      // A valid name is always in the service's own namespace: the other's hashed podman name is just an unknown secret of app.
      const hashed = podmanSecretName(other, `${"k".repeat(60)}_`);
      expect(hashed).toMatch(/^mcp-[0-9a-f]{40}$/);
      const err = await attempt(hashed);
      expect(err?.code).toBe("failed_precondition");
      expect(err?.message).toBe(`service ${app}, component web: secrets[0]: secret ${hashed} does not exist on node local; nothing was changed`);
    } finally {
      c.close();
    }
    expect([await fingerprint(agent), await podmanSecrets()]).toEqual(before);
  }, 60_000);

  test("hostile secret and service names, empty and oversized values: located errors, nothing stored, no value echoed", async () => {
    const before = [await fingerprint(agent), await podmanSecrets()];
    const c = op.client();
    const mark = agent.logs().length;
    try {
      const names = ["..", "../x", "a/b", "a.b", "x".repeat(65), "a\u0000b", "a\u001b[31mb", "", "-rf", "a b"];
      for (const name of names) {
        const err = await c.setSecret({ service: app, name, value: bytes(APP_VALUE) }).then(() => null, (e: Error & { code?: string }) => e);
        expect({ name, code: err?.code }).toEqual({ name, code: "invalid_argument" });
        expect(err!.message).toStartWith("secret name: ");
        expect(err!.message).not.toContain("\u001b");
        expect(err!.message).not.toContain(APP_VALUE);
      }
      for (const service of ["../x", "mcp", "A", "x".repeat(64), ""]) {
        const err = await c.setSecret({ service, name: "pw", value: bytes(APP_VALUE) }).then(() => null, (e: Error & { code?: string }) => e);
        expect({ service, code: err?.code }).toEqual({ service, code: "invalid_argument" });
      }
      for (const value of [new Uint8Array(0), new Uint8Array(600_000)]) {
        const err = await c.setSecret({ service: app, name: "big", value }).then(() => null, (e: Error & { code?: string }) => e);
        expect(err?.code).toBe("invalid_argument");
      }
    } finally {
      c.close();
    }
    expect(agent.logs().slice(mark)).not.toContain(APP_VALUE);
    // The CLI says the same, before sending anything.
    const cli = await run(op, ["secret", "set", app, "../x"], "v");
    expect(cli.code).toBe(2);
    expect(cli.stderr).toBe('error: secret name: "../x" is not a secret name (letters, digits, _ and -, 1-64 characters, starting with a letter or digit)\nhint: name it with letters, digits, _ and - (e.g. db_password)\n');
    expect((await run(op, ["secret", "set", app, "pw"], "")).stderr).toContain("error: the secret's value from stdin is empty");
    expect((await run(op, ["secret", "set", app, "pw", "--from-file", "/nonexistent/x"])).code).toBe(2);
    expect([await fingerprint(agent), await podmanSecrets()]).toEqual(before);
  }, 60_000);

  test("a device the node's policy does not list, and mcp's own labels, are refused at the agent (CLI or not)", async () => {
    const before = await fingerprint(agent);
    writeServiceDef(agent, other, `name = "${other}"\nnode = "local"\n\n[[components]]\nname = "web"\nimage = "${TEST_IMAGES.v1}"\ncmd = ${JSON.stringify(SLEEP_CMD)}\ndevices = ["/dev/null"]\n`);
    const r = await run(op, ["deploy", other]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`error: service ${other}, component web: devices[0]: the host device /dev/null is not allowed by the node's policy\nhint: no device is allowed on this node (an admin can allow it: [policy] devices in the agent config)\n`);
    const c = op.client();
    try {
      const dev = await c.deploy({ service: def(other, { devices: ["/dev/null"] }), component: "", force: true, lockWaitMs: 0 }, () => {}).then(() => null, (e: Error & { code?: string }) => e);
      expect(dev?.code).toBe("permission_denied");
      const synced = await c.syncDesiredState({ services: [def(other, { devices: ["/dev/null"] })], dryRun: false, prune: false }).then(() => null, (e: Error & { code?: string }) => e);
      expect(synced?.code).toBe("permission_denied");
      const label = await c.deploy({ service: def(other, { labels: { "mcp.service": app } }), component: "", force: true, lockWaitMs: 0 }, () => {}).then(() => null, (e: Error & { code?: string }) => e);
      expect(label?.code).toBe("invalid_argument");
      expect(label?.message).toContain("mcp.* labels are mcp's own");
    } finally {
      c.close();
    }
    expect(await fingerprint(agent)).toBe(before);
  }, 60_000);

  test("no value in any output or log of this suite", () => {
    for (const v of [APP_VALUE, OTHER_VALUE]) for (const t of [...outputs, agent.logs()]) expect(t.includes(v)).toBe(false);
  });
});
