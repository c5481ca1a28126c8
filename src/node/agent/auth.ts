import { verifyLocalToken, requiredRole, roleAllows, type Identity } from "../auth/index.ts";
import type { Clock } from "../../lib/clock.ts";
import { McpError } from "../../lib/errors.ts";
import type { Db } from "../store/index.ts";

/**
 * The agent's authentication and authorization check for one call:
 * a missing or invalid token fails `unauthenticated`; an RPC missing from the
 * role table, or a role below the RPC's least role, fails `permission_denied`.
 * The identity carries the token's service scope; the rpc server checks each
 * request against it (src/rpc/scope.ts), since only it has the decoded request.
 */
export function createAuthenticator(o: { db: Db; clock: Clock; mode: "local" | "mcias"; mcias?: (token: string) => Promise<Identity> }) {
  return async (token: string | null, method: string): Promise<Identity> => {
    if (!token) {
      throw new McpError("unauthenticated", "no token was sent", o.mode === "mcias" ? "log in: mcp login" : "log in: mcp login --node <node> --token-stdin");
    }
    let who: Identity;
    if (o.mode === "mcias") {
      if (!o.mcias) throw new McpError("unavailable", "auth mode mcias has no [mcias] server", "set [mcias] server_url in the agent config");
      who = await o.mcias(token);
    } else {
      who = verifyLocalToken(o.db, token, o.clock);
    }
    const need = requiredRole(method);
    if (!need) throw new McpError("permission_denied", `${method} is not allowed for any role`, "", { identity: who.name });
    if (!roleAllows(who.role, need)) {
      throw new McpError("permission_denied", `${method} needs role ${need}; token "${who.name}" has ${who.role}`, "ask an admin for a token with that role", { identity: who.name });
    }
    return who;
  };
}
