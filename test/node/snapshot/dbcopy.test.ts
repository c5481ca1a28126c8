// The database copy of snapshots never goes through a symlink (issue 13).
import { afterEach, beforeEach, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { isMcpError } from "../../../src/lib/errors.ts";
import { copyDatabase } from "../../../src/node/snapshot/_dbcopy.ts";
import { tempDir } from "../../support/mcp.ts";

let root: string;
let app: string;
beforeEach(() => {
  root = tempDir("mcp-dbcopy-");
  app = join(root, "app");
  mkdirSync(join(app, "data"), { recursive: true });
  mkdirSync(join(root, "agent"));
  const db = new Database(join(root, "agent", "mcp.db"));
  db.exec("CREATE TABLE secrets (v); INSERT INTO secrets VALUES ('token')");
  db.close();
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const attempt = (rel: string) => {
  const copy = join(root, `copy-${Math.random()}.db`);
  try {
    copyDatabase(app, rel, copy);
    return "copied";
  } catch (err) {
    expect(existsSync(copy)).toBe(false);
    return isMcpError(err, "failed_precondition") ? err.message : String(err);
  }
};

test("a database reached through a symlinked directory, or a symlink itself, is refused and nothing is copied", () => {
  symlinkSync("../agent", join(app, "link"));
  symlinkSync("../../agent/mcp.db", join(app, "data", "mcp.db"));
  expect(attempt("link/mcp.db")).toMatch(/the database "link\/mcp\.db" is refused: "link" on its path is a symlink or not a directory/);
  expect(attempt("data/mcp.db")).toMatch(/the database "data\/mcp\.db" is refused: it is not a regular file/);
});

test("a plain database is copied, consistent, and its lstat returned", () => {
  const db = new Database(join(app, "data", "app.db"));
  db.exec("PRAGMA journal_mode = WAL; CREATE TABLE t (v); INSERT INTO t VALUES (1)");
  const copy = join(root, "app-copy.db");
  const st = copyDatabase(app, "data/app.db", copy);
  db.close();
  expect(st.isFile()).toBe(true);
  const back = new Database(copy, { readonly: true });
  expect(back.query("SELECT v FROM t").all()).toEqual([{ v: 1 }]);
  back.close();
});
