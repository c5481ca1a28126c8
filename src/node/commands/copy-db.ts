import { defineCommand } from "citty";
import type { CliIO } from "../../lib/io.ts";
import { printFailure } from "./_helper.ts";
import { copyDatabase } from "../snapshot/index.ts";

/**
 * `mcp agent copy-db <service dir> <rel> <dst>`: the agent's own helper for
 * snapshots (hidden): copies one database of a service's directory in a
 * process of its own (see src/node/snapshot/_dbcopy.ts for why). Prints the
 * original's `{mode, uid, gid}` as JSON; a refusal is printed as JSON
 * `{code, message, hint}` on stderr with exit status 1.
 */
export default (io: CliIO) =>
  defineCommand({
    meta: { name: "copy-db", description: "(the agent's own) copy one database of a service's directory for a snapshot", hidden: true },
    args: {
      dir: { type: "positional", description: "the service's directory", required: true },
      rel: { type: "positional", description: "the database, relative to it", required: true },
      dst: { type: "positional", description: "where the copy goes", required: true },
    },
    run({ args }) {
      try {
        const st = copyDatabase(args.dir, args.rel, args.dst);
        io.out(`${JSON.stringify({ mode: st.mode, uid: st.uid, gid: st.gid })}\n`);
        return 0;
      } catch (err) {
        return printFailure(io, err, `cannot copy the database ${args.rel}`);
      }
    },
  });
