import { defineCommand } from "citty";
import type { CliIO } from "../../lib/io.ts";
import { printFailure } from "./_helper.ts";
import { decodeFrames, encodeFrame, receiveFile, sendFile } from "../transfer/index.ts";

/**
 * The agent's own transfer helpers under rootless podman (hidden; run
 * through `podman unshare`, where the agent's user is root over the
 * containers' subordinate ids, so a directory a non-root container owns is
 * reachable): `push-file` takes framed chunks on stdin (see
 * src/node/transfer/frames.ts) and prints the result as JSON; `pull-file`
 * writes framed chunks on stdout. A refusal is JSON `{code, message, hint}`
 * on stderr with exit status 1.
 */

const target = {
  srvRoot: { type: "positional", description: "the srv root", required: true },
  service: { type: "positional", description: "the service", required: true },
  path: { type: "positional", description: "the path in the service's directory", required: true },
} as const;

export const pushFile = (io: CliIO) =>
  defineCommand({
    meta: { name: "push-file", description: "(the agent's own) a push inside podman's user namespace", hidden: true },
    args: {
      ...target,
      mode: { type: "positional", description: "the permission bits", required: true },
      maxBytes: { type: "positional", description: "the largest file", required: true },
    },
    async run({ args }) {
      async function* chunks() {
        for await (const f of decodeFrames(Bun.stdin.stream())) {
          if (f.kind === "D") yield { data: f.body, sha256: "" };
          else if (f.kind === "S") yield { data: new Uint8Array(0), sha256: new TextDecoder().decode(f.body) };
        }
      }
      try {
        const r = await receiveFile({ srvRoot: args.srvRoot, service: args.service, path: args.path, mode: Number(args.mode), maxBytes: Number(args.maxBytes), inheritOwner: true }, chunks());
        io.out(`${JSON.stringify(r)}\n`);
        return 0;
      } catch (err) {
        return printFailure(io, err, "transfer failed");
      }
    },
  });

export const pullFile = (io: CliIO) =>
  defineCommand({
    meta: { name: "pull-file", description: "(the agent's own) a pull inside podman's user namespace", hidden: true },
    args: { ...target },
    async run({ args }) {
      try {
        for await (const c of sendFile({ srvRoot: args.srvRoot, service: args.service, path: args.path })) {
          const head = encodeFrame("H", JSON.stringify({ mode: c.mode, size: c.size, sha256: c.sha256 }));
          await Bun.write(Bun.stdout, c.data.length > 0 ? Buffer.concat([head, encodeFrame("D", c.data)]) : head);
        }
        return 0;
      } catch (err) {
        return printFailure(io, err, "transfer failed");
      }
    },
  });
