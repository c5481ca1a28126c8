import { defineCommand } from "citty";
import { commonArgs, connect, loadConfig, nodeArg, nodeForService, serviceArg } from "../../context.ts";
import type { CliIO } from "../../../lib/io.ts";
import { warn } from "../../../lib/output.ts";
import { assertSecretName } from "./_value.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "rm", description: "Remove a secret of a service from its node (containers using it keep running)" },
    args: {
      ...serviceArg,
      name: { type: "positional", description: "the secret's name", required: true },
      ...nodeArg,
      ...commonArgs,
    },
    async run({ args }) {
      assertSecretName(args.name);
      const cfg = await loadConfig(io, args.config);
      const node = await nodeForService(cfg, args.service, args.node);
      const client = connect(cfg, node);
      try {
        await client.removeSecret({ service: args.service, name: args.name });
        io.out(`removed secret ${args.service}/${args.name} from ${node.name}\n`);
        // What still names it: podman cannot start those containers again, and a deploy of them is refused, until it is set again.
        const svc = (await client.listServices().catch(() => null))?.services.find((s) => s.name === args.service);
        const users = (svc?.components ?? []).filter((c) => c.spec.secrets?.some((r) => r.name === args.name)).map((c) => c.name);
        if (users.length > 0) {
          warn(io, `${args.service}/${users.join(", ")} still name ${args.name}: they keep running, but cannot start again (a restart, a reboot) and will not deploy until it is set again or the definition stops naming it`);
        }
        return 0;
      } finally {
        client.close();
      }
    },
  });
