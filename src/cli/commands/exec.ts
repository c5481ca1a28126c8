import { defineCommand } from "citty";
import { McpError } from "../../lib/errors.ts";
import { loadServiceDef } from "../../servicedef/index.ts";
import type { CliIO } from "../../lib/io.ts";
import { commonArgs, connectNode, loadConfig, parseTarget } from "../context.ts";
import { runExecSession } from "../exec.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: {
      name: "exec",
      description: "Run a command in a service's running container (the first component unless one is named); exits with its status. mcp exec <service>[/<component>] [-i] [-t] -- <cmd> [args…]",
    },
    args: {
      target: { type: "positional", description: "<service>[/<component>]", required: true },
      interactive: { type: "boolean", alias: "i", description: "pass stdin to the command" },
      tty: { type: "boolean", alias: "t", description: "give the command a terminal; with -i on a terminal, keys go raw (Ctrl-C, Ctrl-D reach it) and its size follows this one" },
      ...commonArgs,
    },
    async run({ args, rawArgs }) {
      const dash = rawArgs.indexOf("--");
      const argv = dash >= 0 ? rawArgs.slice(dash + 1) : [];
      if (argv.length === 0) {
        throw new McpError("invalid_argument", dash >= 0 ? "no command after --" : "the command goes after --", `for example: mcp exec ${args.target} -- ls -la`);
      }
      const target = parseTarget(args.target);
      const cfg = await loadConfig(io, args.config);
      const { def } = await loadServiceDef(cfg.services.dir, target.service);
      if (target.component && !def.components.some((c) => c.name === target.component)) {
        throw new McpError("invalid_argument", `service ${def.name} has no component "${target.component}"`, `its components: ${def.components.map((c) => c.name).join(", ")}`);
      }
      const stdio = io.rawStdio?.();
      if (!stdio) throw new McpError("internal", "this CLI cannot reach its terminal", "run mcp exec from a shell");
      const size = args.tty ? stdio.size() : null;
      const client = connectNode(cfg, def.node);
      try {
        return await runExecSession(client, {
          service: def.name, component: target.component || (def.components[0]?.name ?? ""), argv,
          stdin: !!args.interactive, tty: !!args.tty, cols: size?.cols ?? 0, rows: size?.rows ?? 0,
        }, stdio);
      } finally {
        client.close();
      }
    },
  });
