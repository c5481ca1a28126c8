// Issue 17 (points 1 and 2) with two real agents on loopback — alpha as the
// mcp user with rootless podman, beta as root — and the real CLI:
// `deploy --all` follows `after` across nodes (container times prove it),
// skips the dependents of a service whose health gate fails, deploys nothing
// inactive; `--dry-run` changes nothing; `mcp logs a b` merges two services
// of two nodes by time, and `-f` follows both.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { startTestFleet, type TestFleet } from "../support/fleet.ts";
import { ensureTestImages, podmanAvailable, TEST_IMAGES } from "../support/image.ts";
import { mcpArgv, waitFor } from "../support/mcp.ts";
import { P } from "../support/shape.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`e2e fleet suite SKIPPED: podman is not available (${podman.reason})`);

const sleeper = `["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`;
/** Healthy only 2 s after it started: whatever comes after it cannot have been created sooner. */
const slowReady = `["sh", "-c", "trap 'exit 0' TERM; sleep 2; touch /dev/shm/ready; sleep 3600 & wait"]`;
/** Prints `<tag> <host uptime>` every 0.3 s: /proc/uptime is the one clock all containers of the host share. */
const ticker = (tag: string) => `["sh", "-c", "trap 'exit 0' TERM; i=0; while true; do echo ${tag}-$i $(cut -d' ' -f1 /proc/uptime); i=$((i+1)); sleep 0.3; done"]`;

function def(name: string, node: string, o: { after?: string[]; active?: boolean; cmd?: string; health?: string } = {}): string {
  return [
    `name = "${name}"`, `node = "${node}"`,
    ...(o.active === false ? ["active = false"] : []),
    ...(o.after ? [`after = ${JSON.stringify(o.after)}`] : []),
    "", "[[components]]", 'name = "app"', `image = "${TEST_IMAGES.v1}"`, 'user = "1000:1000"', `cmd = ${o.cmd ?? sleeper}`,
    ...(o.health ? ["", "[components.health]", o.health] : []), "",
  ].join("\n");
}

describe.skipIf(!podman.ok)("e2e: deploy --all and merged logs over two agents", () => {
  let fleet: TestFleet;
  const p = `fl${crypto.randomUUID().slice(0, 6)}`;
  const n = (s: string) => `${p}-${s}`;

  beforeAll(async () => {
    await Promise.all([ensureTestImages(P), ensureTestImages(["podman"])]);
    fleet = await startTestFleet();
    // db (alpha) ← api (beta) ← web (alpha); bad (beta, its gate fails) ← dep (alpha) ← dep2 (beta); off (inactive).
    fleet.define(n("db"), def(n("db"), "alpha", { cmd: slowReady, health: 'cmd = ["test", "-f", "/dev/shm/ready"]\ninterval = "300ms"\ntimeout = "2s"\nretries = 30' }));
    fleet.define(n("api"), def(n("api"), "beta", { after: [n("db")] }));
    fleet.define(n("web"), def(n("web"), "alpha", { after: [n("api")] }));
    fleet.define(n("bad"), def(n("bad"), "beta", { health: 'cmd = ["false"]\ninterval = "200ms"\ntimeout = "1s"\nretries = 2' }));
    fleet.define(n("dep"), def(n("dep"), "alpha", { after: [n("bad")] }));
    fleet.define(n("dep2"), def(n("dep2"), "beta", { after: [n("dep")] }));
    fleet.define(n("off"), def(n("off"), "alpha", { active: false, after: [n("db")] }));
  }, 180_000);

  afterAll(async () => {
    await fleet?.stop(p);
  });

  test("after is followed across nodes; a failing gate skips its dependents, named; nothing inactive runs; exit 1", async () => {
    const r = await fleet.cli(["deploy", "--all", "--json"]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { services: { service: string; node: string; result: string; detail: string; step: number }[]; inactive: string[] };
    const by = Object.fromEntries(out.services.map((s) => [s.service, s]));
    expect(by[n("db")]).toMatchObject({ node: "alpha", result: "ok", step: 1 });
    expect(by[n("api")]).toMatchObject({ node: "beta", result: "ok", step: 2 });
    expect(by[n("web")]).toMatchObject({ node: "alpha", result: "ok", step: 3 });
    expect(["failed", "rolled back"]).toContain(by[n("bad")]!.result);
    expect(by[n("dep")]).toMatchObject({ result: "skipped", detail: `after ${n("bad")}, which failed` });
    expect(by[n("dep2")]).toMatchObject({ result: "skipped", detail: `after ${n("dep")}, skipped because ${n("bad")} failed` });
    expect(out.inactive).toEqual([n("off")]);

    // Creation times prove the order: api (beta) was created after db (alpha) passed its gate, ≥ 2 s after db started; web after api.
    const db = (await fleet.inspect("alpha", `${n("db")}-app`))!;
    const api = (await fleet.inspect("beta", `${n("api")}-app`))!;
    const web = (await fleet.inspect("alpha", `${n("web")}-app`))!;
    expect(api.created).toBeGreaterThanOrEqual(db.started + 2000);
    expect(web.created).toBeGreaterThan(api.created);
    for (const [node, s] of [["alpha", "dep"], ["beta", "dep2"], ["alpha", "off"]] as const) expect(await fleet.inspect(node, `${n(s)}-app`)).toBeNull();

    // The table an operator reads: every service, its node, result and time; the skipped named with why.
    const t = await fleet.cli(["deploy", "--all"]);
    expect(t.code).toBe(1);
    expect(t.stdout).toMatch(/^SERVICE\s+NODE\s+RESULT\s+TIME\s+DETAIL\n/);
    // Up to date in its node's registry and live view: not even sent.
    expect(t.stdout).toMatch(new RegExp(`^${n("db")}\\s+alpha\\s+unchanged\\s+-\\s+up to date on its node \\(not sent\\)$`, "m"));
    // The bad one is sent again (its node shows it stopped) and fails again.
    expect(t.stdout).toMatch(new RegExp(`^${n("bad")}\\s+beta\\s+(failed|rolled back)\\s+\\d`, "m"));
    expect(t.stdout).toMatch(new RegExp(`^${n("dep2")}\\s+beta\\s+skipped\\s+-\\s+after ${n("dep")}, skipped because ${n("bad")} failed$`, "m"));
    expect(t.stderr).toContain(`inactive, not deployed: ${n("off")}`);
    // --check-images sends them all: each node compares the image itself, and still changes nothing.
    const checked = JSON.parse((await fleet.cli(["deploy", "--all", "--check-images", "--json"])).stdout) as { services: { service: string; result: string; sent: boolean }[] };
    expect(checked.services.find((s) => s.service === n("api"))).toMatchObject({ result: "unchanged", sent: true });
    // Unchanged: the containers are the same ones.
    expect((await fleet.inspect("beta", `${n("api")}-app`))!.id).toBe(api.id);
  }, 180_000);

  test("--dry-run shows the plan and what each deploy would change, and changes nothing (registries and containers identical)", async () => {
    const snapshot = async () => {
      const list = await fleet.cli(["list", "--json"]);
      const ids = await Promise.all((["alpha", "beta"] as const).map(async (node) =>
        (JSON.parse(await $`${fleet.podman[node]} ps -a --filter ${`name=^${p}-`} --format json`.quiet().text()) as { Names: string[]; Id: string; State: string }[])
          .map((c) => `${c.Names.join(",")} ${c.Id} ${c.State}`).sort().join("\n")));
      return `${list.stdout}\n${ids.join("\n")}`;
    };
    fleet.define(n("web"), def(n("web"), "alpha", { after: [n("api")] }).replace(TEST_IMAGES.v1, TEST_IMAGES.v2));
    await $`${fleet.podman.beta} stop -t 0 ${`${n("api")}-app`}`.quiet();
    await waitFor(async () => (await fleet.cli(["ps"])).stdout.match(new RegExp(`^${n("api")}\\s+app\\s+beta\\s+exited`, "m")), "beta to see api exited", 15_000);
    const before = await snapshot();
    const r = await fleet.cli(["deploy", "--all", "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^STEP\s+SERVICE\s+NODE\s+AFTER\s+CHANGE\s+DETAIL\n/);
    expect(r.stdout).toMatch(new RegExp(`^1\\s+${n("db")}\\s+alpha\\s+-\\s+none\\s+up to date$`, "m"));
    expect(r.stdout).toMatch(new RegExp(`^2\\s+${n("api")}\\s+beta\\s+${n("db")}\\s+start\\s+app: exited$`, "m"));
    expect(r.stdout).toMatch(new RegExp(`^3\\s+${n("web")}\\s+alpha\\s+${n("api")}\\s+update\\s+app: image$`, "m"));
    expect(r.stdout).toContain(`${TEST_IMAGES.v1} → ${TEST_IMAGES.v2}`);
    expect(r.stderr).toContain("dry run: nothing was changed");
    const json = JSON.parse((await fleet.cli(["deploy", "--all", "--dry-run", "--json"])).stdout) as { dry_run: boolean; services: { service: string; change: string }[] };
    expect(json.dry_run).toBe(true);
    expect(json.services.find((s) => s.service === n("web"))?.change).toBe("update");
    expect(await snapshot()).toBe(before);
  }, 90_000);

  test("logs of two services on two nodes, merged by time and prefixed; -f follows both", async () => {
    const [a, b] = [n("tick-a"), n("tick-b")];
    fleet.define(a, def(a, "alpha", { cmd: ticker("A") }));
    fleet.define(b, def(b, "beta", { cmd: ticker("B") }));
    for (const s of [a, b]) {
      const d = await fleet.cli(["deploy", s]);
      if (d.code !== 0) throw new Error(d.stdout + d.stderr);
    }
    const lines = (out: string) => out.trimEnd().split("\n").map((l) => /^(\S+)\s+\| ([AB])-(\d+) ([\d.]+)$/.exec(l)).filter((m) => m !== null);
    await waitFor(async () => lines((await fleet.cli(["logs", a, b, "-n", "0"])).stdout).filter((m) => m[2] === "B").length >= 6, "a few ticks of both", 30_000);
    const r = await fleet.cli(["logs", a, b, "-n", "0"]);
    expect(r.code).toBe(0);
    const got = lines(r.stdout);
    expect(got.length).toBe(r.stdout.trimEnd().split("\n").length); // every line prefixed
    for (const m of got) expect(m[1]).toBe(m[2] === "A" ? `${a}/app` : `${b}/app`);
    // In the order they were written (the host's uptime each line carries; 30 ms of slack for conmon's own stamp), and interleaved.
    const ups = got.map((m) => Number(m[4]));
    for (let i = 1; i < ups.length; i++) expect(ups[i]! + 0.03).toBeGreaterThanOrEqual(ups[i - 1]!);
    const switches = got.filter((m, i) => i > 0 && m[2] !== got[i - 1]![2]).length;
    expect(switches).toBeGreaterThanOrEqual(4);
    // A service named whole covers its component named alone; a target named twice counts once.
    const dup = await fleet.cli(["logs", a, `${a}/app`, b, b, "-n", "3"]);
    expect(dup.code).toBe(0);
    expect(lines(dup.stdout).filter((m) => m[2] === "A")).toHaveLength(3);
    expect(lines(dup.stdout).filter((m) => m[2] === "B")).toHaveLength(3);
    // --since keeps only later lines.
    const since = await fleet.cli(["logs", a, b, "--since", "1s"]);
    expect(lines(since.stdout).length).toBeLessThan(got.length);

    // -f: lines written after the start arrive from both, prefixed, in order.
    const start = Number((await Bun.file("/proc/uptime").text()).split(" ")[0]);
    const proc = Bun.spawn([...mcpArgv("source"), "logs", a, b, "-n", "1", "-f", "--config", fleet.alpha.cliConfig], { stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
    let out = "";
    void (async () => {
      for await (const chunk of proc.stdout) out += new TextDecoder().decode(chunk);
    })();
    try {
      await waitFor(() => ["A", "B"].every((t) => lines(out).filter((m) => m[2] === t && Number(m[4]) > start + 0.5).length >= 3), "new lines of both", 30_000);
      const followed = lines(out);
      const fresh = followed.filter((m) => Number(m[4]) > start + 0.5);
      for (const m of fresh) expect(m[1]).toBe(m[2] === "A" ? `${a}/app` : `${b}/app`);
      const fu = fresh.map((m) => Number(m[4]));
      for (let i = 1; i < fu.length; i++) expect(fu[i]! + 0.03).toBeGreaterThanOrEqual(fu[i - 1]!);
    } finally {
      proc.kill("SIGINT");
      await proc.exited;
    }
  }, 120_000);
});
