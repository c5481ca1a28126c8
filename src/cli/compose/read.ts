/**
 * The files an import reads: the compose file, the `.env` beside it (the
 * variables of `${VAR}`), and the env_files it names — each bounded in size,
 * and env_files confined to the compose file's directory, so that a compose
 * file cannot pull /etc/shadow or a key of the workstation into a definition
 * that is then shipped to a node.
 */
import { closeSync, fstatSync, openSync, readSync, realpathSync } from "node:fs";
import { constants } from "node:fs";
import { join, relative, resolve, isAbsolute } from "node:path";
import { McpError, messageOf } from "../../lib/errors.ts";
import { decodeUtf8 } from "../../lib/text.ts";
import { parseDotenv } from "./_text.ts";

/** The largest compose file, `.env` or env_file an import reads. */
export const COMPOSE_MAX_BYTES = 1024 * 1024;

const HINT = "fix the compose file and run mcp import compose again";

/** Reads a regular file of at most COMPOSE_MAX_BYTES as UTF-8; null when it does not exist. `what` names it in messages. */
export function readBounded(path: string, what: string, where = path): string | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return null;
    if (code === "ELOOP") throw new McpError("invalid_argument", `${where}: the ${what} ${path} is a symbolic link; mcp reads only regular files`, HINT);
    throw new McpError("invalid_argument", `${where}: cannot read the ${what} ${path} (${code ?? messageOf(err)})`, HINT);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new McpError("invalid_argument", `${where}: the ${what} ${path} is not a regular file`, HINT);
    if (st.size > COMPOSE_MAX_BYTES) throw new McpError("invalid_argument", `${where}: the ${what} ${path} is larger than ${COMPOSE_MAX_BYTES / 1024} KiB; mcp refuses it`, HINT);
    const buf = Buffer.alloc(st.size + 1);
    let n = 0;
    for (let got; n < buf.length && (got = readSync(fd, buf, n, buf.length - n, null)) > 0; ) n += got;
    if (n > st.size) throw new McpError("invalid_argument", `${where}: the ${what} ${path} grew while it was read`, HINT);
    return decodeUtf8(buf.subarray(0, n), path);
  } finally {
    closeSync(fd);
  }
}

/** The compose file's text; a missing file is an error. */
export function readComposeFile(path: string): string {
  const text = readBounded(path, "compose file");
  if (text === null) throw new McpError("invalid_argument", `${path} does not exist`, "name the compose file (e.g. mcp import compose ./docker-compose.yml …)");
  return text;
}

/** The variables of the `.env` file in dir (empty when there is none), as compose reads them for `${VAR}`. */
export function readDotenvVars(dir: string): Map<string, string> {
  const path = join(dir, ".env");
  const text = readBounded(path, ".env file");
  const vars = new Map<string, string>();
  if (text === null) return vars;
  const parsed = parseDotenv(text);
  if (!Array.isArray(parsed)) throw new McpError("invalid_argument", `${path}:${parsed.line}: ${parsed.problem}`, "fix the .env file beside the compose file");
  for (const e of parsed) if (e.value !== null) vars.set(e.key, e.value);
  return vars;
}

/**
 * The env_file reader of an import: a file named relative to dir (or
 * absolute) must resolve, through any symlink, inside dir, and be a regular
 * file of at most COMPOSE_MAX_BYTES. Refusals name the compose position.
 */
export function createEnvFileReader(dir: string): (file: string, where: string) => string {
  const realDir = realpathSync(dir);
  return (file, where) => {
    const full = resolve(dir, file);
    let real: string;
    try {
      real = realpathSync(full);
    } catch {
      throw new McpError("invalid_argument", `${where}: the env_file ${file} does not exist (${full})`, HINT);
    }
    const rel = relative(realDir, real);
    if (rel === "") throw new McpError("invalid_argument", `${where}: the env_file ${file} is the compose file's directory, not a file`, HINT);
    if (rel === ".." || rel.startsWith("../") || isAbsolute(rel)) {
      throw new McpError("invalid_argument", `${where}: the env_file ${file} resolves outside the compose file's directory (${realDir}); mcp reads env files only there`,
        "copy the variables the service needs into a file beside the compose file");
    }
    const text = readBounded(real, "env_file", where);
    if (text === null) throw new McpError("invalid_argument", `${where}: the env_file ${file} does not exist`, HINT);
    return text;
  };
}
