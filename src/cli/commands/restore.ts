import { escapeControl } from "../../lib/text.ts";
import { basename, resolve } from "node:path";
import { defineCommand } from "citty";
import { loadServiceDef } from "../../servicedef/index.ts";
import { commonArgs, connectNode, loadConfig } from "../context.ts";
import { readChunks, withLocalFile } from "../files.ts";
import type { CliIO } from "../../lib/io.ts";
import { createProgress } from "../progress.ts";
import { formatBytes } from "../units.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: {
      name: "restore",
      description: "Replace a service's data directory from a snapshot, once it is whole and verified; the service must be stopped (or --force)",
    },
    args: {
      service: { type: "positional", description: "the service", required: true },
      file: { type: "positional", description: "the tar.zst made by mcp snapshot", required: true },
      force: { type: "boolean", description: "restore while the service runs (its containers are restarted afterwards)" },
      ...commonArgs,
    },
    async run({ args }) {
      const file = resolve(io.cwd, args.file);
      const cfg = await loadConfig(io, args.config);
      const { def } = await loadServiceDef(cfg.services.dir, args.service);
      return withLocalFile(file, "the archive", async (fd, { size }) => {
        const client = connectNode(cfg, def.node);
        const progress = createProgress(io, `restore ${basename(file)}`, size);
        try {
          const r = await client.restoreService({ service: def.name, force: !!args.force }, readChunks(fd, (n) => progress.update(n)));
          progress.finish();
          io.out(`restored ${def.name} on ${def.node} from ${file} (${formatBytes(r.size)}${r.databases.length ? `; databases checked: ${escapeControl(r.databases.join(", "))}` : ""})\n`);
          if (r.restarted.length) io.out(`restarted: ${r.restarted.join(", ")}\n`);
          return 0;
        } finally {
          progress.finish();
          client.close();
        }
      });
    },
  });
