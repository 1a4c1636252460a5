/**
 * Most of the WAL's checkpointing on a thread of its own. SQLite's automatic checkpoint runs inside the commit that
 * crosses its threshold: copying thousands of pages back into the database file and syncing it stalled the event
 * loop for tens of ms (chat-fixed-rate-archived: p99 delivery latency 20 ms). A worker thread with a connection of
 * its own runs PASSIVE checkpoints every `intervalMs`, which copy what was committed so far alongside the server's
 * writes. The server's connection keeps its automatic checkpoint: only a checkpoint that finds every frame copied
 * lets the next commit start the WAL over, and under a steady stream of commits the worker's, which end with syncs
 * of their own, never catch up (the WAL grew without end when the worker did it all). Now the automatic one finds
 * little left to copy.
 */
import type Database from "better-sqlite3";
import { Worker } from "node:worker_threads";
import { createLogger } from "../../log.js";

const log = createLogger({ component: "storage/sqlite" });

export class BackgroundCheckpointer {
  readonly #worker: Worker;
  #stopping = false;

  constructor(db: Database.Database, intervalMs = 250) {
    this.#worker = new Worker(new URL("./checkpoint-worker.js", import.meta.url), { workerData: { file: db.name, intervalMs } });
    // It never keeps the process alive: a process that ends without closing the storage ends like one without it.
    this.#worker.unref();
    this.#worker.on("error", (err) => {
      // Nothing depends on it: the server's own automatic checkpoints go on.
      if (!this.#stopping) log.warn("background checkpoints stopped", { err });
    });
  }

  /** Stop the worker and close its connection (before the server's, so that closing the last one cleans the WAL). */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    // Held again while stopping: whoever awaits this must see it end.
    this.#worker.ref();
    const exited = new Promise<void>((resolve) => this.#worker.once("exit", () => resolve()));
    this.#worker.postMessage("stop");
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((resolve) => { timer = setTimeout(resolve, 2000); })]);
    clearTimeout(timer);
    await this.#worker.terminate();
  }
}
