import { defineCommand } from "citty";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { findNode } from "../../config/index.ts";
import { McpError } from "../../lib/errors.ts";
import { commonArgs, loadConfig } from "../context.ts";
import type { CliIO } from "../io.ts";
import { note } from "../output.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "login", description: "Store a token: with --token-stdin, one issued by `mcp agent token create` (local mode)" },
    args: {
      node: { type: "string", description: "the node the token is for (local tokens are per node)", valueHint: "name" },
      "token-stdin": { type: "boolean", description: "read the token from standard input" },
      ...commonArgs,
    },
    async run({ args }) {
      if (!args["token-stdin"]) {
        throw new McpError("invalid_argument", "MCIAS login is not available in this version", "use a local token: echo \"$TOKEN\" | mcp login --node <node> --token-stdin");
      }
      const cfg = await loadConfig(io, args.config);
      const token = (await io.readStdin()).trim();
      if (!token) throw new McpError("invalid_argument", "no token on standard input", "pipe the token in: echo \"$TOKEN\" | mcp login --node <node> --token-stdin");
      if (/\s/.test(token)) throw new McpError("invalid_argument", "standard input holds more than one word; a token is one", "pipe only the token (the last line of `mcp agent token create`)");
      let path = cfg.auth.tokenPath;
      if (args.node) {
        const node = findNode(cfg, args.node);
        path = node.tokenPath || join(cfg.configDir, "tokens", node.name);
      }
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      writeFileSync(path, token + "\n", { mode: 0o600 });
      chmodSync(path, 0o600);
      note(io, `token stored in ${path}${args.node ? ` for node ${args.node}` : ""}`);
    },
  });
