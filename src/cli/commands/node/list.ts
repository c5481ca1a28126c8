import { defineCommand } from "citty";
import { commonArgs, jsonArg, loadConfig, tokenPathFor } from "../../context.ts";
import type { CliIO } from "../../io.ts";
import { printJson, renderTable } from "../../output.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "list", description: "The nodes in the CLI config" },
    args: { ...commonArgs, ...jsonArg },
    async run({ args }) {
      const cfg = await loadConfig(io, args.config);
      const nodes = cfg.nodes.map((n) => ({
        name: n.name, address: n.address, server_name: n.serverName, ca_cert: n.caCert || cfg.tls.caCert, token_path: tokenPathFor(cfg, n),
      }));
      if (args.json) printJson(io, { nodes });
      else io.out(renderTable(["NAME", "ADDRESS", "SERVER NAME", "CA"], nodes.map((n) => [n.name, n.address, n.server_name, n.ca_cert]), io.color));
    },
  });
