import { defineCommand } from "citty";
import { basename, dirname, join } from "node:path";
import { readAgentConfig } from "../../config/index.ts";
import { systemClock } from "../../lib/clock.ts";
import { backupRegistry } from "../store/index.ts";
import type { CliIO } from "../../lib/io.ts";
import { note } from "../../lib/output.ts";

/** How many registry backups `mcp agent snapshot` keeps (SPEC §5.8): a week of a daily timer. */
const KEEP = 7;

/**
 * `mcp agent snapshot`: on the node, back up the agent's registry to
 * `<dir of [database] path>/backups/mcp-<UTC timestamp>.db` and keep the newest
 * 7. The path written is the last line of stdout; removed backups go to stderr.
 */
export default (io: CliIO) =>
  defineCommand({
    meta: { name: "snapshot", description: `Back up the registry into backups/ beside it, keeping the newest ${KEEP} (run on the node)` },
    args: { config: { type: "string", description: "the agent's config", default: "/srv/mcp/mcp-agent.toml", valueHint: "path" } },
    async run({ args }) {
      const cfg = await readAgentConfig(args.config, { home: io.env.HOME ?? "", env: io.env });
      const dir = join(dirname(cfg.database.path), "backups");
      const { path, removed } = backupRegistry(cfg.database.path, dir, systemClock.now(), KEEP);
      if (removed.length > 0) note(io, `removed ${removed.length} old backup${removed.length === 1 ? "" : "s"}: ${removed.map((p) => basename(p)).join(", ")}`);
      io.out(`${path}\n`);
      return 0;
    },
  });
