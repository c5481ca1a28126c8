import { defineCommand } from "citty";
import { McpError } from "../../lib/errors.ts";
import { loadServiceDef } from "../../servicedef/index.ts";
import { commonArgs, connectNode, loadConfig, parseTarget } from "../context.ts";
import type { CliIO } from "../../lib/io.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "logs", description: "A service's (or one component's) container logs; -f follows them (Ctrl-C to stop)" },
    args: {
      target: { type: "positional", description: "<service>[/<component>]", required: true },
      lines: { type: "string", alias: "n", description: "lines per component from the end (default 100; 0 = all)", valueHint: "N" },
      follow: { type: "boolean", alias: "f", description: "keep streaming new lines" },
      ...commonArgs,
    },
    async run({ args }) {
      const target = parseTarget(args.target);
      const tail = args.lines === undefined ? 100 : Number(args.lines);
      if (!Number.isInteger(tail) || tail < 0) throw new McpError("invalid_argument", `-n: "${args.lines}" is not a whole number`, "for example: mcp logs metacrypt -n 50");
      const cfg = await loadConfig(io, args.config);
      const { def } = await loadServiceDef(cfg.services.dir, target.service);
      const components = target.component ? [target.component] : def.components.map((c) => c.name);
      // Several components: each line says whose it is.
      const width = Math.max(...components.map((c) => c.length));
      const prefix = components.length > 1 ? (c: string) => `${c.padEnd(width)} | ` : () => "";
      const client = connectNode(cfg, def.node);
      try {
        await client.logs({ service: def.name, component: target.component, tail, follow: !!args.follow }, (l) => io.out(prefix(l.component) + l.data));
        return 0;
      } finally {
        client.close();
      }
    },
  });
