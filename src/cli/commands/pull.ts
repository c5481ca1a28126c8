import { existsSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { defineCommand } from "citty";
import { loadServiceDef } from "../../servicedef/index.ts";
import { checkRelativePath } from "../../lib/relpath.ts";
import { commonArgs, connectNode, loadConfig } from "../context.ts";
import { createLocalSink } from "../files.ts";
import type { CliIO } from "../../lib/io.ts";
import { createProgress } from "../progress.ts";
import { formatBytes } from "../units.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "pull", description: "Copy a file from <srv_root>/<service>/ on the service's node (SHA-256 checked; the local file is replaced only when complete)" },
    args: {
      service: { type: "positional", description: "the service", required: true },
      path: { type: "positional", description: "the file, relative to the service's directory", required: true },
      file: { type: "positional", description: "where to write it (default: its name, here; a directory: its name there)", required: false },
      ...commonArgs,
    },
    async run({ args }) {
      const parts = checkRelativePath(args.path);
      let local = resolve(io.cwd, args.file ?? parts.at(-1)!);
      if (existsSync(local) && statSync(local).isDirectory()) local = join(local, parts.at(-1)!);
      const cfg = await loadConfig(io, args.config);
      const { def } = await loadServiceDef(cfg.services.dir, args.service);
      const client = connectNode(cfg, def.node);
      const sink = createLocalSink(local);
      let mode = 0;
      let sha = "";
      let progress = createProgress(io, `pull ${basename(local)}`, 0);
      let received = 0;
      try {
        await client.pullFile({ service: def.name, path: args.path }, (c) => {
          if (c.data.length === 0 && received === 0 && !c.sha256) progress = createProgress(io, `pull ${basename(local)}`, c.size);
          mode = c.mode;
          if (c.data.length > 0) {
            sink.write(c.data);
            received += c.data.length;
            progress.update(received);
          }
          if (c.sha256) sha = c.sha256;
        });
        progress.finish();
        const r = sink.commit(sha, mode);
        io.out(`pulled ${formatBytes(r.size)} from ${def.name}:${args.path} on ${def.node} to ${local} (sha256 ${r.sha256})\n`);
        return 0;
      } catch (err) {
        sink.drop(); // the local file stays as it was
        throw err;
      } finally {
        progress.finish();
        client.close();
      }
    },
  });
