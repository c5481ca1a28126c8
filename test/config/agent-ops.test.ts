// [prune], [metrics] and [[notify]] in the agent config: defaults, and hostile values refused with a located error that never echoes a URL or header value.
import { describe, expect, test } from "bun:test";
import { parseAgentConfig } from "../../src/config/index.ts";
import { isMcpError, type McpError } from "../../src/lib/errors.ts";

const PATH = "/srv/mcp/mcp-agent.toml";
const MINIMAL = `[server]
listen = "127.0.0.1:9444"
tls_cert = "/srv/mcp/certs/cert.pem"
tls_key = "/srv/mcp/certs/key.pem"

[agent]
node_name = "rift"

[database]
path = "/srv/mcp/mcp.db"
`;
const parse = (extra: string, env: Record<string, string> = {}) => parseAgentConfig(`${MINIMAL}${extra}`, PATH, { home: "/srv/mcp", env });
function failure(extra: string): McpError {
  try {
    parse(extra);
  } catch (err) {
    if (isMcpError(err)) return err;
    throw err;
  }
  throw new Error("expected an McpError");
}

describe("[prune], [metrics], [[notify]]", () => {
  test("absent: keep 3, metrics off, no channels", () => {
    const cfg = parse("");
    expect(cfg.prune).toEqual({ keep: 3 });
    expect(cfg.metrics).toBeNull();
    expect(cfg.notify).toEqual([]);
  });

  test("written: values, defaults of each channel, paths resolved against the config's directory; env overrides for [metrics] and [prune]", () => {
    const cfg = parse(`
[prune]
keep = 5

[metrics]
listen = "127.0.0.1:9464"

[[notify]]
url = "https://hooks.example.net/mcp"

[[notify]]
url = "https://ntfy.example.net/ops"
kind = "ntfy"
token_file = "ntfy-token"
ca_cert = "certs/ntfy-ca.pem"
headers = { "X-Team" = "ops" }
timeout = "3s"
`);
    expect(cfg.prune.keep).toBe(5);
    expect(cfg.metrics).toEqual({ listen: "127.0.0.1:9464" });
    expect(cfg.notify).toEqual([
      { url: "https://hooks.example.net/mcp", kind: "webhook", tokenFile: "", caCert: "", headers: {}, timeoutMs: 10_000 },
      { url: "https://ntfy.example.net/ops", kind: "ntfy", tokenFile: "/srv/mcp/ntfy-token", caCert: "/srv/mcp/certs/ntfy-ca.pem", headers: { "X-Team": "ops" }, timeoutMs: 3000 },
    ]);
    const env = parseAgentConfig(MINIMAL, PATH, { home: "/srv/mcp", env: { MCP_METRICS_LISTEN: "[::1]:9464", MCP_PRUNE_KEEP: "7" } });
    expect(env.metrics).toEqual({ listen: "[::1]:9464" });
    expect(env.prune.keep).toBe(7);
  });

  test("hostile or wrong values: a located error naming the key, never the URL or a header value", () => {
    const big = "A".repeat(5000);
    const cases: [string, string][] = [
      [`\n[[notify]]\nurl = "file:///etc/shadow"\n`, `${PATH}:13: notify[0].url: url must be https:// (not file:)`],
      [`\n[[notify]]\nurl = "gopher://secret-host/x"\n`, `${PATH}:13: notify[0].url: url must be https:// (not gopher:)`],
      [`\n[[notify]]\nurl = "http://hooks.example.net/tk_secret"\n`, `${PATH}:13: notify[0].url: url must be https:// (http:// only to a loopback address: alerts and tokens would cross the network in clear)`],
      [`\n[[notify]]\nurl = "https://user:pa55@hooks.example.net/x"\n`, `${PATH}:13: notify[0].url: url must not hold a user or password (use token_file or headers)`],
      [`\n[[notify]]\nurl = "not a url tk_secret"\n`, `${PATH}:13: notify[0].url: url is not a URL (write it as https://host/path)`],
      [`\n[[notify]]\nurl = "https://h.example.net/x"\nkind = "sms"\n`, `${PATH}:14: notify[0].kind: expected one of "webhook", "ntfy", got "sms"`],
      [`\n[[notify]]\nurl = "https://h.example.net/x"\nheaders = { "X-Big" = "${big}" }\n`, `${PATH}:14: notify[0].headers.X-Big: a header value is at most 1024 bytes`],
      [`\n[[notify]]\nurl = "https://h.example.net/x"\nheaders = { "X-A" = "v\\r\\nX-Injected: tk_secret" }\n`, `${PATH}:14: notify[0].headers.X-A: a header value must not hold line breaks or control characters`],
      [`\n[[notify]]\nurl = "https://h.example.net/x"\nheaders = { "Bad Name" = "v" }\n`, `${PATH}:14: notify[0].headers."Bad Name": a header name is a token (letters, digits, - and a few marks) of at most 64 characters`],
      [`\n[[notify]]\nurl = "https://h.example.net/x"\nheaders = { "Host" = "evil" }\n`, `${PATH}:14: notify[0].headers.Host: this header is mcp's or HTTP's own (use token_file for Authorization)`],
      [`\n[[notify]]\nurl = "https://h.example.net/x"\nheaders = { "Authorization" = "Bearer tk_secret" }\n`, `${PATH}:14: notify[0].headers.Authorization: this header is mcp's or HTTP's own (use token_file for Authorization)`],
      [`\n[[notify]]\nurl = "https://h.example.net/x"\ntimeout = "0s"\n`, `${PATH}:14: notify[0].timeout: must be longer than 0 and at most 24d`],
      [`\n[[notify]]\nurl = "https://h.example.net/x"\nscript = "rm -rf /"\n`, `${PATH}:14: notify[0].script: unknown key`],
      [`\n[metrics]\nlisten = "everywhere"\n`, `${PATH}:13: metrics.listen: "everywhere" is not host:port (e.g. "rift.example.net:9444", "100.95.252.120:9444", "[fd00::1]:9444")`],
      [`\n[metrics]\n`, `${PATH}:12: metrics.listen is required`],
      [`\n[prune]\nkeep = 0\n`, `${PATH}:13: prune.keep: must be at least 1`],
    ];
    for (const [extra, message] of cases) {
      const err = failure(extra);
      expect(err.code).toBe("invalid_argument");
      expect(err.message).toBe(message);
      expect(`${err.message} ${err.hint}`).not.toContain("tk_secret");
      expect(`${err.message} ${err.hint}`).not.toContain("AAAA");
    }
    // Seventeen headers are too many.
    const many = Array.from({ length: 17 }, (_, i) => `"X-${i}" = "v"`).join(", ");
    expect(failure(`\n[[notify]]\nurl = "https://h.example.net/x"\nheaders = { ${many} }\n`).message).toBe(`${PATH}:14: notify[0].headers: at most 16 headers`);
    // [[notify]] cannot come from the environment (it is a list of tables).
    expect(() => parse("", { MCP_NOTIFY_URL: "https://x.example.net" })).toThrow("[[notify]] cannot be set from the environment");
  });
});

describe("the template mcp agent init writes", () => {
  test("its commented-out [prune], [metrics] and [[notify]] blocks parse once uncommented", async () => {
    const { renderAgentConfig } = await import("../../src/config/index.ts");
    const text = renderAgentConfig({ nodeName: "rift", listen: "127.0.0.1:9444", dir: "/srv/mcp", srvRoot: "/srv" });
    const on = text.replace(/^# (\[prune\]|\[metrics\]|\[\[notify\]\]|keep|listen = "127|url|kind|token_file|timeout)/gm, "$1");
    const cfg = parseAgentConfig(on, PATH, { home: "/srv/mcp", env: {} });
    expect(cfg.prune).toEqual({ keep: 3 });
    expect(cfg.metrics).toEqual({ listen: "127.0.0.1:9464" });
    expect(cfg.notify).toEqual([{ url: "https://ntfy.example.net/ops", kind: "ntfy", tokenFile: "/srv/mcp/ntfy-token", caCert: "", headers: {}, timeoutMs: 10_000 }]);
  });
});
