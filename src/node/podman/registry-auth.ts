import { McpError, messageOf } from "../../lib/errors.ts";

/** One `[[registries]]` entry, as the agent config gives it. */
export interface RegistryCredentials {
  host: string;
  username: string;
  passwordFile: string;
  /** "" = podman's own trust */
  caCert: string;
}

/**
 * The registry part of an image reference, as podman reads it: the first
 * path element when it has a dot or a port or is `localhost`, else Docker
 * Hub (`docker.io`).
 */
export function registryHost(image: string): string {
  const slash = image.indexOf("/");
  if (slash < 0) return "docker.io";
  const first = image.slice(0, slash);
  return first.includes(".") || first.includes(":") || first === "localhost" ? first : "docker.io";
}

/**
 * The containers-auth.json text for the given credentials (`auth` is
 * base64 of `user:password`); `readSecret` reads a password file.
 */
export function authFileText(registries: RegistryCredentials[], readSecret: (path: string) => string): string {
  const auths: Record<string, { auth: string }> = {};
  for (const r of registries) {
    let secret: string;
    try {
      secret = readSecret(r.passwordFile).replace(/\r?\n$/, "");
    } catch (err) {
      throw new McpError("failed_precondition", `registry ${r.host}: cannot read its password_file ${r.passwordFile} (${messageOf(err)})`,
        "fix [[registries]] in the agent config or the file's permissions (the agent's user must read it)");
    }
    if (!secret) throw new McpError("failed_precondition", `registry ${r.host}: its password_file ${r.passwordFile} is empty`, "write the password or token into it");
    auths[r.host] = { auth: Buffer.from(`${r.username}:${secret}`).toString("base64") };
  }
  return `${JSON.stringify({ auths }, null, 2)}\n`;
}
