# NixOS module for the mcp agent: `services.mcp-agent`.
#
#   imports = [ ./nix/module.nix ];
#   services.mcp-agent.enable = true;
#
# What deploy/systemd/ and scripts/install.sh do on Debian, declared: the
# `mcp` system user (home /srv/mcp, subuid/subgid ranges, lingering), its
# directories and modes, the agent unit, the daily registry backup, podman.
# The agent's config, CA, certificate, registry and admin token are made once
# on the node, as on Debian (docs/bootstrap.md):
#
#   sudo -u mcp mcp agent init --node rift --listen 100.95.252.120:9444 --dir /srv/mcp --srv-root /srv
#
# Until then the agent fails with "config missing" and is not restarted
# (exit status 2 = bad configuration, RestartPreventExitStatus).
{
  config,
  lib,
  pkgs,
  ...
}:

let
  cfg = config.services.mcp-agent;
  inherit (lib)
    mkDefault
    mkEnableOption
    mkForce
    mkIf
    mkOption
    types
    ;

  podman = config.virtualisation.podman.package;
  mcp = lib.getExe cfg.package;

  # XDG_RUNTIME_DIR is /run/user/<uid> (SPEC §6.2), and the uid of a system
  # user is allocated at activation unless `uid` is set, so it is set here,
  # at start, for the command that follows.
  withRuntimeDir = pkgs.writeShellScript "mcp-with-runtime-dir" ''
    XDG_RUNTIME_DIR=/run/user/$(${pkgs.coreutils}/bin/id -u ${lib.escapeShellArg cfg.user})
    export XDG_RUNTIME_DIR
    exec "$@"
  '';

  environment = {
    HOME = cfg.home;
    NO_COLOR = "1";
    # /run/wrappers/bin first: newuidmap and newgidmap are setuid wrappers
    # there. tar and zstd make service snapshots (`mcp snapshot`).
    PATH = mkForce "/run/wrappers/bin:${
      lib.makeBinPath [
        podman
        cfg.package
        pkgs.coreutils
        pkgs.util-linux
        pkgs.gnutar
        pkgs.zstd
      ]
    }";
  } // lib.optionalAttrs (cfg.uid != null) { XDG_RUNTIME_DIR = "/run/user/${toString cfg.uid}"; } // cfg.environment;

  # The same hardening as deploy/systemd (see the comments there): no
  # MemoryDenyWriteExecute (Bun's JIT), no RestrictNamespaces (podman),
  # ProtectHome=false (/run/user), NoNewPrivileges after a privileged
  # ExecStartPre has made podman's user namespace.
  hardening = {
    NoNewPrivileges = true;
    ProtectSystem = "full";
    ProtectHome = false;
  };
in
{
  options.services.mcp-agent = {
    enable = mkEnableOption "the mcp agent (container control plane node agent, rootless podman)";

    package = mkOption {
      type = types.package;
      default = pkgs.callPackage ./package.nix { };
      defaultText = lib.literalExpression "pkgs.callPackage ./nix/package.nix { }";
      description = "The mcp package (its bin/mcp is both the agent and the CLI).";
    };

    user = mkOption {
      type = types.str;
      default = "mcp";
      description = "The unprivileged user the agent and its rootless podman run as.";
    };

    group = mkOption {
      type = types.str;
      default = "mcp";
      description = "The agent user's group; it may also write to srvRoot.";
    };

    uid = mkOption {
      type = types.nullOr types.int;
      default = null;
      description = "A fixed uid for the user (null: allocated). When set, XDG_RUNTIME_DIR is written into the units.";
    };

    home = mkOption {
      type = types.str;
      default = "/srv/mcp";
      description = "The user's home: the agent config, certs/, the registry, backups/, podman's storage.";
    };

    srvRoot = mkOption {
      type = types.str;
      default = "/srv";
      description = ''
        Where service data directories live (`[agent] srv_root`). Made group-writable
        for the agent's group with the sticky bit: snapshots and restores stage
        directories there and rename service directories.
      '';
    };

    configFile = mkOption {
      type = types.str;
      default = "${cfg.home}/mcp-agent.toml";
      defaultText = lib.literalExpression ''"''${config.services.mcp-agent.home}/mcp-agent.toml"'';
      description = "The agent's config, as written by `mcp agent init --dir <home>`.";
    };

    environment = mkOption {
      type = types.attrsOf types.str;
      default = { };
      example = {
        MCP_LOG_LEVEL = "debug";
        MCP_MONITOR_ALERT_COMMAND = ''["/run/current-system/sw/bin/notify-ops"]'';
      };
      description = "Extra environment of the agent: `MCP_<SECTION>_<KEY>` overrides any key of its config.";
    };

    openFirewall = mkOption {
      type = types.bool;
      default = false;
      description = "Open port in the firewall (the agent's `[server] listen` port).";
    };

    port = mkOption {
      type = types.port;
      default = 9444;
      description = "The agent's port, for openFirewall.";
    };

    backup = {
      enable = mkOption {
        type = types.bool;
        default = true;
        description = "Back up the registry with `mcp agent snapshot` on a timer (newest 7 kept in <home>/backups).";
      };
      schedule = mkOption {
        type = types.str;
        default = "daily";
        description = "When to back up (systemd OnCalendar=); a run missed while the node was off is caught up.";
      };
    };
  };

  config = mkIf cfg.enable {
    assertions = [
      {
        assertion = cfg.user != "root";
        message = "services.mcp-agent.user must not be root: the agent runs rootless podman as its own user";
      }
    ];

    virtualisation.podman.enable = mkDefault true;
    environment.systemPackages = [ cfg.package ];

    users.groups.${cfg.group} = { };
    users.users.${cfg.user} = {
      isSystemUser = true;
      group = cfg.group;
      home = cfg.home;
      createHome = false;
      description = "mcp agent";
      # Rootless podman maps container uids into 65536 subordinate ids.
      autoSubUidGidRange = true;
      # logind keeps /run/user/<uid> from boot on, without a login.
      linger = true;
    } // lib.optionalAttrs (cfg.uid != null) { inherit (cfg) uid; };

    systemd.tmpfiles.rules = [
      "d ${cfg.srvRoot} 1775 root ${cfg.group} -"
      "d ${cfg.home} 0700 ${cfg.user} ${cfg.group} -"
      "d ${cfg.home}/certs 0700 ${cfg.user} ${cfg.group} -"
      "d ${cfg.home}/backups 0700 ${cfg.user} ${cfg.group} -"
    ];

    networking.firewall.allowedTCPPorts = lib.optional cfg.openFirewall cfg.port;

    systemd.services.mcp-agent = {
      description = "mcp agent (container control plane node agent)";
      wantedBy = [ "multi-user.target" ];
      # /run/user/<uid> (XDG_RUNTIME_DIR) must exist before the agent starts at
      # boot: lingering makes it, but nothing orders the two (found with a real
      # reboot, test/ops/reboot.e2e.test.ts; install.sh writes the same drop-in).
      after = [
        "network-online.target"
        "systemd-user-sessions.service"
      ] ++ lib.optional (cfg.uid != null) "user-runtime-dir@${toString cfg.uid}.service";
      wants = [ "network-online.target" ] ++ lib.optional (cfg.uid != null) "user-runtime-dir@${toString cfg.uid}.service";
      # The listen address may appear late (a VPN interface): keep retrying.
      startLimitIntervalSec = 0;
      inherit environment;
      serviceConfig = hardening // {
        Type = "simple";
        User = cfg.user;
        Group = cfg.group;
        WorkingDirectory = cfg.home;
        # "+": without User= and NoNewPrivileges=, so that newuidmap works;
        # podman's pause process then holds the user namespace that every
        # podman call of the agent joins.
        ExecStartPre = "+${withRuntimeDir} ${pkgs.util-linux}/bin/setpriv --reuid=${cfg.user} --regid=${cfg.group} --init-groups ${podman}/bin/podman unshare true";
        ExecStart = "${withRuntimeDir} ${mcp} agent --config ${cfg.configFile}";
        # SIGHUP: the agent reads its TLS certificate, key and client CA again.
        ExecReload = "${pkgs.coreutils}/bin/kill -HUP $MAINPID";
        Restart = "on-failure";
        RestartSec = "5s";
        RestartPreventExitStatus = "2";
        # Stopping or restarting the agent never stops containers (SPEC §5.10).
        KillMode = "process";
        TimeoutStopSec = "30s";
        LimitNOFILE = 65536;
      };
    };

    systemd.services.mcp-agent-backup = mkIf cfg.backup.enable {
      description = "mcp agent registry backup";
      inherit environment;
      unitConfig.ConditionPathExists = cfg.configFile;
      serviceConfig = hardening // {
        Type = "oneshot";
        User = cfg.user;
        Group = cfg.group;
        WorkingDirectory = cfg.home;
        ExecStart = "${withRuntimeDir} ${mcp} agent snapshot --config ${cfg.configFile}";
        Nice = 10;
        IOSchedulingClass = "idle";
        PrivateTmp = true;
        PrivateDevices = true;
      };
    };

    systemd.timers.mcp-agent-backup = mkIf cfg.backup.enable {
      description = "Daily mcp agent registry backup";
      wantedBy = [ "timers.target" ];
      timerConfig = {
        OnCalendar = cfg.backup.schedule;
        Persistent = true;
        RandomizedDelaySec = "15m";
        AccuracySec = "1m";
      };
    };
  };
}
