import { basename, resolve } from "node:path";
import { defineCommand } from "citty";
import { loadServiceDef } from "../../servicedef/index.ts";
import { checkRelativePath } from "../../lib/relpath.ts";
import { commonArgs, connectNode, loadConfig } from "../context.ts";
import { readChunks, withLocalFile } from "../files.ts";
import type { CliIO } from "../../lib/io.ts";
import { createProgress } from "../progress.ts";
import { formatBytes } from "../units.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "push", description: "Copy a local file into <srv_root>/<service>/ on the service's node (atomic, SHA-256 checked)" },
    args: {
      file: { type: "positional", description: "the local file", required: true },
      service: { type: "positional", description: "the service", required: true },
      path: { type: "positional", description: "where, relative to the service's directory (default: the file's name)", required: false },
      ...commonArgs,
    },
    async run({ args }) {
      const local = resolve(io.cwd, args.file);
      const path = args.path ?? basename(local);
      checkRelativePath(path); // refused here too, before anything is read or sent
      const cfg = await loadConfig(io, args.config);
      const { def } = await loadServiceDef(cfg.services.dir, args.service);
      return withLocalFile(local, "the local file", async (fd, st) => {
        const client = connectNode(cfg, def.node);
        const progress = createProgress(io, `push ${basename(local)}`, st.size);
        try {
          const r = await client.pushFile({ service: def.name, path, mode: st.mode & 0o777 }, readChunks(fd, (n) => progress.update(n)));
          progress.finish();
          io.out(`pushed ${formatBytes(r.size)} to ${def.name}:${path} on ${def.node} (mode ${r.mode.toString(8).padStart(4, "0")}, sha256 ${r.sha256})\n`);
          return 0;
        } finally {
          progress.finish();
          client.close();
        }
      });
    },
  });
