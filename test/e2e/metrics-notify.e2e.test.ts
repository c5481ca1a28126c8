// [metrics] and [[notify]] on a real agent as mcp with rootless podman (issue 17, acceptance 4 and 5):
// /metrics refused without a token or with a bad one, a viewer's scrape clean
// for Debian's promtool, figures that change when a container dies; a webhook
// and an ntfy-shaped receiver on loopback get one POST per alert (drift, then
// recovered), while a third channel that is down delays neither them nor the
// monitor's next alert, and is logged once without its URL's path.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { readFileSync } from "node:fs";
import { AGENT_USER, P } from "../support/shape.ts";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { ensureTestImages, podmanAvailable, removeContainers, SLEEP_CMD, TEST_IMAGES, uniqueName } from "../support/image.ts";
import { freePort, mcpArgv, runMcp, waitFor } from "../support/mcp.ts";
import { promtoolAvailable, promtoolCheck } from "../support/promtool.ts";
import { asMcp } from "../support/rootless.ts";
import { recordSecret } from "../support/scan.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`e2e metrics/notify suite SKIPPED: podman is not available (${podman.reason})`);
const promtool = promtoolAvailable();

interface Hit {
  headers: Record<string, string>;
  body: string;
}

function receiver() {
  const got: Hit[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1", port: 0,
    async fetch(req) {
      got.push({ headers: Object.fromEntries(req.headers), body: await req.text() });
      return new Response("ok");
    },
  });
  return { url: `http://127.0.0.1:${server.port}/hook`, got, stop: () => server.stop(true) };
}

/** A token made on the node as the agent's user (the registry is the agent's). */
async function makeToken(agent: TestAgent, name: string, role: string): Promise<string> {
  const argv = [...mcpArgv("source"), "agent", "token", "create", "--name", name, "--role", role, "--config", agent.agentConfig];
  let out: string;
  if (AGENT_USER === "mcp") {
    const p = Bun.spawn(asMcp(argv), { stdout: "pipe", stderr: "pipe", cwd: "/" });
    out = await new Response(p.stdout).text();
    if ((await p.exited) !== 0) throw new Error(`token create failed: ${await new Response(p.stderr).text()}`);
  } else {
    const r = await runMcp("source", argv.slice(mcpArgv("source").length));
    if (r.code !== 0) throw new Error(r.stderr);
    out = r.stdout;
  }
  const token = out.trimEnd().split("\n").at(-1)!;
  recordSecret(token);
  return token;
}

describe.skipIf(!podman.ok || !promtool)("e2e: /metrics and [[notify]] (real podman, rootless agent)", () => {
  let agent: TestAgent;
  let viewer: string;
  let metricsPort: number;
  const svc = uniqueName("mtr");
  const webhook = receiver();
  const ntfy = receiver();
  const deadPath = `tk_dead_${crypto.randomUUID().slice(0, 8)}`;
  const scrape = (token: string | null) =>
    fetch(`https://127.0.0.1:${metricsPort}/metrics`, {
      headers: token === null ? {} : { authorization: `Bearer ${token}` }, tls: { ca: readFileSync(agent.caPath, "utf8") },
    } as RequestInit);
  const sample = async (line: RegExp) => {
    const text = await (await scrape(viewer)).text();
    const m = text.split("\n").find((l) => line.test(l));
    return m === undefined ? undefined : Number(m.slice(m.lastIndexOf(" ") + 1));
  };
  const alerts = (r: { got: Hit[] }, kind: string) => r.got.filter((h) => h.body.includes(svc) && (h.headers["content-type"] === "application/json" ? JSON.parse(h.body).kind === kind : h.headers.tags?.includes(kind)));

  beforeAll(async () => {
    await ensureTestImages(P);
    metricsPort = await freePort();
    const dead = await freePort();
    agent = await startTestAgent({
      user: AGENT_USER,
      appendToml: [
        `[metrics]`, `listen = "127.0.0.1:${metricsPort}"`, ``,
        `[[notify]]`, `url = "http://127.0.0.1:${dead}/${deadPath}"`, `timeout = "1s"`, ``,
        `[[notify]]`, `url = "${webhook.url}"`, ``,
        `[[notify]]`, `url = "${ntfy.url}"`, `kind = "ntfy"`, ``,
      ].join("\n"),
    });
    viewer = await makeToken(agent, "scraper", "viewer");
    writeServiceDef(agent, svc, `name = "${svc}"\nnode = "local"\n\n[[components]]\nname = "api"\nimage = "${TEST_IMAGES.v1}"\ncmd = ${JSON.stringify(SLEEP_CMD)}\n`);
    const d = await agent.cli(["deploy", svc]);
    if (d.code !== 0) throw new Error(d.stdout + d.stderr);
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    await removeContainers(svc, P);
    webhook.stop();
    ntfy.stop();
  });

  test("refused without a token and with a wrong one (401); a viewer's scrape is promtool-clean", async () => {
    for (const t of [null, "wrong-token", `${viewer}0`]) {
      const r = await scrape(t);
      expect(r.status).toBe(401);
      expect(await r.text()).not.toContain("mcp_component_state");
    }
    const ok = await scrape(viewer);
    expect(ok.status).toBe(200);
    const text = await ok.text();
    expect(await promtoolCheck(text)).toEqual({ code: 0, output: "" });
    expect(text).toContain(`mcp_component_state{service="${svc}",component="api",state="running"} 1`);
    expect(text).toMatch(/mcp_podman_call_duration_seconds_count\{verb="run",outcome="ok"\} \d+/);
    expect(text).toContain(`mcp_deployments_total{service="${svc}",component="api",outcome="ok"} 1`);
    // The refusals are in the audit trail under the endpoint's name.
    const audit = await agent.cli(["audit", "--json"]);
    expect(JSON.parse(audit.stdout).records.some((r: { method: string; outcome: string }) => r.method === "GET /metrics" && r.outcome === "UNAUTHENTICATED")).toBe(true);
  }, 60_000);

  test("a container dies: the figures change, both live channels get one drift alert, the dead one holds nobody up", async () => {
    const state = (s: string) => new RegExp(`^mcp_component_state\\{service="${svc}",component="api",state="${s}"\\} `);
    expect(await sample(state("running"))).toBe(1);
    await $`${P} kill ${svc}-api`.quiet();
    await waitFor(async () => (await sample(state("exited"))) === 1, "metrics to show the dead container", 30_000);
    expect(await sample(state("running"))).toBe(0);
    await waitFor(async () => (await sample(new RegExp(`^mcp_component_exits_total\\{service="${svc}",component="api"\\} `))) === 1, "the exit counted");
    await waitFor(async () => (await sample(new RegExp(`^mcp_incidents_total\\{service="${svc}",component="api",kind="drift"\\} `))) === 1, "the incident counted");
    await waitFor(async () => alerts(webhook, "drift").length === 1 && alerts(ntfy, "drift").length === 1, "both live channels' drift alert", 30_000);
    const body = JSON.parse(alerts(webhook, "drift")[0]!.body);
    expect(Object.keys(body).sort()).toEqual(["component", "desired", "kind", "message", "node", "observed", "previous", "service", "time"]);
    expect(body).toMatchObject({ kind: "drift", node: "local", service: svc, component: "api", desired: "running", observed: "exited" });
    const n = alerts(ntfy, "drift")[0]!;
    expect(n.headers.title).toBe(`mcp drift: ${svc}/api on local`);
    expect(n.headers.priority).toBe("high");
    expect(n.headers.tags).toBe("warning,drift,mcp");
    expect(n.body).toContain(`${svc}/api on local drifted`);

    // The monitor's next alert comes through while the dead channel is still retrying the first.
    await $`${P} start ${svc}-api`.quiet();
    await waitFor(async () => alerts(webhook, "recovered").length === 1 && alerts(ntfy, "recovered").length === 1, "both live channels' recovered alert", 30_000);
    expect(webhook.got.filter((h) => h.body.includes(svc)).map((h) => JSON.parse(h.body).kind)).toEqual(["drift", "recovered"]);
    const text = await (await scrape(viewer)).text();
    const dead = (name: string) => Number(text.split("\n").find((l) => l.startsWith(`${name}{channel="notify[0] webhook`))?.split(" ").at(-1));
    expect(dead("mcp_notify_sent_total")).toBe(0);
    expect(dead("mcp_notify_errors_total")).toBeGreaterThan(0);
    // Logged once for its incident, by host only.
    const logs = agent.logs();
    expect(logs.match(/notify channel failing/g)?.length).toBe(1);
    expect(logs).not.toContain(deadPath);
  }, 90_000);
});
