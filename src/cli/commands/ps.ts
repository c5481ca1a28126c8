import { defineCommand } from "citty";
import { formatUptime } from "../../lib/duration.ts";
import { askAllNodes, commonArgs, jsonArg, loadConfig } from "../context.ts";
import type { CliIO } from "../../lib/io.ts";
import { paintState, printJson, renderTable, shownState } from "../../lib/output.ts";
import { reportNodeFailures } from "../report.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "ps", description: "What runs where: live state of every component on every node" },
    args: { ...commonArgs, ...jsonArg },
    async run({ args }) {
      const cfg = await loadConfig(io, args.config);
      const answers = await askAllNodes(cfg, (c) => c.liveCheck());
      const rows = answers.flatMap((a) =>
        a.ok ? a.value.components.map((c) => ({ ...c, node: a.node, uptimeMs: c.startedAt > 0 ? Math.max(0, a.value.now - c.startedAt) : 0 })) : [],
      );
      rows.sort((x, y) => x.service.localeCompare(y.service) || x.component.localeCompare(y.component) || x.node.localeCompare(y.node));
      if (args.json) {
        printJson(io, {
          components: rows.map((r) => ({
            service: r.service, component: r.component, node: r.node, state: r.state, desired: r.desired, version: r.version,
            health: r.health ?? "", unverified: r.unverified ?? false,
            image: r.image, container: r.containerName, started_at: r.startedAt ? new Date(r.startedAt).toISOString() : null,
            uptime_seconds: r.startedAt ? Math.floor(r.uptimeMs / 1000) : null,
          })),
          unreachable: answers.filter((a) => !a.ok).map((a) => ({ node: a.node, error: a.ok ? "" : a.error.message })),
        });
      } else {
        io.out(renderTable(
          ["SERVICE", "COMPONENT", "NODE", "STATE", "VERSION", "UPTIME"],
          rows.map((r) => [r.service, r.component, r.node, paintState(io, shownState({ observed: r.state, health: r.health, unverified: r.unverified })), r.version || "-", r.startedAt ? formatUptime(r.uptimeMs) : "-"]),
          io.color,
        ));
      }
      return reportNodeFailures(io, answers);
    },
  });
