import { identifyToken, requiredRole, roleAllows, type Identity, type TokenCheck } from "../auth/index.ts";
import { McpError } from "../../lib/errors.ts";

/**
 * The agent's authentication and authorization check for one call:
 * a missing or invalid token fails `unauthenticated`; an RPC missing from the
 * role table, or a role below the RPC's least role, fails `permission_denied`.
 * The identity carries the token's service scope; the rpc server checks each
 * request against it (src/rpc/scope.ts), since only it has the decoded request.
 */
export function createAuthenticator(o: TokenCheck) {
  return async (token: string | null, method: string): Promise<Identity> => {
    const who = await identifyToken(o, token, o.mode === "mcias" ? "log in: mcp login" : "log in: mcp login --node <node> --token-stdin");
    const need = requiredRole(method);
    if (!need) throw new McpError("permission_denied", `${method} is not allowed for any role`, "", { identity: who.name });
    if (!roleAllows(who.role, need)) {
      throw new McpError("permission_denied", `${method} needs role ${need}; token "${who.name}" has ${who.role}`, "ask an admin for a token with that role", { identity: who.name });
    }
    return who;
  };
}
