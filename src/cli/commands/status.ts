import { escapeControl } from "../../lib/text.ts";
import { defineCommand } from "citty";
import { loadServiceDef } from "../../servicedef/index.ts";
import { findNode } from "../../config/index.ts";
import { askAllNodes, commonArgs, jsonArg, loadConfig } from "../context.ts";
import type { CliIO } from "../../lib/io.ts";
import { paintState, shownState, printJson, renderTable } from "../../lib/output.ts";
import { reportNodeFailures } from "../report.ts";

function time(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").slice(0, 19);
}

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "status", description: "Desired vs observed state, drift and recent events" },
    args: {
      service: { type: "positional", description: "only this service (asks its node)", required: false },
      ...commonArgs,
      ...jsonArg,
    },
    async run({ args }) {
      let cfg = await loadConfig(io, args.config);
      const service = args.service ?? "";
      if (service) {
        const { def } = await loadServiceDef(cfg.services.dir, service);
        cfg = { ...cfg, nodes: [findNode(cfg, def.node)] };
      }
      const answers = await askAllNodes(cfg, (c) => c.getServiceStatus({ service, eventLimit: 10 }));
      const comps = answers.flatMap((a) => (a.ok ? a.value.components.map((c) => ({ ...c, node: a.node })) : []));
      comps.sort((x, y) => x.service.localeCompare(y.service) || x.component.localeCompare(y.component));
      const events = answers.flatMap((a) => (a.ok ? a.value.events.map((e) => ({ ...e, node: a.node })) : [])).sort((x, y) => x.time - y.time);
      const drift = comps.filter((c) => c.drift);
      if (args.json) {
        printJson(io, {
          components: comps.map((c) => ({
            service: c.service, component: c.component, node: c.node, desired: c.desired, observed: c.observed, version: c.version, drift: c.drift,
            health: c.health ?? "", unverified: c.unverified ?? false,
            last_deployment: c.lastDeployment
              ? { outcome: c.lastDeployment.outcome, version: c.lastDeployment.version, started_at: new Date(c.lastDeployment.startedAt).toISOString(), message: c.lastDeployment.message }
              : null,
          })),
          events: events.map((e) => ({ time: new Date(e.time).toISOString(), node: e.node, service: e.service, component: e.component, kind: e.kind, message: e.message })),
          unreachable: answers.filter((a) => !a.ok).map((a) => ({ node: a.node, error: a.ok ? "" : a.error.message })),
        });
        return reportNodeFailures(io, answers);
      }
      io.out(renderTable(
        ["SERVICE", "COMPONENT", "DESIRED", "OBSERVED", "VERSION"],
        comps.map((c) => [c.service, c.component, c.desired, paintState(io, shownState(c)), c.version || "-"]),
        io.color,
      ));
      io.out("\n");
      if (drift.length === 0) io.out("Drift: none\n");
      else {
        io.out("Drift:\n");
        for (const c of drift) io.out(escapeControl(`  ${c.service}/${c.component} on ${c.node}: desired ${c.desired}, observed ${c.observed}`) + "\n");
      }
      const unhealthy = comps.filter((c) => c.observed === "running" && c.health === "unhealthy");
      if (unhealthy.length > 0) io.out("Unhealthy (running, but the health probe keeps failing):\n");
      for (const c of unhealthy) io.out(escapeControl(`  ${c.service}/${c.component} on ${c.node}`) + "\n");
      const unverified = comps.filter((c) => c.unverified);
      if (unverified.length > 0) io.out("Unverified (a deploy was cut short by an agent crash; the next deploy runs the health gate again):\n");
      for (const c of unverified) io.out(escapeControl(`  ${c.service}/${c.component} on ${c.node}: mcp deploy ${c.service}`) + "\n");
      io.out("\nRecent events:\n");
      if (events.length === 0) io.out("  none\n");
      for (const e of events) {
        io.out(escapeControl(`  ${time(e.time)}  ${e.node}  ${e.service}${e.component ? "/" + e.component : ""}  ${e.kind}  ${e.message}`) + "\n");
      }
      return reportNodeFailures(io, answers);
    },
  });
