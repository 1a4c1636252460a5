/** The file store on a real directory and database: commit once, usage, expiry in time order, account removal. */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { configureLogging, createLogger } from "../../src/log.js";
import { openSqliteStorage } from "../../src/storage/sqlite/index.js";
import type { Storage } from "../../src/storage/types.js";
import { FileStore, type FileMeta } from "./store.js";

let dir: string;
let storage: Storage;
let store: FileStore;
const id = (n: number) => `${"f".repeat(30)}${String(n).padStart(2, "0")}`;
const meta = (owner: string, size: number, expires: number | null): FileMeta => ({ owner, name: "x.bin", size, type: "application/octet-stream", created: 0, expires });

/** A complete upload of `size` bytes as the HTTP side leaves it before committing. */
async function upload(n: number, m: FileMeta): Promise<boolean> {
  writeFileSync(store.partialPath(id(n)), Buffer.alloc(m.size));
  return store.commit(id(n), m);
}

test.before(async () => {
  configureLogging("error");
  dir = mkdtempSync(join(tmpdir(), "palaver-upload-"));
  storage = openSqliteStorage(join(dir, "db.sqlite"));
  store = new FileStore(join(dir, "files"), storage.map("upload/files"), storage.map("upload/usage"), storage.archive("upload/expiry"), createLogger());
  await store.init();
});

test.after.always(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

test.serial("a slot's file is committed once; the second commit finds it used", async (t) => {
  t.true(await upload(1, meta("a@x", 10, null)));
  t.true(existsSync(store.path(id(1))));
  t.false(existsSync(store.partialPath(id(1))));
  t.false(await upload(1, meta("a@x", 10, null)));
  t.false(existsSync(store.partialPath(id(1))), "the losing partial file is removed");
  t.is((await store.get(id(1)))!.size, 10);
});

test.serial("paths only for ids of the right form", (t) => {
  t.throws(() => store.path("../../etc/passwd"));
  t.throws(() => store.partialPath("a/b"));
});

test.serial("usage per user, and files expire in time order, whatever order they were uploaded in", async (t) => {
  await upload(2, meta("b@x", 100, 5000));
  await upload(3, meta("b@x", 200, 3000));
  await upload(4, meta("b@x", 400, 9000));
  t.deepEqual(await store.usageOf("b@x"), { bytes: 700, nextExpiry: 3000 });
  t.is(await store.expire(2999), 0);
  t.is(await store.expire(5000), 2);
  t.deepEqual(await store.usageOf("b@x"), { bytes: 400, nextExpiry: 9000 });
  t.false(existsSync(store.path(id(2))));
  t.false(existsSync(store.path(id(3))));
  t.true(existsSync(store.path(id(4))));
  t.is(await store.get(id(3)), undefined);
  t.is(await store.expire(8999), 0, "the log of removed files is gone too");
  t.is(await store.expire(9000), 1);
});

test.serial("a deleted account's files are removed", async (t) => {
  await upload(5, meta("c@x", 1, null));
  await upload(6, meta("c@x", 2, 10_000));
  await store.removeUser("c@x");
  t.deepEqual(await store.usageOf("c@x"), { bytes: 0, nextExpiry: null });
  t.false(existsSync(store.path(id(5))));
  t.is(await store.get(id(6)), undefined);
  t.is(await store.expire(10_000), 0, "its expiry entry finds nothing left to remove");
});

test.serial("uploads interrupted by a stop leave nothing behind", async (t) => {
  writeFileSync(store.partialPath(id(7)), "half");
  await store.init();
  t.false(existsSync(store.partialPath(id(7))));
});
