import { defineCommand } from "citty";
import { McpError } from "../../lib/errors.ts";
import { commonArgs, loadConfig } from "../context.ts";
import type { CliIO } from "../../lib/io.ts";
import { parseSince, showLogs } from "../fleet/logs.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "logs", description: "Container logs of one or more services (or components), merged by time; -f follows them (Ctrl-C to stop)" },
    args: {
      target: { type: "positional", description: "<service>[/<component>] … (several: merged by time, each line prefixed)", required: true },
      lines: { type: "string", alias: "n", description: "lines per component from the end (default 100, or all with --since; 0 = all)", valueHint: "N" },
      since: { type: "string", description: "only lines written since: a duration back from now (10m) or a time (2026-11-27T12:00:00Z)", valueHint: "D" },
      follow: { type: "boolean", alias: "f", description: "keep streaming new lines" },
      ...commonArgs,
    },
    async run({ args }) {
      const since = args.since === undefined ? 0 : parseSince(args.since, Date.now());
      const tail = args.lines === undefined ? (args.since === undefined ? 100 : 0) : Number(args.lines);
      if (!Number.isInteger(tail) || tail < 0) throw new McpError("invalid_argument", `-n: "${args.lines}" is not a whole number`, "for example: mcp logs metacrypt -n 50");
      const cfg = await loadConfig(io, args.config);
      return showLogs(io, cfg, { targets: args._.map(String), tail, follow: !!args.follow, since });
    },
  });
