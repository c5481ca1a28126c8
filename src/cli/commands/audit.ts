import { defineCommand } from "citty";
import { findNode } from "../../config/index.ts";
import { parseDuration } from "../../lib/duration.ts";
import { McpError } from "../../lib/errors.ts";
import { askAllNodes, commonArgs, jsonArg, loadConfig } from "../context.ts";
import type { CliIO } from "../../lib/io.ts";
import { paintState, printJson, renderTable } from "../../lib/output.ts";
import { reportNodeFailures } from "../report.ts";
import { escapeControl } from "../../lib/text.ts";

const iso = (ms: number) => new Date(ms).toISOString().replace("T", " ").slice(0, 19);

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "audit", description: "Who called what on each node, from where, and how it ended (admin tokens)" },
    args: {
      since: { type: "string", description: "only this recent (e.g. 1h, 7d; default 24h)", valueHint: "duration" },
      lines: { type: "string", alias: "n", description: "at most this many per node, the newest (default 200)", valueHint: "N" },
      node: { type: "string", description: "only this node", valueHint: "name" },
      ...commonArgs,
      ...jsonArg,
    },
    async run({ args }) {
      const sinceMs = parseDuration(args.since ?? "24h", "--since");
      const limit = args.lines === undefined ? 200 : Number(args.lines);
      if (!Number.isInteger(limit) || limit < 1) throw new McpError("invalid_argument", `-n: "${args.lines}" is not a whole number ≥ 1`, "for example: mcp audit -n 50");
      let cfg = await loadConfig(io, args.config);
      if (args.node) cfg = { ...cfg, nodes: [findNode(cfg, args.node)] };
      const since = Date.now() - sinceMs;
      const answers = await askAllNodes(cfg, (c) => c.listAudit({ since, limit }));
      const rows = answers.flatMap((a) => (a.ok ? a.value.records.map((r) => ({ ...r, node: a.node })) : [])).sort((x, y) => x.time - y.time);
      if (args.json) {
        printJson(io, {
          records: rows.map((r) => ({ time: new Date(r.time).toISOString(), node: r.node, method: r.method, identity: r.identity, peer: r.peer, outcome: r.outcome, duration_ms: r.durationMs, detail: r.detail ?? "" })),
          unreachable: answers.filter((a) => !a.ok).map((a) => ({ node: a.node, error: a.ok ? "" : a.error.message })),
        });
      } else {
        io.out(renderTable(
          ["TIME", "NODE", "METHOD", "IDENTITY", "PEER", "OUTCOME", "MS", "DETAIL"],
          rows.map((r) => [iso(r.time), r.node, r.method, r.identity, r.peer, r.outcome === "OK" ? paintState(io, "ok") : paintState(io, "failed").replace("failed", r.outcome), String(r.durationMs), escapeControl(r.detail ?? "")]),
          io.color,
        ));
      }
      return reportNodeFailures(io, answers);
    },
  });
