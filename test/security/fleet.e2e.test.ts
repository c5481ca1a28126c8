// Issue 17's attackers, against a real agent in the production layout and the
// compiled binary: hostile `after` values are located errors before anything
// runs (nothing deployed); a scoped token's `deploy --all` is refused per
// service outside its scope while the rest proceed (dependents of a refused
// one skipped); a viewer's changes nothing; `logs` of a service outside a
// scope is refused for that target only.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { actor, fingerprint, type Actor } from "../support/attack.ts";
import { podmanAvailable, removeContainers, SLEEP_CMD, TEST_IMAGES } from "../support/image.ts";
import { ensureBinary } from "../support/mcp.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`security suite (fleet) SKIPPED: podman is not available (${podman.reason})`);

describe.skipIf(!podman.ok)("security: deploy --all and merged logs", () => {
  let agent: TestAgent;
  let op: Actor;
  let scoped: Actor;
  let viewer: Actor;
  const p = `sf${crypto.randomUUID().slice(0, 6)}`;
  const n = (s: string) => `${p}-${s}`;
  const define = (name: string, after: string | null = null, active = true) => writeServiceDef(agent, name, [
    `name = "${name}"`, `node = "local"`, ...(active ? [] : ["active = false"]), ...(after !== null ? [`after = ${after}`] : []), "",
    "[[components]]", 'name = "app"', `image = "${TEST_IMAGES.v1}"`, 'user = "1000:1000"', `cmd = ${JSON.stringify(SLEEP_CMD)}`, "",
  ].join("\n"));

  beforeAll(async () => {
    ensureBinary();
    agent = await startTestAgent({ flavor: "binary", layout: "production" });
    [op, scoped, viewer] = await Promise.all([actor(agent, "op", "operator"), actor(agent, "ci", "operator", [n("a"), n("c"), n("d")]), actor(agent, "watcher", "viewer")]);
    define(n("a"));
    define(n("b"), `["${n("a")}"]`);
    define(n("c"), `["${n("b")}"]`);
    define(n("d"));
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    await removeContainers(p);
  });

  test("hostile `after` values: a located error, before anything is sent; nothing deployed", async () => {
    const before = await fingerprint(agent);
    const cases: [string, RegExp][] = [
      [`["../../etc/passwd"]`, /evil\.toml:3: after\[0\]: "\.\.\/\.\.\/etc\/passwd" is not a valid name/],
      [`["${n("evil")}"]`, /evil\.toml:3: after\[0\]: ".*-evil" is this service itself/],
      [`["${n("a")}", "${n("nope")}"]`, /evil\.toml:3: after\[1\]: no service ".*-nope" is defined/],
      [`"${n("a")}"`, /evil\.toml:3: after: expected an array/],
      [`[${Array.from({ length: 300 }, (_, i) => `"${n(`s${i}`)}"`).join(", ")}]`, /evil\.toml:3: after: must have at most 256 entries/],
      [`["x\\u001b[2J\\u0007"]`, /evil\.toml:3: after\[0\]: "x\\u001b\[2J\\u0007" is not a valid name/],
      [`["mcp"]`, /evil\.toml:3: after\[0\]: "mcp" is reserved/],
    ];
    for (const [after, message] of cases) {
      const path = define(n("evil"), after);
      for (const args of [["deploy", "--all"], ["deploy", "--all", "--dry-run"]]) {
        const r = await op.cli(args);
        expect({ after, args, code: r.code }).toEqual({ after, args, code: 2 });
        expect(r.stderr).toMatch(message);
        expect(r.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/); // escaped, never raw control characters
        expect(r.stdout).toBe("");
      }
      rmSync(path);
    }
    // A cycle through two files: located at the entry that closes it.
    define(n("x1"), `["${n("x2")}"]`);
    const x2 = define(n("x2"), `["${n("x1")}"]`);
    const cycle = await op.cli(["deploy", "--all"]);
    expect(cycle.code).toBe(2);
    expect(cycle.stderr).toContain(`${n("x1")}.toml:3: after: a cycle: ${n("x1")} → ${n("x2")} → ${n("x1")}`);
    rmSync(x2);
    rmSync(cycle.stderr.match(/(\/\S+x1\.toml)/)![1]!);
    expect(await fingerprint(agent)).toBe(before);
  }, 60_000);

  test("a viewer's deploy --all is refused for every service and changes nothing", async () => {
    const before = await fingerprint(agent);
    const r = await viewer.cli(["deploy", "--all", "--json"]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { services: { service: string; result: string; detail: string }[] };
    const by = Object.fromEntries(out.services.map((s) => [s.service, s]));
    for (const s of ["a", "d"]) expect(by[n(s)]).toMatchObject({ result: "refused", detail: expect.stringMatching(/needs role operator; token "watcher" has viewer/) });
    expect(by[n("b")]).toMatchObject({ result: "skipped", detail: `after ${n("a")}, which failed` });
    expect(await fingerprint(agent)).toBe(before);
  }, 60_000);

  test("a scoped token: each service outside its scope refused, its dependents skipped, the rest deployed", async () => {
    const r = await scoped.cli(["deploy", "--all"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^${n("a")}\\s+local\\s+ok\\s`, "m"));
    expect(r.stdout).toMatch(new RegExp(`^${n("b")}\\s+local\\s+refused\\s+\\S+\\s+.*token "ci" is scoped to services`, "m"));
    expect(r.stdout).toMatch(new RegExp(`^${n("c")}\\s+local\\s+skipped\\s+-\\s+after ${n("b")}, which failed$`, "m"));
    expect(r.stdout).toMatch(new RegExp(`^${n("d")}\\s+local\\s+ok\\s`, "m"));
    const ps = JSON.parse((await op.cli(["ps", "--json"])).stdout) as { components: { service: string }[] };
    expect(ps.components.map((c) => c.service).filter((s) => s.startsWith(p)).sort()).toEqual([n("a"), n("d")]);
    // Logs: the target outside the scope is refused, the other is shown; exit 3.
    const logs = await scoped.cli(["logs", n("a"), n("b")]);
    expect(logs.code).toBe(3);
    expect(logs.stderr).toContain(`logs of ${n("b")}`);
    expect(logs.stderr).toContain('token "ci" is scoped to services');
  }, 90_000);

  test("a viewer, once services are up to date: those are not sent (unchanged), the others still refused; nothing changes", async () => {
    const before = await fingerprint(agent);
    const r = await viewer.cli(["deploy", "--all", "--json"]);
    expect(r.code).toBe(1);
    const by = Object.fromEntries((JSON.parse(r.stdout) as { services: { service: string; result: string; sent: boolean }[] }).services.map((s) => [s.service, s]));
    expect(by[n("a")]).toMatchObject({ result: "unchanged", sent: false });
    expect(by[n("b")]).toMatchObject({ result: "refused", sent: true });
    expect(await fingerprint(agent)).toBe(before);
  }, 60_000);
});
