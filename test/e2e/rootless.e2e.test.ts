// Issue 14, the production shape: the agent runs as the mcp user with
// rootless podman (as scripts/install.sh and the shipped unit run it), and a
// component runs as a non-root user (1000:1000) that must write its data.
// Before: the deploy failed (the data directory missing, or made by the
// RUNBOOK as mcp, which container uid 1000 cannot write), a snapshot failed
// with "internal error", a restore could not move the old directory aside
// and brought files back owned by container root.
import { $ } from "bun";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { ensureTestImages, removeContainers, TEST_IMAGES, uniqueName } from "../support/image.ts";
import { tempDir, waitFor } from "../support/mcp.ts";
import { MCP_USER, PODMAN_AS_MCP, rootlessReady } from "../support/rootless.ts";

const ready = await rootlessReady();
if (!ready.ok) console.warn(`e2e rootless suite SKIPPED: ${ready.reason}`);

// As uid 1000: write a file into /data at start, then append a line on every SIGUSR1-free second? Kept simple: write once, stay up.
const APP = ["sh", "-c", "id -u > /data/whoami; echo started >> /data/log; trap 'exit 0' TERM; sleep 3600 & wait"];

describe.skipIf(!ready.ok)("e2e: the production shape (agent as mcp, rootless podman, a non-root container)", () => {
  let agent: TestAgent;
  const svc = uniqueName("rl");
  let data = "";
  /** A container uid as the host sees it: a subordinate id of mcp. */
  const hostUid = (containerUid: number) => MCP_USER!.subuidStart + containerUid - 1;

  beforeAll(async () => {
    await ensureTestImages(PODMAN_AS_MCP);
    agent = await startTestAgent({ flavor: "binary", user: "mcp" });
    data = join(agent.srvRoot, svc, "data");
    writeServiceDef(agent, svc, `name = "${svc}"\nnode = "local"\n\n[[components]]\nname = "app"\nimage = "${TEST_IMAGES.v1}"\nuser = "1000:1000"\nvolumes = ["${data}:/data"]\ncmd = ${JSON.stringify(APP)}\n`);
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    await removeContainers(svc, PODMAN_AS_MCP);
    // What the container wrote is mcp's subordinate ids': removed inside its namespace.
    if (agent) await $`${PODMAN_AS_MCP} unshare rm -rf ${join(agent.srvRoot, svc)}`.nothrow().quiet();
  });

  test("the agent runs as mcp, its containers under mcp's rootless podman", async () => {
    const mine = (await $`${PODMAN_AS_MCP} info --format ${"{{.Host.Security.Rootless}}"}`.text()).trim();
    expect(mine).toBe("true");
    expect(statSync(agent.stateDir).uid).toBe(MCP_USER!.uid);
  });

  test("a deploy creates the missing data directory owned for the component's user, who writes it", async () => {
    expect(existsSync(data)).toBe(false);
    const r = await agent.cli(["deploy", svc]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    await waitFor(() => existsSync(join(agent.srvRoot, svc)) && statSync(data).uid === hostUid(1000), "the data directory");
    // The service's own directory stays the agent's; the volume's is container uid 1000's.
    expect(statSync(join(agent.srvRoot, svc)).uid).toBe(MCP_USER!.uid);
    expect({ uid: statSync(data).uid, gid: statSync(data).gid }).toEqual({ uid: hostUid(1000), gid: MCP_USER!.subuidStart + 999 });
    const whoami = await waitFor(async () => (await $`${PODMAN_AS_MCP} unshare cat ${join(data, "whoami")}`.nothrow().quiet().text()).trim(), "the container to write", 10_000);
    expect(whoami).toBe("1000");
    expect((await agent.cli(["ps"])).stdout).toMatch(new RegExp(`${svc}\\s+app\\s+local\\s+running`));
    expect((await agent.cli(["logs", svc])).code).toBe(0);
  }, 60_000);

  test("snapshot and restore keep the container's ownership both ways, atomically, with nothing left behind", async () => {
    const out = tempDir("mcp-rl-");
    const archive = join(out, "snap.tar.zst");
    const snap = await agent.cli(["snapshot", svc, "-o", archive]);
    expect(snap.stderr).toBe("");
    expect(snap.code).toBe(0);
    // In the archive, the owners are the container's own ids (portable), not the host's subordinate ids.
    const listed = await $`tar --zstd --numeric-owner -tvf ${archive}`.text();
    expect(listed).toMatch(/ 1000\/1000 .* \.\/data\/whoami\n/);

    // The data changes, the service stops, the snapshot comes back.
    await $`${PODMAN_AS_MCP} unshare sh -c ${`echo changed > ${join(data, "whoami")}`}`.quiet();
    expect((await agent.cli(["stop", svc])).code).toBe(0);
    const r = await agent.cli(["restore", svc, archive]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect((await $`${PODMAN_AS_MCP} unshare cat ${join(data, "whoami")}`.text()).trim()).toBe("1000");
    expect(statSync(data).uid).toBe(hostUid(1000));
    expect(statSync(join(agent.srvRoot, svc)).uid).toBe(MCP_USER!.uid);
    expect(readdirSync(agent.srvRoot).filter((n) => n.startsWith(".mcp-"))).toEqual([]);
    // The component writes its restored data again.
    expect((await agent.cli(["start", svc])).code).toBe(0);
    await waitFor(async () => (await $`${PODMAN_AS_MCP} unshare cat ${join(data, "log")}`.nothrow().quiet().text()).split("\n").filter(Boolean).length === 2, "a second start line", 10_000);
  }, 60_000);

  test("push and pull reach a directory the container's user owns (inside the user namespace); a pushed file is that user's", async () => {
    const local = join(tempDir("mcp-rl-"), "settings.json");
    writeFileSync(local, "{\"level\": 2}\n");
    const p = await agent.cli(["push", local, svc, "data/settings.json"]);
    expect(p.stderr).toBe("");
    expect(p.code).toBe(0);
    expect({ uid: statSync(join(data, "settings.json")).uid, gid: statSync(join(data, "settings.json")).gid }).toEqual({ uid: hostUid(1000), gid: MCP_USER!.subuidStart + 999 });
    const back = join(tempDir("mcp-rl-"), "whoami");
    const q = await agent.cli(["pull", svc, "data/whoami", back]);
    expect(q.stderr).toBe("");
    expect(q.code).toBe(0);
    expect(readFileSync(back, "utf8")).toBe("1000\n");
    // The container reads what was pushed.
    expect((await $`${PODMAN_AS_MCP} exec ${svc}-app cat /data/settings.json`.text())).toBe("{\"level\": 2}\n");
  }, 30_000);

  test("push and pull in the service's own directory", async () => {
    const local = join(tempDir("mcp-rl-"), "app.conf");
    writeFileSync(local, "level = 1\n");
    expect((await agent.cli(["push", local, svc, "app.conf"])).code).toBe(0);
    expect(statSync(join(agent.srvRoot, svc, "app.conf")).uid).toBe(MCP_USER!.uid);
    const back = join(tempDir("mcp-rl-"), "back.conf");
    expect((await agent.cli(["pull", svc, "app.conf", back])).code).toBe(0);
  }, 30_000);
});
