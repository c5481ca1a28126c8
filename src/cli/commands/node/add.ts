import { defineCommand } from "citty";
import { resolve } from "node:path";
import { addNodeToText, requireHostPort } from "../../../config/index.ts";
import { assertName } from "../../../lib/names.ts";
import { commonArgs, loadConfig } from "../../context.ts";
import type { CliIO } from "../../../lib/io.ts";
import { note } from "../../../lib/output.ts";
import { editConfigFile } from "./_edit.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "add", description: "Add a node to the CLI config (keeps comments and layout)" },
    args: {
      name: { type: "positional", description: "node name", required: true },
      address: { type: "positional", description: "host:port of its agent (an IP is fine)", required: true },
      "ca-cert": { type: "string", description: "CA that signed this agent's certificate", valueHint: "file" },
      "server-name": { type: "string", description: "name to verify in the agent's certificate (default: the node name)", valueHint: "name" },
      "token-path": { type: "string", description: "this node's token file", valueHint: "file" },
      ...commonArgs,
    },
    async run({ args }) {
      assertName("node name", args.name);
      requireHostPort(args.address, "address");
      const cfg = await loadConfig(io, args.config);
      await editConfigFile(cfg.path, (text) =>
        addNodeToText(text, {
          name: args.name,
          address: args.address,
          serverName: args["server-name"],
          caCert: args["ca-cert"] ? resolve(io.cwd, args["ca-cert"]) : undefined,
          tokenPath: args["token-path"] ? resolve(io.cwd, args["token-path"]) : undefined,
        }),
      );
      note(io, `node ${args.name} (${args.address}) added to ${cfg.path}`);
    },
  });
