/** The servers the runner knows, by name. A new reference server: an adapter file and a line here. */
import { ejabberd } from "./ejabberd.js";
import { palaver } from "./palaver.js";
import { prosody } from "./prosody.js";
import type { ServerAdapter } from "./types.js";

export const SERVERS: readonly ServerAdapter[] = [palaver, prosody, ejabberd];
