// Issue 13: what a viewer, an operator and a service-scoped token can do
// against a real agent in the production layout (SPEC §7.1): a viewer never
// reads an env value, the agent checks every request field itself (the CLI
// is not the boundary), and a scoped token acts only on its services.
import { $ } from "bun";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { ComponentSpec, ServiceDef } from "../../src/model/index.ts";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { actor, fingerprint, type Actor } from "../support/attack.ts";
import { podmanAvailable, SLEEP_CMD, TEST_IMAGES } from "../support/image.ts";
import { tempDir, waitFor } from "../support/mcp.ts";
import { recordSecret } from "../support/scan.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`security suite (roles) SKIPPED: podman is not available (${podman.reason})`);

const SECRET = `hunter2-${crypto.randomUUID()}`;
recordSecret(SECRET);
const tomlArray = (xs: string[]) => JSON.stringify(xs);

describe.skipIf(!podman.ok)("security: roles, scopes and request fields", () => {
  let agent: TestAgent;
  let op: Actor;
  let viewer: Actor;
  let scoped: Actor;
  let scopedViewer: Actor;
  const suffix = crypto.randomUUID().slice(0, 8);
  const app = `app-${suffix}`;
  const other = `other-${suffix}`;

  beforeAll(async () => {
    agent = await startTestAgent({ flavor: "binary", layout: "production" });
    [op, viewer, scoped, scopedViewer] = await Promise.all([
      actor(agent, "op", "operator"), actor(agent, "watcher", "viewer"), actor(agent, "ci", "operator", [app]), actor(agent, "ci-view", "viewer", [app]),
    ]);
    for (const s of [app, other]) {
      mkdirSync(join(agent.srvRoot, s), { recursive: true });
      writeServiceDef(agent, s, `name = "${s}"\nnode = "local"\n\n[[components]]\nname = "web"\nimage = "${TEST_IMAGES.v1}"\ncmd = ${tomlArray(SLEEP_CMD)}\nenv = ["DB_PASSWORD=${SECRET}", "MODE=prod"]\n`);
      const d = await op.cli(["deploy", s]);
      if (d.code !== 0) throw new Error(`deploy ${s} failed: ${d.stdout}${d.stderr}`);
    }
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    await $`podman rm -f -t 0 ${app}-web ${other}-web lab-${suffix}-web`.nothrow().quiet();
  });

  test("a viewer reads every spec but never an env value: list --json, service show, status, rollback --list", async () => {
    for (const args of [["list", "--json"], ["service", "show", app], ["service", "show", app, "--json"], ["status", app, "--json"], ["rollback", "--list", app, "--json"]]) {
      const r = await viewer.cli(args);
      expect(r.code).toBe(0);
      expect(r.stdout + r.stderr).not.toContain(SECRET);
      if (args[0] === "list" || args[0] === "service") expect(r.stdout).toContain("DB_PASSWORD=…");
    }
    // Export would write "…" as the values: refused for a viewer; diff compares keys only.
    const out = join(tempDir("mcp-export-"), "app.toml");
    const ex = await viewer.cli(["service", "export", app, "-o", out]);
    expect(ex.code).toBe(3);
    expect(ex.stderr).toContain("export with an operator token");
    expect(existsSync(out)).toBe(false);
    const diff = await viewer.cli(["diff", app]);
    expect(diff.stdout).toBe(`${app} on local: no differences\n`);
    // An operator (who may export and redeploy) still reads the values.
    expect((await op.cli(["service", "show", app])).stdout).toContain(`DB_PASSWORD=${SECRET}`);
  }, 30_000);

  test("a viewer changes nothing: deploy, stop, push, pull, snapshot, sync and audit are refused (exit 3)", async () => {
    const local = tempDir("mcp-viewer-");
    const before = await fingerprint(agent);
    for (const args of [["deploy", app], ["stop", app], ["push", "/etc/hostname", app, "x"], ["pull", app, "x", join(local, "x")], ["snapshot", app, "-o", join(local, "s.tar.zst")], ["sync"], ["audit"]]) {
      const r = await viewer.cli(args);
      expect({ args, code: r.code }).toEqual({ args, code: 3 });
      expect(r.stderr).toMatch(/needs role (operator|admin); token "watcher" has viewer/);
    }
    expect(await fingerprint(agent)).toBe(before);
  }, 30_000);

  /** A definition sent straight to the agent, past the CLI's checks. */
  const raw = (c: Partial<ComponentSpec>): ServiceDef => ({
    name: app, node: "local", active: true,
    components: [{ name: "web", image: TEST_IMAGES.v1, network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [], ...c }],
  });
  const hostile: [string, Partial<ComponentSpec>, RegExp][] = [
    ["an env value with a NUL byte", { env: [`DB_PASSWORD=${SECRET}\u0000x`] }, /env\[0\]: the value of DB_PASSWORD contains a control character \(U\+0000\)/],
    ["an env entry without a key", { env: [`=${SECRET}`] }, /env\[0\]: is not KEY=VALUE/],
    ["an env key with a newline", { env: [`A\nB=${SECRET}`] }, /env\[0\]: key "A\\nB" is not a valid name/],
    ["a port out of range", { ports: ["127.0.0.1:99999:80"] }, /ports\[0\]: "127\.0\.0\.1:99999:80": host port "99999" is out of range/],
    ["a port with a flag", { ports: ["--privileged"] }, /ports\[0\]: "--privileged"/],
    ["a restart policy that is not one", { restart: "always; rm -rf /" }, /restart: "always; rm -rf \/" is not a restart policy/],
    ["a user with a flag", { user: "0 --privileged" }, /user: "0 --privileged" is not user\[:group\]/],
    ["an image with an escape sequence", { image: "busybox\u001b[2J" }, /image: contains a control character \(U\+001B\)/],
    ["a health check that never ends", { health: { cmd: ["true"], intervalMs: 0, timeoutMs: 1000, retries: 1 } }, /health\.interval: "0ms" is not a duration|must be longer than 0/],
    ["zero health retries", { health: { cmd: ["true"], intervalMs: 1000, timeoutMs: 1000, retries: 0 } }, /health\.retries: must be at least 1/],
    ["300 volumes", { volumes: Array.from({ length: 300 }, (_, i) => `v${i}:/v${i}`) }, /volumes: must have at most 256 entries/],
    ["a volume option that shares mounts", { volumes: [`/srv/x:/x:rshared`] }, /volumes\[0\]: .*option "rshared" is not one of/],
  ];
  for (const [what, fields, message] of hostile) {
    test(`the agent itself refuses ${what}, without echoing a secret, and changes nothing`, async () => {
      const before = await fingerprint(agent);
      const c = op.client();
      const mark = agent.logs().length;
      try {
        const err = await c.deploy({ service: raw(fields), component: "", force: true, lockWaitMs: 0 }, () => {}).then(() => null, (e: Error & { code?: string }) => e);
        expect(err?.message).toMatch(message);
        expect(err?.message).not.toContain(SECRET);
        expect((err as { code?: string }).code).toBe("invalid_argument");
      } finally {
        c.close();
      }
      expect(agent.logs().slice(mark)).not.toContain(SECRET);
      expect(await fingerprint(agent)).toBe(before);
    }, 30_000);
  }

  test("a container labelled for another node is not replaced (exit 1, left running)", async () => {
    const lab = `lab-${suffix}`;
    const id = (await $`podman run -d --name ${lab}-web --label mcp.node=elsewhere --label mcp.service=${lab} ${TEST_IMAGES.v1} ${SLEEP_CMD}`.quiet().text()).trim();
    writeServiceDef(agent, lab, `name = "${lab}"\nnode = "local"\n\n[[components]]\nname = "web"\nimage = "${TEST_IMAGES.v2}"\ncmd = ${tomlArray(SLEEP_CMD)}\n`);
    const r = await op.cli(["deploy", lab]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`container ${lab}-web belongs to node elsewhere (label mcp.node), not local; it was left alone`);
    expect((await $`podman inspect --format ${"{{.Id}} {{.State.Status}}"} ${lab}-web`.quiet().text()).trim()).toBe(`${id} running`);
  }, 60_000);

  test("a scoped token acts on its services only; lists show only them; prune is refused", async () => {
    const local = tempDir("mcp-scoped-");
    const before = await fingerprint(agent);
    for (const args of [["deploy", other], ["stop", other], ["pull", other, "x", join(local, "x")], ["snapshot", other, "-o", join(local, "o.tar.zst")], ["logs", other], ["status", other]]) {
      const r = await scoped.cli(args);
      expect({ args, code: r.code }).toEqual({ args, code: 3 });
      expect(r.stderr).toContain(`token "ci" is scoped to services ${app}`);
    }
    expect((await scoped.cli(["sync", "--prune"])).code).toBe(3);
    expect(await fingerprint(agent)).toBe(before);
    const list = JSON.parse((await scoped.cli(["list", "--json"])).stdout) as { services: { name: string }[] };
    expect(list.services.map((s) => s.name)).toEqual([app]);
    const ps = (await scopedViewer.cli(["ps"])).stdout;
    expect(ps).toContain(app);
    expect(ps).not.toContain(other);
    expect((await scoped.cli(["restart", app])).code).toBe(0);
    expect((await scopedViewer.cli(["deploy", app])).code).toBe(3);
  }, 60_000);

  test("a scoped token may not use another service's named volume, nor name a component so its container is another service's", async () => {
    const before = await fingerprint(agent);
    writeServiceDef(agent, app, `name = "${app}"\nnode = "local"\n\n[[components]]\nname = "web"\nimage = "${TEST_IMAGES.v1}"\nvolumes = ["${other}-data:/x"]\n`);
    const r = await scoped.cli(["deploy", app]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`the named volume ${other}-data is not this service's`);
    // `other` (registered) runs other-<suffix>-web; service `other` + component `<suffix>-web` would take that container.
    const [head, tail] = [other.split("-")[0]!, other.slice(other.indexOf("-") + 1)];
    const c = op.client();
    try {
      const err = await c.deploy({ service: raw({ name: `${tail}-web` }), component: "", force: false, lockWaitMs: 0 }, () => {})
        .then(() => null, (e: Error) => e);
      expect(err).toBeNull(); // app-<suffix> + <suffix>-web is app-<suffix>-<suffix>-web: no collision, a control
      const d = { ...raw({ name: `${tail}-web` }), name: head };
      const clash = await c.syncDesiredState({ services: [d], dryRun: false, prune: false }).then(() => null, (e: Error) => e);
      expect(clash?.message).toBe(`component ${head}/${tail}-web would run as container ${other}-web, which is ${other}/web's`);
    } finally {
      c.close();
    }
    await $`podman rm -f -t 0 ${app}-${tail}-web`.nothrow().quiet();
    // The other service's container is the same one, running.
    const line = (fp: string) => fp.split("\n").filter((l) => l.startsWith(`${other}-web `));
    expect(line(await fingerprint(agent))).toEqual(line(before));
  }, 60_000);

  test("a viewer cannot hold more than 16 followed logs (each one is a podman process)", async () => {
    const c = viewer.client();
    const stop = new AbortController();
    const held: Promise<unknown>[] = [];
    try {
      for (let i = 0; i < 16; i++) held.push(c.logs({ service: other, component: "", tail: 1, follow: true }, () => {}, stop.signal).catch((e) => e));
      // Until the 16 are open on the agent a 17th is taken (and given back when its probe ends): wait for the refusal.
      let err: Error | null = null;
      await waitFor(async () => {
        err = await c.logs({ service: other, component: "", tail: 1, follow: true }, () => {}, AbortSignal.timeout(300)).then(() => null, (e: Error) => e);
        return err?.message.includes("too many followed logs");
      }, "the 17th followed log to be refused", 10_000);
      expect(err!.message).toContain(`too many followed logs (16 by token "watcher"`);
    } finally {
      stop.abort();
      await Promise.all(held);
      c.close();
    }
  }, 30_000);

  test("a failing container's hostile log cannot drive the operator's terminal: control characters come out escaped", async () => {
    writeServiceDef(agent, app, `name = "${app}"\nnode = "local"\n\n[[components]]\nname = "web"\nimage = "${TEST_IMAGES.v2}"\ncmd = ["sh", "-c", "printf '\\\\033[2J\\\\033]0;pwned\\\\007gone\\\\n'; exit 3"]\n`);
    const r = await op.cli(["deploy", app]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).not.toMatch(/[\u001b\u0007]/);
    expect(r.stdout).toContain("\\u001b[2J");
  }, 60_000);
});
