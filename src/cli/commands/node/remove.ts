import { defineCommand } from "citty";
import { removeNodeFromText } from "../../../config/index.ts";
import { commonArgs, loadConfig } from "../../context.ts";
import type { CliIO } from "../../../lib/io.ts";
import { note } from "../../../lib/output.ts";
import { editConfigFile } from "./_edit.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "remove", description: "Remove a node from the CLI config (keeps comments and layout)" },
    args: {
      name: { type: "positional", description: "node name", required: true },
      ...commonArgs,
    },
    async run({ args }) {
      const cfg = await loadConfig(io, args.config);
      await editConfigFile(cfg.path, (text) => removeNodeFromText(text, args.name));
      note(io, `node ${args.name} removed from ${cfg.path}`);
    },
  });
