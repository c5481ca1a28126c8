// Issue 17's attackers (SPEC §7.6, §7.8): who may prune images, what a
// hostile request or config does. A viewer cannot prune (not even a dry
// run), a token scoped to services is refused (the images are node-wide),
// out-of-range keep from a client that skips the CLI changes nothing, and a
// hostile [[notify]] stops the agent at start with a located error that
// never echoes the URL. (/metrics without or with a wrong token:
// test/e2e/metrics-notify.e2e.test.ts and test/node/metrics/serve.test.ts.)
import { $ } from "bun";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { isMcpError } from "../../src/lib/errors.ts";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { actor, fingerprint, type Actor } from "../support/attack.ts";
import { makeDistinctImage } from "../support/distinct-image.ts";
import { podmanAvailable, removeContainers, SLEEP_CMD, uniqueName } from "../support/image.ts";
import { runMcp, tempDir } from "../support/mcp.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`security suite (prune, metrics config) SKIPPED: podman is not available (${podman.reason})`);

describe.skipIf(!podman.ok)("security: prune and the operations config", () => {
  let agent: TestAgent;
  let op: Actor;
  let viewer: Actor;
  let scoped: Actor;
  const svc = uniqueName("prs");
  const repo = `localhost/${svc}/app`;
  const ids: string[] = [];
  const exists = async (ref: string) => (await $`podman image exists ${ref}`.nothrow().quiet()).exitCode === 0;

  beforeAll(async () => {
    agent = await startTestAgent({ flavor: "binary", layout: "production" });
    [op, viewer, scoped] = await Promise.all([actor(agent, "op", "operator"), actor(agent, "watcher", "viewer"), actor(agent, "ci", "operator", [svc])]);
    for (const tag of ["v1", "v2"]) {
      ids.push(await makeDistinctImage(`${repo}:${tag}`));
      writeServiceDef(agent, svc, `name = "${svc}"\nnode = "local"\n\n[[components]]\nname = "api"\nimage = "${repo}:${tag}"\ncmd = ${JSON.stringify(SLEEP_CMD)}\n`);
      const d = await op.cli(["deploy", svc]);
      if (d.code !== 0) throw new Error(d.stdout + d.stderr);
    }
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    await removeContainers(svc);
    await $`podman image rm -i ${ids}`.nothrow().quiet();
  });

  test("a viewer cannot prune, not even a dry run; a scoped operator token is refused; nothing changes", async () => {
    const before = await fingerprint(agent);
    for (const [who, args, says] of [
      [viewer, ["node", "prune", "local"], "PruneImages needs role operator"],
      [viewer, ["node", "prune", "local", "--dry-run"], "PruneImages needs role operator"],
      [scoped, ["node", "prune", "local", "--keep", "1"], `token "ci" is scoped to services`],
    ] as const) {
      const r = await who.cli([...args]);
      expect({ args, code: r.code }).toEqual({ args, code: 3 });
      expect(r.stderr).toContain(says);
    }
    // Past the CLI, straight to the agent.
    const c = viewer.client();
    try {
      const err = await c.pruneImages({ dryRun: false, keep: 1 }).then(() => null, (e: unknown) => e);
      expect(isMcpError(err, "permission_denied")).toBe(true);
    } finally {
      c.close();
    }
    expect(await exists(`${repo}:v1`)).toBe(true);
    expect(await fingerprint(agent)).toBe(before);
  }, 60_000);

  test("keep out of range from a client that skips the CLI is refused by the agent; nothing is removed", async () => {
    const c = op.client();
    try {
      for (const keep of [10_001, 4_294_967_295]) {
        const err = await c.pruneImages({ dryRun: false, keep }).then(() => null, (e: unknown) => e);
        expect(isMcpError(err, "invalid_argument")).toBe(true);
      }
    } finally {
      c.close();
    }
    expect(await exists(`${repo}:v1`)).toBe(true);
    // The operator's own prune works, and is audited.
    const r = await op.cli(["node", "prune", "local", "--keep", "1"]);
    expect(r.code).toBe(0);
    expect(await exists(`${repo}:v1`)).toBe(false);
    expect(await exists(`${repo}:v2`)).toBe(true);
  }, 60_000);

  test("a hostile [[notify]] or [metrics] stops the agent at start with a located error, never echoing the URL", async () => {
    const base = (await Bun.file(agent.agentConfig).text()).replace(/listen = "127\.0\.0\.1:\d+"/, 'listen = "127.0.0.1:0"');
    const dir = tempDir("mcp-hostile-cfg-");
    for (const [extra, says] of [
      [`[[notify]]\nurl = "file:///srv/mcp/certs/ca-key.pem?tk_secret"\n`, "notify[0].url: url must be https:// (not file:)"],
      [`[[notify]]\nurl = "https://hooks.example.net/x"\nheaders = { "X-A" = "v\\r\\nX-Injected: tk_secret" }\n`, "notify[0].headers.X-A: a header value must not hold line breaks"],
      [`[[notify]]\nurl = "https://hooks.example.net/x"\nheaders = { "X-Big" = "${"tk_secret".repeat(200)}" }\n`, "notify[0].headers.X-Big: a header value is at most 1024 bytes"],
      [`[metrics]\nlisten = "0.0.0.0"\n`, "metrics.listen:"],
    ] as const) {
      const path = join(dir, "mcp-agent.toml");
      writeFileSync(path, `${base}\n${extra}`);
      const r = await runMcp("binary", ["agent", "--config", path]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${path}:`);
      expect(r.stderr).toContain(says);
      expect(r.stderr).not.toContain("tk_secret");
    }
  }, 60_000);
});
