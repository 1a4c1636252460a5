/**
 * Every scenario, in the order a full run takes them. A new scenario: a file in this folder exporting a
 * `Scenario`, and a line here. Those needing an optional server feature (message archiving) come last, so a full
 * run restarts each server once.
 */
import { archivePage } from "./archive-page.js";
import { chatClosedLoop, chatClosedLoopArchived, chatWebsocket } from "./chat-closed-loop.js";
import { chatFixedRate, chatFixedRateArchived } from "./chat-fixed-rate.js";
import { idleTcp, idleTls } from "./idle.js";
import { loginPlain, loginScramSha1, loginScramSha256 } from "./login.js";
import { mucFanout } from "./muc-fanout.js";
import { presenceLogin } from "./presence-login.js";
import { register } from "./register.js";
import type { Scenario } from "./types.js";

export const SCENARIOS: readonly Scenario[] = [
  register,
  loginPlain,
  loginScramSha1,
  loginScramSha256,
  chatFixedRate,
  chatClosedLoop,
  chatWebsocket,
  idleTcp,
  idleTls,
  mucFanout,
  presenceLogin,
  chatClosedLoopArchived,
  chatFixedRateArchived,
  archivePage,
];
