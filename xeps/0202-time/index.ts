import { xml } from "@xmpp/xml";
import { defineModule } from "../../src/modules.js";

const NS = "urn:xmpp:time";

/** The server's offset from UTC as XEP-0082 §3 writes it ("+01:00", "-05:30", "Z" never used here). */
export function timezoneOffset(date: Date): string {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/** UTC time with second precision, XEP-0082 DateTime profile. */
export function utcDateTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** XEP-0202 Entity Time: the server's time and time zone offset (§3). */
export default defineModule({
  id: "time",
  xeps: [{ xep: 202, version: "2.0", status: "complete" }],
  disco: { features: [NS] },
  setup(api) {
    api.iq("get", NS, "time", () => {
      const now = new Date();
      return xml("time", { xmlns: NS }, xml("tzo", null, timezoneOffset(now)), xml("utc", null, utcDateTime(now)));
    }, { to: "host" });
  },
});
