// SPEC §7.7 on real podman: the agent starts after its containers were
// stopped (a reboot stops rootless containers; here `podman stop` and one
// `podman rm` stand in for it, the real reboot is test/ops/reboot.e2e.test.ts).
// on_boot = "start" (the default) starts them again, each start an event;
// the drift found at start is alerted once per component, then recovered.
// on_boot = "alert" only alerts.
import { $ } from "bun";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { ensureTestImages, podmanAvailable, removeContainers, SLEEP_CMD, TEST_IMAGES, uniqueName } from "../support/image.ts";
import { waitFor } from "../support/mcp.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`e2e boot suite SKIPPED: podman is not available (${podman.reason})`);

// One line per alert: kind, component, and the state before (a drift's: running; a recovered's: the bad state).
const ALERT = JSON.stringify(["sh", "-c", "echo \"$MCP_ALERT_KIND $MCP_SERVICE/$MCP_COMPONENT $MCP_PREVIOUS\" >> \"$BOOT_ALERTS\""]);

for (const mode of ["start", "alert"] as const) {
  describe.skipIf(!podman.ok)(`e2e: the agent starts after a reboot (on_boot = "${mode}")`, () => {
    let agent: TestAgent;
    let alertsFile = "";
    const svc = uniqueName(`boot${mode[0]}`);
    const alerts = () => (existsSync(alertsFile) ? readFileSync(alertsFile, "utf8").trim().split("\n").filter(Boolean) : []);

    beforeAll(async () => {
      await ensureTestImages();
      agent = await startTestAgent({ settings: { monitor: { on_boot: `"${mode}"`, alert_command: ALERT } } });
      alertsFile = join(agent.dir, "alerts.log");
      process.env.BOOT_ALERTS = alertsFile;
      await agent.restart(); // the alert command's environment: the agent passes its own through
      writeServiceDef(agent, svc, `name = "${svc}"\nnode = "local"\n\n[[components]]\nname = "api"\nimage = "${TEST_IMAGES.v1}"\ncmd = ${JSON.stringify(SLEEP_CMD)}\n\n[[components]]\nname = "web"\nimage = "${TEST_IMAGES.v2}"\ncmd = ${JSON.stringify(SLEEP_CMD)}\n[components.health]\ncmd = ["true"]\ninterval = "100ms"\n`);
      const d = await agent.cli(["deploy", svc]);
      if (d.code !== 0) throw new Error(`deploy failed: ${d.stdout}${d.stderr}`);
    }, 120_000);

    afterAll(async () => {
      await agent?.stop();
      await removeContainers(svc);
    });

    test(mode === "start" ? "stopped (and a removed) container are started again; one drift and one recovered alert each; no drift left" : "they stay stopped; one drift alert each; status shows the drift", async () => {
      await agent.stop();
      await $`podman stop -t 1 ${svc}-api ${svc}-web`.quiet();
      if (mode === "start") await $`podman rm ${svc}-web`.quiet(); // recreated from its recorded spec
      await agent.restart();
      const status = async () => JSON.parse((await agent.cli(["status", svc, "--json"])).stdout) as { components: { component: string; observed: string; drift: boolean }[]; events: { kind: string; component: string }[] };
      if (mode === "start") {
        await waitFor(async () => (await status()).components.every((c) => c.observed === "running" && !c.drift), "both components running again", 30_000);
        await waitFor(() => alerts().filter((a) => a.startsWith("recovered")).length === 2, "the two recovered alerts", 15_000);
        expect(alerts().sort()).toEqual([`drift ${svc}/api running`, `drift ${svc}/web running`, `recovered ${svc}/api exited`, `recovered ${svc}/web removed`].sort());
        const events = (await agent.cli(["events", "-n", "100", "--json"])).stdout.trim().split("\n").map((l) => JSON.parse(l) as { kind: string; service: string; component: string; message: string });
        expect(events.filter((e) => e.service === svc && e.kind === "start").map((e) => e.component).sort()).toEqual(["api", "web"]);
        expect((await agent.cli(["ps"])).stdout).toMatch(new RegExp(`${svc}\\s+web\\s+local\\s+running`));
      } else {
        await waitFor(() => alerts().length === 2, "two drift alerts", 15_000);
        const st = await status();
        expect(st.components.map((c) => [c.component, c.observed, c.drift])).toEqual([["api", "exited", true], ["web", "exited", true]]);
        expect(alerts().sort()).toEqual([`drift ${svc}/api running`, `drift ${svc}/web running`]);
      }
      // A plain restart of the agent changes nothing and alerts nothing again.
      const count = alerts().length;
      await agent.restart();
      expect((await agent.cli(["status", svc])).code).toBe(0);
      expect(alerts()).toHaveLength(count);
    }, 90_000);
  });
}
