/**
 * Worker thread body of `BackgroundCheckpointer` (checkpointer.ts): a connection of its own to the database file,
 * which copies committed WAL frames back into the database every `intervalMs` (PASSIVE checkpoints: they never
 * block the server's connection). Messages from the parent: "stop" (close and exit). To the parent: "ready".
 */
import Database from "better-sqlite3";
import { parentPort, workerData } from "node:worker_threads";

const { file, intervalMs } = workerData as { file: string; intervalMs: number };
const db = new Database(file, { fileMustExist: true });
db.pragma("busy_timeout = 0");
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");

const timer = setInterval(() => {
  try {
    checkpoint.run();
  } catch {
    // SQLITE_BUSY (the server's connection is checkpointing, or starting the WAL over): the next interval will do.
  }
}, intervalMs);

parentPort!.on("message", (msg) => {
  if (msg !== "stop") return;
  clearInterval(timer);
  db.close();
  parentPort!.close();
});
parentPort!.postMessage("ready");
