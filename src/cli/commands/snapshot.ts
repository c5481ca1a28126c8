import { escapeControl } from "../../lib/text.ts";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { defineCommand } from "citty";
import { McpError } from "../../lib/errors.ts";
import { loadServiceDef } from "../../servicedef/index.ts";
import { commonArgs, connectNode, loadConfig } from "../context.ts";
import { createLocalSink } from "../files.ts";
import type { CliIO } from "../../lib/io.ts";
import { createProgress } from "../progress.ts";
import { warn } from "../../lib/output.ts";
import { formatBytes } from "../units.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: {
      name: "snapshot",
      description: "Save a service's data directory as tar.zst (SQLite databases copied consistently with VACUUM INTO; backups/ left out)",
    },
    args: {
      service: { type: "positional", description: "the service", required: true },
      output: { type: "string", alias: "o", description: "the archive to write (default: <service>-<UTC time>.tar.zst here)", valueHint: "file" },
      force: { type: "boolean", description: "overwrite an existing file" },
      ...commonArgs,
    },
    async run({ args }) {
      const cfg = await loadConfig(io, args.config);
      const { def } = await loadServiceDef(cfg.services.dir, args.service);
      const stamp = new Date().toISOString().slice(0, 19).replace(/[-:]/g, "");
      const out = resolve(io.cwd, args.output ?? `${def.name}-${stamp}Z.tar.zst`);
      if (existsSync(out) && !args.force) throw new McpError("invalid_argument", `${out} exists`, "overwrite it with --force, or name another file with -o");
      const client = connectNode(cfg, def.node);
      const sink = createLocalSink(out);
      const progress = createProgress(io, `snapshot ${def.name}`, 0);
      let received = 0;
      let sha = "";
      let databases: string[] = [];
      let warnings: string[] = [];
      try {
        await client.snapshotService({ service: def.name }, (c) => {
          if (c.data.length > 0) {
            sink.write(c.data);
            received += c.data.length;
            progress.update(received);
          }
          if (c.sha256) {
            sha = c.sha256;
            databases = c.databases;
            warnings = c.warnings ?? [];
          }
        });
        progress.finish();
        // Snapshots may hold secrets: the file is the operator's alone.
        const r = sink.commit(sha, 0o600);
        for (const w of warnings) warn(io, w);
        io.out(`wrote ${out} (${formatBytes(r.size)}, sha256 ${r.sha256}${databases.length ? `; databases: ${escapeControl(databases.join(", "))}` : ""})\n`);
        return 0;
      } catch (err) {
        sink.drop();
        throw err;
      } finally {
        progress.finish();
        client.close();
      }
    },
  });
