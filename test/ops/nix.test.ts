// nix/package.nix and nix/module.nix (acceptance 3 of issue 8):
// `nix-instantiate --parse` accepts both (Nix resolves variables while
// parsing, so an undefined name fails here too). There is no nixpkgs on this
// machine, so the module is also evaluated against a small stand-in for lib
// and pkgs (test-only; mkIf/mkForce/mkDefault are the identity), which checks
// that its config holds together and says what deploy/systemd says.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { ROOT } from "../support/mcp.ts";

const reason = Bun.which("nix-instantiate") ? null : "nix-instantiate is not installed (apt-get install nix-bin)";
if (reason) console.warn(`nix/ checks SKIPPED: ${reason}`);

async function nix(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // This machine has no nixbld group; the setting only matters for builds.
  const p = Bun.spawn(["nix-instantiate", ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe", env: { ...process.env, NIX_CONFIG: "build-users-group =" } });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

/** The module evaluated with stand-ins for lib and pkgs, enabled with its defaults (plus overrides). */
const evalModule = (overrides = "{ }") => `
let
  lib = {
    mkDefault = v: v; mkForce = v: v; mkIf = c: v: if c then v else { };
    mkOption = o: o; mkEnableOption = d: { default = false; description = d; };
    types = { package = "package"; str = "str"; int = "int"; bool = "bool"; port = "port"; nullOr = t: "nullOr"; attrsOf = t: "attrsOf"; };
    getExe = p: "\${p}/bin/mcp";
    escapeShellArg = s: "'\${s}'";
    makeBinPath = ps: builtins.concatStringsSep ":" (map (p: "\${p}/bin") ps);
    optionalAttrs = c: a: if c then a else { };
    optional = c: v: if c then [ v ] else [ ];
    literalExpression = s: s;
  };
  pkgs = {
    writeShellScript = name: text: "/nix/store/stub-\${name}";
    callPackage = f: args: "/nix/store/stub-mcp";
    coreutils = "/nix/store/stub-coreutils"; util-linux = "/nix/store/stub-util-linux";
    gnutar = "/nix/store/stub-gnutar"; zstd = "/nix/store/stub-zstd";
  };
  defaults = opts: builtins.mapAttrs (n: o: if o ? default then o.default else defaults o) opts;
  self = import ./nix/module.nix {
    inherit lib pkgs;
    config = {
      virtualisation.podman.package = "/nix/store/stub-podman";
      services.mcp-agent = defaults self.options.services.mcp-agent // { enable = true; } // ${overrides};
    };
  };
in self.config`;

describe.skipIf(reason !== null)("nix/", () => {
  for (const file of ["nix/package.nix", "nix/module.nix"]) {
    test(`nix-instantiate --parse accepts ${file}`, async () => {
      const r = await nix(["--parse", join(ROOT, file)]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    });
  }

  test("would catch a mistake: an undefined name fails the parse", async () => {
    const r = await nix(["--parse", "-E", "{ lib }: lib.mkIf cfg.enable { }"]);
    expect(r.stderr).toContain("undefined variable 'cfg'");
    expect(r.code).not.toBe(0);
  });

  test("package.nix takes what callPackage gives, and a pinnable node_modules hash", async () => {
    const r = await nix(["--eval", "--strict", "--json", "-E", "builtins.functionArgs (import ./nix/package.nix)"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ lib: false, stdenvNoCC: false, bun: false, nodejs: false, cacert: false, nodeModulesHash: true });
  });

  test("the module, enabled: the user, lingering, subids, directories, the agent unit and the backup timer", async () => {
    const r = await nix(["--eval", "--strict", "--json", "-E", evalModule()]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const c = JSON.parse(r.stdout);
    expect(c.users.users.mcp).toMatchObject({ isSystemUser: true, group: "mcp", home: "/srv/mcp", autoSubUidGidRange: true, linger: true });
    expect(c.systemd.tmpfiles.rules).toEqual([
      "d /srv 1775 root mcp -",
      "d /srv/mcp 0700 mcp mcp -",
      "d /srv/mcp/certs 0700 mcp mcp -",
      "d /srv/mcp/backups 0700 mcp mcp -",
    ]);
    const agent = c.systemd.services["mcp-agent"];
    expect(agent.serviceConfig).toMatchObject({
      User: "mcp", NoNewPrivileges: true, ProtectSystem: "full", ProtectHome: false, Restart: "on-failure", KillMode: "process", RestartPreventExitStatus: "2",
      ExecStart: "/nix/store/stub-mcp-with-runtime-dir /nix/store/stub-mcp/bin/mcp agent --config /srv/mcp/mcp-agent.toml",
    });
    expect(agent.serviceConfig.ExecStartPre).toStartWith("+/nix/store/stub-mcp-with-runtime-dir /nix/store/stub-util-linux/bin/setpriv --reuid=mcp --regid=mcp --init-groups /nix/store/stub-podman/bin/podman unshare true");
    expect(agent.serviceConfig.ExecReload).toBe("/nix/store/stub-coreutils/bin/kill -HUP $MAINPID");
    expect(agent.serviceConfig).not.toHaveProperty("MemoryDenyWriteExecute");
    expect(agent.serviceConfig).not.toHaveProperty("RestrictNamespaces");
    expect(agent.environment.HOME).toBe("/srv/mcp");
    expect(agent.environment.PATH).toStartWith("/run/wrappers/bin:");
    expect(c.systemd.services["mcp-agent-backup"].serviceConfig.ExecStart).toEndWith("/bin/mcp agent snapshot --config /srv/mcp/mcp-agent.toml");
    expect(c.systemd.timers["mcp-agent-backup"].timerConfig).toMatchObject({ OnCalendar: "daily", Persistent: true });
    expect(c.networking.firewall.allowedTCPPorts).toEqual([]);
  });

  test("the module's options change what they should", async () => {
    const r = await nix(["--eval", "--strict", "--json", "-E", evalModule(`{ user = "agent"; group = "agent"; uid = 950; home = "/var/lib/mcp"; openFirewall = true; backup.enable = false; environment.MCP_LOG_LEVEL = "debug"; }`)]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const c = JSON.parse(r.stdout);
    expect(c.users.users.agent).toMatchObject({ uid: 950, home: "/var/lib/mcp" });
    const agent = c.systemd.services["mcp-agent"];
    expect(agent.environment).toMatchObject({ XDG_RUNTIME_DIR: "/run/user/950", MCP_LOG_LEVEL: "debug", HOME: "/var/lib/mcp" });
    expect(agent.serviceConfig.ExecStart).toEndWith("agent --config /var/lib/mcp/mcp-agent.toml");
    expect(c.systemd.timers["mcp-agent-backup"]).toEqual({});
    expect(c.networking.firewall.allowedTCPPorts).toEqual([9444]);
  });
});
