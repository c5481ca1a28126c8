// The attacker of `mcp service export --format kube` (issue 18): the YAML
// carries env values, so a viewer (sent KEY=…) is refused as for the TOML
// export, a token scoped to another service sees nothing to export, bad
// flags are usage errors, and an existing file is never replaced without
// --force. Against a real agent in the production layout.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { Pod } from "kubernetes-models/v1";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { actor, type Actor } from "../support/attack.ts";
import { podmanAvailable, SLEEP_CMD, TEST_IMAGES } from "../support/image.ts";
import { tempDir } from "../support/mcp.ts";
import { recordSecret } from "../support/scan.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`security suite (kube export) SKIPPED: podman is not available (${podman.reason})`);

const SECRET = `kube-${crypto.randomUUID()}`;
recordSecret(SECRET);

describe.skipIf(!podman.ok)("security: mcp service export --format kube", () => {
  let agent: TestAgent;
  let op: Actor;
  let viewer: Actor;
  let scoped: Actor;
  const suffix = crypto.randomUUID().slice(0, 8);
  const app = `kx-${suffix}`;
  const out = tempDir("mcp-kube-");

  beforeAll(async () => {
    agent = await startTestAgent({ flavor: "binary", layout: "production" });
    [op, viewer, scoped] = await Promise.all([actor(agent, "op", "operator"), actor(agent, "watcher", "viewer"), actor(agent, "ci", "operator", [`other-${suffix}`])]);
    writeServiceDef(agent, app, `name = "${app}"\nnode = "local"\n\n[[components]]\nname = "web"\nimage = "${TEST_IMAGES.v1}"\ncmd = ${JSON.stringify(SLEEP_CMD)}\nenv = ["DB_PASSWORD=${SECRET}"]\nports = ["127.0.0.1:18999:8080"]\n`);
    // sync records the spec without starting anything: the export reads the registry.
    const s = await op.cli(["sync"]);
    if (s.code !== 0) throw new Error(`sync failed: ${s.stdout}${s.stderr}`);
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
  });

  test("an operator gets YAML that validates, with the env value (it is the operator's to move)", async () => {
    const r = await op.cli(["service", "export", app, "--format", "kube"]);
    expect(r.code).toBe(0);
    const pod = parse(r.stdout);
    expect(() => new Pod(pod).validate()).not.toThrow();
    expect(pod.spec.containers[0].env).toEqual([{ name: "DB_PASSWORD", value: SECRET }]);
    expect(r.stderr).not.toContain(SECRET);
  });

  test("a viewer is refused (exit 3): it is sent KEY=… and must not get a file that deploys \"…\"; no YAML, no value", async () => {
    for (const extra of [[], ["-o", join(out, "viewer.yaml")]]) {
      const r = await viewer.cli(["service", "export", app, "--format", "kube", ...extra]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain("(this token is a viewer's)");
      expect(r.stdout).toBe("");
      expect(r.stdout + r.stderr).not.toContain(SECRET);
    }
    expect(existsSync(join(out, "viewer.yaml"))).toBe(false);
  });

  test("a token scoped to another service finds nothing to export", async () => {
    const r = await scoped.cli(["service", "export", app, "--format", "kube"]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(app);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  test("bad flags are usage errors (exit 2) before anything is asked", async () => {
    for (const [args, message] of [
      [["--format", "helm"], /--format: "helm" is not toml or kube/],
      [["--format", "kube", "--kube-kind", "statefulset"], /--kube-kind: "statefulset" is not pod or deployment/],
      [["--kube-kind", "pod"], /--kube-kind goes with --format kube/],
    ] as const) {
      const r = await op.cli(["service", "export", app, ...args]);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
    }
  });

  test("-o never replaces a file without --force; with it, the file is replaced whole", async () => {
    const path = join(out, "pod.yaml");
    writeFileSync(path, "# mine\n");
    const before = statSync(path).mtimeMs;
    const refused = await op.cli(["service", "export", app, "--format", "kube", "-o", path]);
    expect(refused.code).toBe(2);
    expect(readFileSync(path, "utf8")).toBe("# mine\n");
    expect(statSync(path).mtimeMs).toBe(before);
    const forced = await op.cli(["service", "export", app, "--format", "kube", "--kube-kind", "deployment", "-o", path, "--force"]);
    expect(forced.code).toBe(0);
    expect(parse(readFileSync(path, "utf8")).kind).toBe("Deployment");
  });
});
