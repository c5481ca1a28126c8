import { defineCommand } from "citty";
import { initAgent } from "../agent/index.ts";
import { systemClock } from "../../lib/clock.ts";
import type { CliIO } from "../../lib/io.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "init", description: "First-run bootstrap of a node: config, CA and certificate, registry, admin token" },
    args: {
      node: { type: "string", description: "this node's name", required: true, valueHint: "name" },
      listen: { type: "string", description: "host:port the agent listens on (never 0.0.0.0 by default)", required: true, valueHint: "host:port" },
      dir: { type: "string", description: "where to put the config, certificates and registry", default: "/srv/mcp", valueHint: "dir" },
      "srv-root": { type: "string", description: "where service data directories live", default: "/srv", valueHint: "dir" },
    },
    run({ args }) {
      const r = initAgent({ node: args.node, listen: args.listen, dir: args.dir, srvRoot: args["srv-root"] }, systemClock);
      io.out(
        [
          `mcp agent initialized for node ${args.node} in ${r.dir}`,
          `  config       ${r.configPath}`,
          `  CA           ${r.caPath}   (copy it to the workstation)`,
          `  certificate  ${r.certPath} (${r.sans.join(", ")})`,
          `  registry     ${r.dbPath}`,
          "",
          "Start the agent:",
          `  mcp agent --config ${r.configPath}`,
          "On the workstation:",
          `  mcp node add ${args.node} ${args.listen} --ca-cert <copy of ${r.caPath}>`,
          `  echo "$TOKEN" | mcp login --node ${args.node} --token-stdin`,
          "The admin token follows, shown once (the last line):",
          r.token,
          "",
        ].join("\n"),
      );
    },
  });
