import { describe, expect, test } from "bun:test";
import { isMcpError } from "../../src/lib/errors.ts";
import { parseServiceDef, setActive } from "../../src/servicedef/index.ts";

const WITH_ACTIVE = `# metacrypt: the secrets service
name = "metacrypt"
node = "rift"
  active   =   true    # default true; false = every component desired stopped

[[components]]
name = "api"          # the API
image = "registry.example.net:8443/metacrypt:v1.0.0"
`;

describe("setActive", () => {
  test("replaces the value only, keeping indentation, spacing and the trailing comment", () => {
    const out = setActive(WITH_ACTIVE, false);
    // The comment keeps its column: one space fewer before it.
    expect(out).toBe(WITH_ACTIVE.replace("  active   =   true    #", "  active   =   false   #"));
    expect(parseServiceDef(out, "<stdin>").def.active).toBe(false);
    expect(setActive(out, true)).toBe(WITH_ACTIVE);
  });

  test("a comment with a single space before it keeps that space", () => {
    const text = WITH_ACTIVE.replace("true    #", "true #");
    expect(setActive(text, false)).toBe(WITH_ACTIVE.replace("true    #", "false #"));
    const bare = WITH_ACTIVE.replace("  active   =   true    # default true; false = every component desired stopped", "active=true");
    expect(setActive(bare, false)).toBe(bare.replace("active=true", "active=false"));
  });

  test("is idempotent: the same value gives the text back unchanged", () => {
    expect(setActive(WITH_ACTIVE, true)).toBe(WITH_ACTIVE);
    const stopped = setActive(WITH_ACTIVE, false);
    expect(setActive(stopped, false)).toBe(stopped);
  });

  test("inserts active = false after the top-level node line when absent", () => {
    const text = `# no active flag here\nname = "metacrypt"\nnode = "rift"   # pinned\n\n[[components]]\nname = "api"\nimage = "a:v1"\n`;
    const out = setActive(text, false);
    expect(out).toBe(`# no active flag here\nname = "metacrypt"\nnode = "rift"   # pinned\nactive = false\n\n[[components]]\nname = "api"\nimage = "a:v1"\n`);
    expect(parseServiceDef(out, "<stdin>").def.active).toBe(false);
  });

  test("starting a definition without the flag changes nothing (true is the default)", () => {
    const text = `name = "s"\nnode = "rift"\n\n[[components]]\nname = "api"\nimage = "a:v1"\n`;
    expect(setActive(text, true)).toBe(text);
  });

  test("inserts after name when node comes later, keeping CRLF line endings", () => {
    const text = `name = "s"\r\n\r\n[[components]]\r\nname = "api"\r\nimage = "a:v1"\r\n`.replace('name = "s"\r\n', 'name = "s"\r\nnode = "rift"\r\n');
    const out = setActive(text, false);
    expect(out).toBe(text.replace('node = "rift"\r\n', 'node = "rift"\r\nactive = false\r\n'));
    const reordered = `node = "rift"\r\nname = "s"\r\n\r\n[[components]]\r\nname = "api"\r\nimage = "a:v1"\r\n`;
    expect(setActive(reordered, false)).toBe(reordered.replace('node = "rift"\r\n', 'node = "rift"\r\nactive = false\r\n'));
  });

  test("a component key named like the flag is not touched", () => {
    const text = `name = "s"\nnode = "rift"\n\n[[components]]\nname = "active"\nimage = "a:v1"\n`;
    const out = setActive(text, false);
    expect(out).toBe(text.replace('node = "rift"\n', 'node = "rift"\nactive = false\n'));
  });

  test("a node line at the end of a file without a final newline", () => {
    const text = `name = "s"\ncomponents = [{ name = "api", image = "a:v1" }]\nnode = "rift"`;
    expect(setActive(text, false)).toBe(`${text}\nactive = false\n`);
  });

  test("an invalid definition is refused as invalid_argument", () => {
    try {
      setActive(`name = "s"\n`, false, "svc/s.toml");
      throw new Error("expected an error");
    } catch (err) {
      expect(isMcpError(err, "invalid_argument")).toBe(true);
    }
  });
});
