import { dirname, join } from "node:path";
import type { AgentConfig } from "../../config/index.ts";
import type { ProtectedPath } from "../policy/index.ts";

/**
 * The agent's own state (SPEC §7.1), which no service may reach: the
 * directories of its config and registry (with the registry's backups and
 * credentials beside it), its certificates and keys, the client and MCIAS
 * CAs, and the registry password files and CAs.
 */
export function protectedPathsOf(cfg: Pick<AgentConfig, "path" | "server" | "database" | "mcias" | "registries">): ProtectedPath[] {
  const out: ProtectedPath[] = [
    { path: dirname(cfg.path), what: "the agent's directory" },
    { path: dirname(cfg.database.path), what: "the registry's directory" },
    { path: join(dirname(cfg.database.path), "backups"), what: "the registry's backups" },
    { path: dirname(cfg.server.tlsCert), what: "the agent's certificates" },
    { path: cfg.server.tlsKey, what: "the agent's TLS key" },
  ];
  if (cfg.server.clientCa) out.push({ path: cfg.server.clientCa, what: "[server] client_ca" });
  if (cfg.mcias?.caCert) out.push({ path: cfg.mcias.caCert, what: "[mcias] ca_cert" });
  cfg.registries.forEach((r, i) => {
    out.push({ path: r.passwordFile, what: `the password file of [[registries]] #${i + 1}` });
    if (r.caCert) out.push({ path: r.caCert, what: `the CA of [[registries]] #${i + 1}` });
  });
  return out;
}
