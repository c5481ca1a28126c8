# The mcp binary, built from this checkout and the locked npm dependencies.
#
#   mcp = pkgs.callPackage ./nix/package.nix { };
#
# Two steps, because package-lock.json carries integrity hashes but no
# `resolved` URLs (so fetchNpmDeps/buildNpmPackage cannot read it):
#  1. node_modules: a fixed-output derivation that runs `npm ci --omit=dev
#     --ignore-scripts` against the lock (network allowed, output pinned by
#     nodeModulesHash; only the runtime dependencies are needed, because
#     src/gen/ is committed and Bun compiles TypeScript itself).
#  2. the binary: `bun scripts/build.ts` (bun build --compile, bytecode, never
#     reading .env or bunfig.toml at run time), offline.
#
# nodeModulesHash is the NAR hash of node_modules without .package-lock.json,
# computed with npm 11 on Debian (`nix hash path node_modules`). After
# changing package-lock.json, build once with lib.fakeHash and take the hash
# that Nix reports.
#
# The compiled binary is Bun's own executable with the program appended:
# stripping or patchelf would cut the program off (BUN-NOTES.md), so fixup
# leaves it alone; it keeps the interpreter of the bun that built it, which
# on NixOS is already the store's glibc.
{
  lib,
  stdenvNoCC,
  bun,
  nodejs,
  cacert,
  nodeModulesHash ? "sha256-9nc+81b89TLOKKxYIKW2AkiKizpJ9UseNWioV0uGXd0=",
}:

let
  packageJson = lib.importJSON ../package.json;
  lockedBun = packageJson.devDependencies.bun;

  # Only what the build reads: no node_modules, dist, demo state or tests.
  src = lib.cleanSourceWith {
    name = "mcp-source";
    src = ../.;
    filter =
      path: type:
      let
        rel = lib.removePrefix (toString ../. + "/") (toString path);
        top = lib.head (lib.splitString "/" rel);
      in
      lib.elem top [
        "src"
        "scripts"
        "deploy"
        "docs"
        "examples"
        "package.json"
        "package-lock.json"
        "tsconfig.json"
        "RUNBOOK.md"
        "README.md"
      ];
  };

  nodeModules = stdenvNoCC.mkDerivation {
    pname = "mcp-node-modules";
    inherit (packageJson) version;
    inherit src;
    nativeBuildInputs = [ nodejs ];
    dontConfigure = true;
    buildPhase = ''
      runHook preBuild
      export HOME=$TMPDIR
      npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error
      rm -f node_modules/.package-lock.json
      runHook postBuild
    '';
    installPhase = ''
      runHook preInstall
      mkdir -p $out
      cp -R node_modules $out/node_modules
      runHook postInstall
    '';
    dontFixup = true;
    SSL_CERT_FILE = "${cacert}/etc/ssl/certs/ca-bundle.crt";
    impureEnvVars = lib.fetchers.proxyImpureEnvVars ++ [ "NPM_CONFIG_REGISTRY" ];
    outputHashMode = "recursive";
    outputHashAlgo = "sha256";
    outputHash = nodeModulesHash;
  };
in
lib.warnIf (bun.version != lockedBun)
  "mcp: building with bun ${bun.version}; package.json pins ${lockedBun} (the version measured in BUN-NOTES.md)"
  stdenvNoCC.mkDerivation
  {
    pname = "mcp";
    inherit (packageJson) version;
    inherit src;
    nativeBuildInputs = [ bun ];
    dontConfigure = true;

    buildPhase = ''
      runHook preBuild
      export HOME=$TMPDIR
      ln -s ${nodeModules}/node_modules node_modules
      bun scripts/build.ts --outfile dist/mcp
      runHook postBuild
    '';

    doInstallCheck = true;
    installCheckPhase = ''
      $out/bin/mcp version
    '';

    installPhase = ''
      runHook preInstall
      install -Dm755 dist/mcp $out/bin/mcp
      install -Dm644 -t $out/share/mcp/systemd deploy/systemd/*
      install -Dm644 -t $out/share/mcp/examples examples/*.toml
      install -Dm644 -t $out/share/doc/mcp README.md
      if [ -f RUNBOOK.md ]; then install -Dm644 -t $out/share/doc/mcp RUNBOOK.md; fi
      if [ -f docs/bootstrap.md ]; then install -Dm644 -t $out/share/doc/mcp docs/bootstrap.md; fi
      runHook postInstall
    '';

    dontStrip = true;
    dontPatchELF = true;
    dontPatchShebangs = true;

    passthru = { inherit nodeModules; };

    meta = {
      description = "Control plane for the containers of a small fleet of rootless podman nodes";
      mainProgram = "mcp";
      platforms = [
        "x86_64-linux"
        "aarch64-linux"
      ];
    };
  }
