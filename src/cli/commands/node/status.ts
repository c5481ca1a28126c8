import { escapeControl } from "../../../lib/text.ts";
import { defineCommand } from "citty";
import { findNode } from "../../../config/index.ts";
import { askAllNodes, commonArgs, jsonArg, loadConfig } from "../../context.ts";
import type { CliIO } from "../../../lib/io.ts";
import { printJson } from "../../../lib/output.ts";
import { reportNodeFailures } from "../../report.ts";
import { statusJson, statusLines } from "./_status.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "status", description: "Each node's agent, podman, counts, disk, memory, CPU, uptime, certificate expiry and reclaimable image bytes" },
    args: {
      name: { type: "positional", description: "only this node", required: false },
      ...commonArgs,
      ...jsonArg,
    },
    async run({ args }) {
      let cfg = await loadConfig(io, args.config);
      if (args.name) cfg = { ...cfg, nodes: [findNode(cfg, args.name)] };
      const answers = await askAllNodes(cfg, (c) => c.nodeStatus());
      if (args.json) {
        printJson(io, {
          nodes: answers.map((a) => ({
            node: a.node, address: cfg.nodes.find((n) => n.name === a.node)!.address,
            ...(a.ok ? { reachable: true, ...statusJson(a.value) } : { reachable: false, error: a.error.message }),
          })),
        });
        return reportNodeFailures(io, answers);
      }
      const blocks = answers.map((a) => {
        const head = `${a.node} (${cfg.nodes.find((n) => n.name === a.node)!.address})`;
        const lines: [string, string][] = a.ok ? statusLines(a.value) : [["unreachable", a.error.message]];
        return [head, ...lines.map(([k, v]) => `  ${k.padEnd(12)}${v}`)].join("\n");
      });
      io.out(`${blocks.join("\n\n").split("\n").map(escapeControl).join("\n")}\n`);
      return reportNodeFailures(io, answers);
    },
  });
