// The podman adapter's secrets (SPEC §7.3): values go to podman on stdin,
// never in argv or the environment of a process; listings carry names only.
import * as v from "valibot";
import { McpError } from "../../lib/errors.ts";
import type { ContainerRuntime } from "../runtime/port.ts";
import type { SecretEntry } from "../runtime/types.ts";
import { secretCreateArgs, secretLsArgs, secretRmArgs } from "./args.ts";
import { RunnerError, reasonOf, type RunResult } from "./runner.ts";

const NO_SECRET = /no such secret|no secret with name or id/i;
const SECRET_IN_USE = /secret name in use|already in use/i;

const LsLine = v.looseObject({ ID: v.string(), Name: v.string() });

/** `podman secret ls --format {{json .}}`: one object per line → names and ids. */
export function parseSecretLs(text: string): SecretEntry[] {
  return text.split("\n").filter((l) => l.trim() !== "").map((line) => {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (err) {
      throw new McpError("internal", "podman's output format was not understood: podman secret ls did not print JSON lines", "mcp is tested with podman 4.3", { cause: err });
    }
    const r = v.safeParse(LsLine, json);
    if (!r.success) throw new McpError("internal", `podman's output format was not understood: podman secret ls: ${r.issues[0].message}`, "mcp is tested with podman 4.3");
    return { id: r.output.ID, name: r.output.Name };
  });
}

/** The secret methods of the podman runtime, on its call seam (`stdin` is never logged). */
export function podmanSecrets(call: (argv: string[], stdin?: Uint8Array) => Promise<RunResult>): Pick<ContainerRuntime, "createSecret" | "removeSecret" | "listSecrets"> {
  return {
    async createSecret(name, value, labels) {
      try {
        await call(secretCreateArgs(name, labels), value);
      } catch (err) {
        if (err instanceof RunnerError && SECRET_IN_USE.test(err.stderrTail)) {
          throw new McpError("already_exists", `secret ${name} already exists`, "remove it first", { cause: err });
        }
        // podman's reason names sizes and names, never the value (it is not in argv either).
        if (err instanceof RunnerError) throw new McpError("failed_precondition", `cannot create secret ${name}: ${reasonOf(err.stderrTail)}`, "check `podman secret ls` on the node", { cause: err });
        throw err;
      }
    },
    async removeSecret(name) {
      try {
        await call(secretRmArgs(name));
        return true;
      } catch (err) {
        if (err instanceof RunnerError && NO_SECRET.test(err.stderrTail)) return false;
        throw err;
      }
    },
    async listSecrets() {
      return parseSecretLs((await call(secretLsArgs())).stdout);
    },
  };
}
