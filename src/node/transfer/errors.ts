import { McpError, messageOf } from "../../lib/errors.ts";

/**
 * File-system errors as the operator should read them, for everything the
 * agent does in service directories (transfers, snapshots, restores).
 */

/** The errno code of a thrown value ("" when it has none). */
export function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException)?.code ?? "";
}

/** An I/O failure as the operator should read it: a full disk and a refused access say so; anything else is internal. */
export function ioError(what: string, err: unknown): McpError {
  const code = errnoOf(err);
  if (code === "ENOSPC" || code === "EDQUOT") {
    return new McpError("resource_exhausted", `${what}: the disk is full (${code})`, "free space on the node, then try again");
  }
  if (code === "EACCES" || code === "EPERM" || code === "EROFS") {
    return new McpError("failed_precondition", `${what}: ${code}`, "check the owner and mode of the service's directory on the node");
  }
  return new McpError("internal", `${what}: ${messageOf(err)}`);
}

