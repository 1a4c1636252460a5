/**
 * `npm run bench:storage-floor`: what archiving a message costs in SQLite itself, without a server, against the least
 * any SQLite layout could cost. In-process, on a file in a temporary directory (WAL, synchronous NORMAL, as the
 * server runs it), the commit pattern of the chat benchmarks: 50 pairs in turn, each commit holding `batch`
 * messages of one pair, each message archived for both parties. Reports CPU time (user + system) per message:
 *
 * - `one bare row`: one INSERT per message into a table with no index and no text: the floor of any layout that
 *   stores a message at all (a message's archive cost can be no lower);
 * - `two bare rows`: one per party, still without any index: the floor of per-party archives;
 * - `palaver store`: SqliteArchiveStore.appendMany as the server calls it (indexes, ids, full-text text, counters).
 *
 * Compare with chat-closed-loop's figure (routing one message, server CPU per message) of `npm run bench`.
 */
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { openSqliteStorage } from "../src/storage/sqlite/index.js";
import type { ArchiveAppendTo } from "../src/storage/types.js";

const PAIRS = 50;
const MESSAGES = Number(process.env.MESSAGES ?? 200_000);
const BODY = "12789671 The quick brown fox jumps over the lazy dog; 0123456789.";
const XML = `<message to="u1@localhost/bench1" type="chat" id="m243999" from="u0@localhost/bench0"><body>${BODY}</body></message>`;

type Writer = (pair: number, batch: number) => void;

function cpuPerMessage(write: Writer, batch: number): number {
  const messages = batch === 1 ? MESSAGES / 10 : MESSAGES;
  const start = process.cpuUsage();
  for (let n = 0; n < messages / batch; n++) write(n % PAIRS, batch);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / messages;
}

function bareRows(file: string, rowsPerMessage: 1 | 2): Writer {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec("CREATE TABLE m (seq INTEGER PRIMARY KEY, when_ms INTEGER NOT NULL, value TEXT NOT NULL)");
  const insert = db.prepare("INSERT INTO m (when_ms, value) VALUES (?, ?)");
  const value = JSON.stringify(XML);
  return db.transaction((_pair: number, batch: number) => {
    const when = Date.now();
    for (let i = 0; i < batch * rowsPerMessage; i++) insert.run(when, value);
  });
}

function palaverStore(file: string): Writer {
  const archive = openSqliteStorage(file).archive("mam/archive");
  return (pair, batch) => {
    const [a, b] = [`u${2 * pair}@localhost`, `u${2 * pair + 1}@localhost`];
    const when = Date.now();
    const items: ArchiveAppendTo[] = [];
    for (let i = 0; i < batch; i++) {
      items.push({ owner: a, item: { when, with: b, value: XML, text: BODY } });
      items.push({ owner: b, item: { when, with: a, value: XML, text: BODY } });
    }
    // SQLite runs it synchronously: the promise is settled when appendMany returns.
    void archive.appendMany!(items);
  };
}

const dir = mkdtempSync(join(os.tmpdir(), "palaver-storage-floor-"));
try {
  const layouts: [string, (file: string) => Writer][] = [
    ["one bare row per message", (f) => bareRows(f, 1)],
    ["two bare rows per message", (f) => bareRows(f, 2)],
    ["palaver store (two items)", palaverStore],
  ];
  console.log(`CPU per archived message (µs), ${MESSAGES.toLocaleString("en")} messages over ${PAIRS} pairs (a tenth with 1 per commit)`);
  console.log("| layout | 20 messages per commit | 1 message per commit |\n| --- | ---: | ---: |");
  for (const [name, open] of layouts) {
    const figures = [20, 1].map((batch, i) => cpuPerMessage(open(join(dir, `${name.split(" ")[0]}-${i}.db`)), batch));
    console.log(`| ${name} | ${figures.map((f) => f.toFixed(2)).join(" | ")} |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
