// The declarative round trip on real podman: containers started by hand →
// mcp adopt → mcp service export → the container removed → mcp deploy from
// the exported file gives the same container; adoption by name; sync and
// its dry run; export that refuses to overwrite.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AGENT_USER, giveToAgent, P } from "../support/shape.ts";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { ensureTestImages, podmanAvailable, removeContainers, SLEEP_CMD, TEST_IMAGES, uniqueName } from "../support/image.ts";
import { freePort, tempDir, waitFor } from "../support/mcp.ts";
import { Database } from "bun:sqlite";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`e2e adopt suite SKIPPED: podman is not available (${podman.reason})`);

/** What a deploy must reproduce, from podman inspect; env without what podman adds to every container. */
async function shape(name: string) {
  const [c] = JSON.parse(await $`${P} container inspect ${name}`.text());
  const added = new Set(["container=podman", "TERM=xterm", `HOSTNAME=${c.Config.Hostname}`]);
  const ports = Object.entries((c.HostConfig.PortBindings ?? {}) as Record<string, { HostIp: string; HostPort: string }[]>)
    .flatMap(([p, bs]) => bs.map((b) => `${b.HostIp}:${b.HostPort}:${p}`)).sort();
  return {
    image: c.ImageName,
    network: Object.keys(c.NetworkSettings.Networks ?? {}).sort(),
    user: c.Config.User,
    restart: c.HostConfig.RestartPolicy?.Name ?? "",
    ports,
    volumes: (c.Mounts as { Source: string; Destination: string; RW: boolean }[]).map((m) => `${m.Source}:${m.Destination}:${m.RW ? "rw" : "ro"}`).sort(),
    cmd: c.Config.Cmd,
    env: (c.Config.Env as string[]).filter((e) => !added.has(e)).sort(),
  };
}

describe.skipIf(!podman.ok)("e2e: adopt, service export, deploy round trip (real podman)", () => {
  let agent: TestAgent;
  const svc = uniqueName("adp");
  const net = `${svc}-net`;
  let dir = "";

  beforeAll(async () => {
    await ensureTestImages(P);
    agent = await startTestAgent({ user: AGENT_USER });
    // The service's own directory: the node's policy lets a volume mount only that (SPEC §7.1).
    dir = join(agent.srvRoot, svc);
    await $`${P} network create ${net}`.quiet();
    mkdirSync(join(dir, "a"), { recursive: true });
    mkdirSync(join(dir, "b"));
    giveToAgent(dir);
    const [p1, p2] = [await freePort(), await freePort()];
    await $`${P} run -d --name ${svc}-api --network ${net} --user 1000:1000 --restart unless-stopped -p 127.0.0.1:${p1}:8080 -p 127.0.0.1:${p2}:8081 -v ${join(dir, "a")}:/data/a -v ${join(dir, "b")}:/data/b:ro -e GREETING=hello -e MODE=test ${TEST_IMAGES.v1} ${SLEEP_CMD}`.quiet();
    await $`${P} run -d --name ${svc}-web ${TEST_IMAGES.v2} ${SLEEP_CMD}`.quiet();
    await $`${P} stop -t 1 ${svc}-web`.quiet();
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    await removeContainers(svc, P);
    await $`${P} network rm -f ${net}`.nothrow().quiet();
  });

  test("adopt → export → remove → deploy: same image, network, user, restart, ports, volumes, command and env", async () => {
    const before = await shape(`${svc}-api`);
    const id = (await $`${P} inspect --format ${"{{.Id}}"} ${svc}-api`.text()).trim();
    const adopted = await agent.cli(["adopt", svc]);
    expect(adopted.code).toBe(0);
    expect(adopted.stdout).toMatch(new RegExp(`${svc}\\s+api\\s+local\\s+${svc}-api\\s+running\\s+running`));
    expect(adopted.stdout).toMatch(new RegExp(`${svc}\\s+web\\s+local\\s+${svc}-web\\s+stopped\\s+stopped`));
    // Untouched: same container, still running.
    expect((await $`${P} inspect --format ${"{{.Id}} {{.State.Status}}"} ${svc}-api`.text()).trim()).toBe(`${id} running`);
    // Idempotent.
    expect((await agent.cli(["adopt", svc])).stdout).toBe(adopted.stdout);

    const exported = await agent.cli(["service", "export", svc]);
    expect(exported.code).toBe(0);
    const file = join(agent.servicesDir, `${svc}.toml`);
    expect(exported.stderr).toBe(`wrote ${file}\n`);
    const text = readFileSync(file, "utf8");
    expect(text).toContain(`network = "${net}"`);
    // Only the env that differs from the image's (PATH comes from the image), in podman's order.
    expect(text).toMatch(/^env = \["(GREETING=hello", "MODE=test|MODE=test", "GREETING=hello)"\]$/m);
    expect((await agent.cli(["service", "show", svc])).stdout).toBe(text.split("\n").slice(1).join("\n"));

    await removeContainers(svc, P);
    const deployed = await agent.cli(["deploy", svc]);
    expect(deployed.code).toBe(0);
    expect(await shape(`${svc}-api`)).toEqual(before);
  }, 120_000);

  test("export over an existing file without --force exits 2 and leaves the file untouched", async () => {
    const file = join(agent.servicesDir, `${svc}.toml`);
    writeFileSync(file, readFileSync(file, "utf8") + "# my note\n");
    const bytes = readFileSync(file);
    const mtime = statSync(file).mtimeMs;
    const r = await agent.cli(["service", "export", svc]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: ${file} exists\nhint: overwrite it with --force, or write elsewhere with -o <file>\n`);
    expect(readFileSync(file)).toEqual(bytes);
    expect(statSync(file).mtimeMs).toBe(mtime);
    expect((await agent.cli(["service", "export", svc, "--force"])).code).toBe(0);
    expect(readFileSync(file, "utf8")).not.toContain("# my note");
  }, 60_000);
});

describe.skipIf(!podman.ok)("e2e: adoption by name, sync (real podman)", () => {
  let agent: TestAgent;
  const names = ["mc-proxy", "mcr-api", "mcr-web"];

  beforeAll(async () => {
    await ensureTestImages(P);
    for (const n of names) await $`${P} rm -f -t 0 ${n}`.nothrow().quiet();
    for (const n of names) await $`${P} run -d --name ${n} ${TEST_IMAGES.v1} ${SLEEP_CMD}`.quiet();
    agent = await startTestAgent({ user: AGENT_USER });
    // The operator's definitions name both services: the longer name owns mc-proxy.
    writeServiceDef(agent, "mc-proxy", `name = "mc-proxy"\nnode = "local"\n\n[[components]]\nname = "mc-proxy"\nimage = "${TEST_IMAGES.v1}"\ncmd = ${JSON.stringify(SLEEP_CMD)}\n`);
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    for (const n of names) await $`${P} rm -f -t 0 ${n}`.nothrow().quiet();
  });

  test("mc-proxy and mcr-api/mcr-web adopt as services mc-proxy and mcr; mc finds nothing", async () => {
    const mc = await agent.cli(["adopt", "mc"]);
    expect(mc.code).toBe(1);
    expect(mc.stderr).toMatch(/^error: no container on node local is labelled for service mc or named mc or mc-<component>\n/);
    expect((await agent.cli(["adopt", "mc-proxy"])).code).toBe(0);
    expect((await agent.cli(["adopt", "mcr"])).code).toBe(0);
    const list = JSON.parse((await agent.cli(["list", "--json"])).stdout);
    const got = list.services.filter((s: { name: string }) => ["mc-proxy", "mcr", "mc"].includes(s.name))
      .map((s: { name: string; components: { name: string }[] }) => [s.name, s.components.map((c) => c.name)]);
    expect(got).toEqual([["mc-proxy", ["mc-proxy"]], ["mcr", ["api", "web"]]]);
  }, 60_000);

  test("sync --dry-run changes nothing (the registry's tables identical, but for the audit record of the call); sync of an inactive service stops it and starts nothing else", async () => {
    // The registry's state: every table but the audit trail (which records the dry run's own call, as it must).
    const registryState = () => {
      const db = new Database(join(agent.dir, "state", "mcp.db"), { readonly: true });
      try {
        return ["services", "components", "deployments", "events"].map((t) => JSON.stringify(db.query(`SELECT * FROM ${t} ORDER BY rowid`).all()));
      } finally {
        db.close();
      }
    };
    // mcr (adopted, no definition) stays as it is; mc-proxy's definition becomes inactive; mcr-web is stopped by hand first.
    await $`${P} stop -t 1 mcr-web`.quiet();
    writeServiceDef(agent, "mc-proxy", readFileSync(join(agent.servicesDir, "mc-proxy.toml"), "utf8").replace('node = "local"', 'node = "local"\nactive = false'));
    // Let the monitor record mcr-web's stop (and its drift) before the state is taken: wait until it stops changing.
    let before = registryState();
    await waitFor(async () => {
      await Bun.sleep(700);
      const now = registryState();
      const same = JSON.stringify(now) === JSON.stringify(before);
      before = now;
      return same && before[3]!.includes("mcr-web") ? true : undefined;
    }, "the monitor to settle", 15_000);
    const dry = await agent.cli(["sync", "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/local\s+mc-proxy\s+-\s+active true → false/);
    expect(dry.stdout).toMatch(/local\s+mc-proxy\s+mc-proxy\s+stop mc-proxy \(the service is inactive\)/);
    expect(dry.stderr).toContain("dry run: nothing was changed");
    expect(registryState()).toEqual(before);
    expect((await $`${P} inspect --format ${"{{.State.Status}}"} mc-proxy`.text()).trim()).toBe("running");

    const r = await agent.cli(["sync"]);
    expect(r.code).toBe(0);
    const state = async (n: string) => (await $`${P} inspect --format ${"{{.State.Status}}"} ${n}`.text()).trim();
    expect(await state("mc-proxy")).toBe("exited");
    expect(await state("mcr-web")).toBe("exited");
    expect(await state("mcr-api")).toBe("running");
    const st = JSON.parse((await agent.cli(["status", "mc-proxy", "--json"])).stdout);
    expect(st.components[0]).toMatchObject({ desired: "stopped", observed: "stopped", drift: false });
  }, 60_000);
});
