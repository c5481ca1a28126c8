import { defineCommand } from "citty";
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { CliIO } from "../../lib/io.ts";
import { printFailure } from "./_helper.ts";
import { silentLogger } from "../../lib/log.ts";
import { applyArchive, snapshotService } from "../snapshot/index.ts";
import { makeDirsConfined } from "../transfer/index.ts";

/**
 * The agent's own helpers for a service's data under rootless podman
 * (hidden; the agent runs them through `podman unshare`, where its user is
 * root over the containers' subordinate ids): `snapshot-dir` writes the
 * archive to stdout and its result as JSON on stderr's last line;
 * `restore-dir` applies a stored, checked archive keeping its owners (the
 * containers' ids) and prints its result as JSON. A refusal is JSON
 * `{code, message, hint}` on stderr with exit status 1.
 */

/** Writes to stdout, waiting for it to drain (an archive can be large). */
function write(chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.stdout.write(chunk, (err) => (err ? reject(err) : undefined))) resolve();
    else process.stdout.once("drain", resolve);
  });
}

export const snapshotDir = (io: CliIO) =>
  defineCommand({
    meta: { name: "snapshot-dir", description: "(the agent's own) a service's snapshot inside podman's user namespace", hidden: true },
    args: {
      srvRoot: { type: "positional", description: "the srv root", required: true },
      service: { type: "positional", description: "the service", required: true },
    },
    async run({ args }) {
      try {
        let warnings: string[] = [];
        const r = await snapshotService({ srvRoot: args.srvRoot, service: args.service, log: silentLogger, signal: new AbortController().signal }, async (c) => {
          if (c.data.length > 0) await write(c.data);
          if (c.sha256) warnings = c.warnings ?? [];
        });
        io.err(`${JSON.stringify({ ...r, warnings })}\n`);
        return 0;
      } catch (err) {
        return printFailure(io, err, "snapshot failed");
      }
    },
  });

export const restoreDir = (io: CliIO) =>
  defineCommand({
    meta: { name: "restore-dir", description: "(the agent's own) apply a checked archive inside podman's user namespace", hidden: true },
    args: {
      srvRoot: { type: "positional", description: "the srv root", required: true },
      service: { type: "positional", description: "the service", required: true },
      archive: { type: "positional", description: "the stored archive", required: true },
      work: { type: "positional", description: "the restore's work directory", required: true },
      maxArchiveBytes: { type: "positional", description: "bound on the members' total size", required: true },
      maxEntries: { type: "positional", description: "bound on the entries", required: true },
    },
    async run({ args }) {
      try {
        const databases = await applyArchive({
          srvRoot: args.srvRoot, service: args.service, archive: args.archive, work: args.work,
          maxArchiveBytes: Number(args.maxArchiveBytes), maxEntries: Number(args.maxEntries), keepOwners: true,
        });
        io.out(`${JSON.stringify({ databases })}\n`);
        return 0;
      } catch (err) {
        return printFailure(io, err, "restore failed");
      } finally {
        // What was extracted belongs to the containers' ids: only this process, in the namespace, may remove it.
        rmSync(join(args.work, "tree"), { recursive: true, force: true });
      }
    },
  });

export const makeDirs = (io: CliIO) =>
  defineCommand({
    meta: { name: "make-dirs", description: "(the agent's own) a component's missing data directories, inside podman's user namespace", hidden: true },
    args: {
      dir: { type: "positional", description: "the service's directory", required: true },
      rel: { type: "positional", description: "the directory to make, relative to it", required: true },
      owner: { type: "positional", description: "uid:gid to give what is made, or \"\"", required: false },
    },
    run({ args }) {
      try {
        const m = /^(\d+):(\d+)$/.exec(args.owner ?? "");
        makeDirsConfined(args.dir, args.rel.split("/"), m ? { uid: Number(m[1]), gid: Number(m[2]) } : null);
        return 0;
      } catch (err) {
        return printFailure(io, err, "cannot make the directories");
      }
    },
  });
