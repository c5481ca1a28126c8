// The secret RPCs (SPEC §7.3): thin, they check what came over the wire and
// call node/secrets. Roles and scopes are the rpc layer's: set and remove
// need an operator, a scoped token reaches its own services' secrets only
// and lists only theirs. No answer, log line or event carries a value.
import type { DeployDeps } from "../deploy/index.ts";
import type { AgentApi } from "../../rpc/index.ts";
import { listSecrets, removeSecret, setSecret } from "../secrets/index.ts";
import { assertServiceName } from "./validate.ts";

/** setSecret, listSecrets and removeSecret of the agent's API, on the deploy's dependencies. */
export function createSecretHandlers(deps: DeployDeps): Required<Pick<AgentApi, "setSecret" | "listSecrets" | "removeSecret">> {
  return {
    async setSecret(req, ctx) {
      assertServiceName("service", req.service);
      return setSecret(deps, { service: req.service, name: req.name, value: req.value, signal: ctx.signal });
    },
    async listSecrets(req) {
      if (req.service) assertServiceName("service", req.service);
      return { node: deps.node, secrets: await listSecrets(deps, req.service) };
    },
    async removeSecret(req, ctx) {
      assertServiceName("service", req.service);
      await removeSecret(deps, { service: req.service, name: req.name, signal: ctx.signal });
    },
  };
}
