// Issue 17 when a node is down or dies: `deploy --all` fails that node's
// services with a clear reason, skips their dependents (on any node) and
// deploys the rest; an agent killed in the middle of a deploy ends that
// service's row (never a hang); `mcp logs` of two nodes shows the one that
// answers and says which did not (exit 4).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestFleet, type TestFleet } from "../support/fleet.ts";
import { ensureTestImages, podmanAvailable, TEST_IMAGES } from "../support/image.ts";
import { mcpArgv, waitFor } from "../support/mcp.ts";
import { P } from "../support/shape.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`reliability suite (fleet) SKIPPED: podman is not available (${podman.reason})`);

const sleeper = `["sh", "-c", "trap 'exit 0' TERM; echo up; sleep 3600 & wait"]`;

describe.skipIf(!podman.ok)("reliability: deploy --all and logs with a node down", () => {
  let fleet: TestFleet;
  const p = `rf${crypto.randomUUID().slice(0, 6)}`;
  const n = (s: string) => `${p}-${s}`;
  const define = (name: string, node: string, after: string[] = [], extra = "") =>
    fleet.define(name, `name = "${name}"\nnode = "${node}"\n${after.length ? `after = ${JSON.stringify(after)}\n` : ""}\n[[components]]\nname = "app"\nimage = "${TEST_IMAGES.v1}"\nuser = "1000:1000"\ncmd = ${sleeper}\n${extra}`);

  beforeAll(async () => {
    await Promise.all([ensureTestImages(P), ensureTestImages(["podman"])]);
    fleet = await startTestFleet();
  }, 120_000);

  afterAll(async () => {
    await fleet?.stop(p);
  });

  test("an agent killed during its deploy: that row fails with the reason, its dependents are skipped, the others deploy; no hang", async () => {
    // slow (beta) would fail its gate only after 15 s: the agent is killed before.
    define(n("slow"), "beta", [], `\n[components.health]\ncmd = ["false"]\ninterval = "500ms"\ntimeout = "1s"\nretries = 30\n`);
    define(n("after-slow"), "alpha", [n("slow")]);
    define(n("free"), "alpha");
    const proc = Bun.spawn([...mcpArgv("source"), "deploy", "--all", "--json", "--config", fleet.alpha.cliConfig], { stdout: "pipe", stderr: "pipe" });
    await waitFor(async () => (await fleet.inspect("beta", `${n("slow")}-app`))?.state === "running", "slow's container on beta", 30_000);
    fleet.beta.signal("SIGKILL");
    const [stdout, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    expect(code).toBe(1);
    const by = Object.fromEntries((JSON.parse(stdout) as { services: { service: string; result: string; detail: string }[] }).services.map((s) => [s.service, s]));
    expect(by[n("slow")]!.result).toBe("failed");
    expect(by[n("slow")]!.detail).toMatch(/node beta/);
    expect(by[n("after-slow")]).toMatchObject({ result: "skipped", detail: `after ${n("slow")}, which failed` });
    expect(by[n("free")]!.result).toBe("ok");
    await fleet.beta.restart();
  }, 120_000);

  test("a node that is down: its services fail saying so, dependents on the other node are skipped, the rest deploy", async () => {
    define(n("slow"), "beta");
    define(n("on-beta"), "beta");
    define(n("needs-beta"), "alpha", [n("on-beta")]);
    await fleet.beta.stop();
    try {
      const r = await fleet.cli(["deploy", "--all"]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`^${n("on-beta")}\\s+beta\\s+failed\\s+\\S+\\s+node beta is unreachable: `, "m"));
      expect(r.stdout).toMatch(new RegExp(`^${n("needs-beta")}\\s+alpha\\s+skipped\\s+-\\s+after ${n("on-beta")}, which failed$`, "m"));
      expect(r.stdout).toMatch(new RegExp(`^${n("free")}\\s+alpha\\s+unchanged\\s`, "m"));
      expect(await fleet.inspect("alpha", `${n("needs-beta")}-app`)).toBeNull();
      // The dry run says which node did not answer, and still plans the rest.
      const dry = await fleet.cli(["deploy", "--all", "--dry-run"]);
      expect(dry.code).toBe(4);
      expect(dry.stdout).toMatch(new RegExp(`^\\d\\s+${n("on-beta")}\\s+beta\\s+-\\s+unknown\\s+node beta did not answer$`, "m"));
      expect(dry.stderr).toContain("node beta is unreachable");
      // Logs of two nodes: alpha's lines, beta's error, exit 4.
      const logs = await fleet.cli(["logs", n("free"), n("on-beta")]);
      expect(logs.code).toBe(4);
      expect(logs.stdout).toMatch(new RegExp(`^${n("free")}/app\\s+\\| up\\n$`));
      expect(logs.stderr).toContain(`node beta is unreachable`);
      expect(logs.stderr).toContain(`(logs of ${n("on-beta")})`);
      // Following: the node that is down is said at once, while alpha's log goes on being followed.
      const follow = Bun.spawn([...mcpArgv("source"), "logs", n("free"), n("on-beta"), "-f", "--config", fleet.alpha.cliConfig], { stdout: "pipe", stderr: "pipe" });
      let out = "";
      let err = "";
      void (async () => {
        for await (const c of follow.stdout) out += new TextDecoder().decode(c);
      })();
      void (async () => {
        for await (const c of follow.stderr) err += new TextDecoder().decode(c);
      })();
      try {
        await waitFor(() => err.includes("node beta is unreachable") && out.includes("| up"), "beta's error while alpha is followed", 20_000);
        expect(follow.exitCode).toBeNull();
      } finally {
        follow.kill("SIGINT");
        await follow.exited;
      }
    } finally {
      await fleet.beta.restart();
    }
  }, 120_000);
});
