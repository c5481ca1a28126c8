import type { CliConfig } from "../../../config/index.ts";
import { McpError } from "../../../lib/errors.ts";
import type { ServiceDef } from "../../../model/index.ts";
import { connect, nodeForService } from "../../context.ts";

/** The registry's spec of a service, as a definition (every component, in registry order), from its node. */
export async function deployedDefinition(cfg: CliConfig, service: string, nodeFlag: string | undefined): Promise<ServiceDef> {
  const node = await nodeForService(cfg, service, nodeFlag);
  const client = connect(cfg, node);
  try {
    const rec = (await client.listServices()).services.find((s) => s.name === service);
    if (!rec) {
      throw new McpError("not_found", `service ${service} is not in the registry of node ${node.name}`,
        `deploy it (mcp deploy ${service}) or take its containers in (mcp adopt ${service} --node ${node.name})`);
    }
    return { name: rec.name, node: node.name, active: rec.active, components: rec.components.map((c) => c.spec) };
  } finally {
    client.close();
  }
}
