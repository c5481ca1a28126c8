import { escapeControl } from "../../lib/text.ts";
import { defineCommand } from "citty";
import { McpError } from "../../lib/errors.ts";
import type { EventRecord } from "../../model/index.ts";
import { askAllNodes, commonArgs, jsonArg, loadConfig } from "../context.ts";
import type { CliIO } from "../../lib/io.ts";
import { reportNodeFailures } from "../report.ts";

type NodeEvent = EventRecord & { node: string };

function line(e: NodeEvent, json: boolean): string {
  if (json) {
    return JSON.stringify({ time: new Date(e.time).toISOString(), node: e.node, service: e.service, component: e.component, kind: e.kind, message: e.message }) + "\n";
  }
  const time = new Date(e.time).toISOString().replace("T", " ").slice(0, 19);
  const what = e.service ? `${e.service}${e.component ? "/" + e.component : ""}` : "-";
  // Messages carry a container's last log lines and podman's words: printed with control characters escaped.
  return `${time}  ${e.node}  ${escapeControl(what)}  ${escapeControl(e.kind)}  ${escapeControl(e.message)}\n`;
}

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "events", description: "State changes, deploys and alerts of every node (-f: as they happen)" },
    args: {
      follow: { type: "boolean", alias: "f", description: "keep streaming new events (Ctrl-C to stop)" },
      lines: { type: "string", alias: "n", description: "how many recent events per node first (default 20)", valueHint: "N" },
      ...commonArgs,
      ...jsonArg,
    },
    async run({ args }) {
      const backlog = args.lines === undefined ? 20 : Number(args.lines);
      if (!Number.isInteger(backlog) || backlog < 0) throw new McpError("invalid_argument", `-n: "${args.lines}" is not a whole number`, "for example: mcp events -n 50");
      const cfg = await loadConfig(io, args.config);
      const json = !!args.json;
      if (!args.follow) {
        const answers = await askAllNodes(cfg, async (c) => {
          const got: EventRecord[] = [];
          await c.watchEvents({ backlog, follow: false }, (e) => got.push(e));
          return got;
        });
        const all = answers.flatMap((a) => (a.ok ? a.value.map((e) => ({ ...e, node: a.node })) : [])).sort((x, y) => x.time - y.time);
        for (const e of all) io.out(line(e, json));
        return reportNodeFailures(io, answers);
      }
      // Follow: each node's backlog, then its events as they come; a node that fails is reported, the others go on.
      const stop = new AbortController();
      const answers = await askAllNodes(cfg, (c) => c.watchEvents({ backlog, follow: true }, (e) => io.out(line({ ...e, node: c.node }, json)), stop.signal));
      return reportNodeFailures(io, answers);
    },
  });
