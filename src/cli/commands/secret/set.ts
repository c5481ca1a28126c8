import { defineCommand } from "citty";
import { commonArgs, connect, loadConfig, nodeArg, nodeForService, serviceArg } from "../../context.ts";
import type { CliIO } from "../../../lib/io.ts";
import { note } from "../../../lib/output.ts";
import { assertSecretName, readSecretValue } from "./_value.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: {
      name: "set",
      description: "Store a secret of a service on its node: the value from stdin (one trailing newline dropped; typed twice, unseen, on a terminal) or --from-file (exact bytes); never a flag",
    },
    args: {
      ...serviceArg,
      name: { type: "positional", description: "the secret's name (letters, digits, _ and -)", required: true },
      "from-file": { type: "string", description: "read the value from this file, byte for byte", valueHint: "path" },
      ...nodeArg,
      ...commonArgs,
    },
    async run({ args }) {
      assertSecretName(args.name);
      const cfg = await loadConfig(io, args.config);
      const node = await nodeForService(cfg, args.service, args.node);
      const value = await readSecretValue(io, args["from-file"], `${args.service}/${args.name}`);
      const client = connect(cfg, node);
      try {
        const r = await client.setSecret({ service: args.service, name: args.name, value });
        io.out(`${r.created ? "created" : "stored"} secret ${args.service}/${args.name} on ${node.name} (${r.secret.size} bytes, version ${r.secret.version})\n`);
        note(io, `components naming it get the new value when deployed: mcp deploy ${args.service}`);
        return 0;
      } finally {
        client.close();
      }
    },
  });
