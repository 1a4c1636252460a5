/**
 * Every module Palaver ships. The config enables them by id under `modules:`; the core knows none of them.
 */
import type { ModuleDef } from "../src/modules.js";
import disco from "./0030-disco/index.js";
import last from "./0012-last/index.js";
import register from "./0077-register/index.js";
import version from "./0092-version/index.js";
import ping from "./0199-ping/index.js";
import time from "./0202-time/index.js";
import addressing from "./0033-addressing/index.js";
import offline from "./0160-offline/index.js";
import carbons from "./0280-carbons/index.js";
import stanzaId from "./0359-stanza-id/index.js";
import mam from "./0313-mam/index.js";
import vcard from "./0054-vcard/index.js";
import privateStorage from "./0049-private/index.js";
import blocking from "./0191-blocking/index.js";
import search from "./0055-search/index.js";
import caps from "./0115-caps/index.js";
import pep from "./0163-pep/index.js";
import externalServices from "./0215-external-services/index.js";
import upload from "./0363-upload/index.js";
import push from "./0357-push/index.js";
import bookmarks from "./0402-bookmarks/index.js";
import avatarConversion from "./0084-avatar/index.js";
import sm from "./0198-sm/index.js";
import csi from "./0352-csi/index.js";
import muc from "./0045-muc/index.js";

export const catalog: readonly ModuleDef<any>[] = [disco, last, register, version, ping, time,
  offline, carbons, stanzaId, addressing, mam,
  vcard, privateStorage, blocking, search, caps,
  pep, bookmarks, avatarConversion, externalServices, sm, csi, upload, push, muc];
