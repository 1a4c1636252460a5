import test from "ava";
import { Utf8Stream } from "../../src/xml/utf8-stream.js";

/** Decode `chunks` in order; the text, or the index of the chunk where the bytes were found not to be UTF-8. */
function ours(chunks: Buffer[]): { text: string } | { failedAt: number } {
  const d = new Utf8Stream();
  let text = "";
  for (let i = 0; i < chunks.length; i++) {
    const s = d.decode(chunks[i]!);
    if (s === null) return { failedAt: i };
    text += s;
  }
  return { text };
}

/** The reference: WHATWG TextDecoder, fatal, in streaming mode (what the parser used before). */
function reference(chunks: Buffer[]): { text: string } | { failedAt: number } {
  const d = new TextDecoder("utf-8", { fatal: true });
  let text = "";
  for (let i = 0; i < chunks.length; i++) {
    try {
      text += d.decode(chunks[i]!, { stream: true });
    } catch {
      return { failedAt: i };
    }
  }
  return { text };
}

const split = (bytes: Buffer, cuts: number[]) => {
  const out: Buffer[] = [];
  let at = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) { out.push(bytes.subarray(at, c)); at = c; }
  out.push(bytes.subarray(at));
  return out;
};

test("every split of well-formed text decodes to the same text", (t) => {
  const text = "\uFEFF<a>é€𝄞 ü ß 中文 😀</a>";
  const bytes = Buffer.from(text, "utf8");
  for (let i = 0; i <= bytes.length; i++) {
    for (let j = i; j <= bytes.length; j++) {
      t.deepEqual(ours(split(bytes, [i, j])), reference(split(bytes, [i, j])), `cuts ${i} ${j}`);
    }
  }
  t.deepEqual(ours([bytes]), { text: text.slice(1) }, "a leading byte order mark is dropped");
});

test("malformed input fails at the same chunk as TextDecoder, whatever the split", (t) => {
  const bad = [
    [0xff], [0xfe], [0x80], [0xbf], [0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xe0, 0x9f, 0xbf],
    [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xf0, 0x80, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80],
    [0xc3, 0x41], [0xe2, 0x82, 0x41], [0xf0, 0x9f, 0x98, 0x41], [0xe2, 0x82], [0xf0, 0x9f, 0x98],
  ];
  for (const seq of bad) {
    const bytes = Buffer.concat([Buffer.from("<a>x"), Buffer.from(seq), Buffer.from("y</a>")]);
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j++) {
        const cuts = split(bytes, [i, j]);
        t.deepEqual(ours(cuts), reference(cuts), `${Buffer.from(seq).toString("hex")} cut at ${i} ${j}`);
      }
    }
  }
});

test("random byte strings agree with TextDecoder", (t) => {
  let seed = 12345;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const pieces = [[0x41], [0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xf0, 0x9d, 0x84, 0x9e], [0xef, 0xbb, 0xbf], [0xef, 0xbf, 0xbd], [0x80], [0xe0], [0xed, 0xa0], [0xf4], [0xc2]];
  for (let n = 0; n < 3000; n++) {
    const bytes = Buffer.from(Array.from({ length: 1 + rand(8) }, () => pieces[rand(pieces.length)]!).flat());
    const cuts = Array.from({ length: rand(4) }, () => rand(bytes.length + 1));
    t.deepEqual(ours(split(bytes, cuts)), reference(split(bytes, cuts)), bytes.toString("hex"));
  }
});

test("a character held back is not disturbed when the caller reuses its buffer", (t) => {
  const d = new Utf8Stream();
  const buf = Buffer.from([0x61, 0xe2, 0x82]);
  t.is(d.decode(buf), "a");
  buf.fill(0);
  t.is(d.decode(Buffer.from([0xac])), "€");
});

test("U+FFFD sent as such is text; bytes that only decode to U+FFFD are refused", (t) => {
  t.is(new Utf8Stream().decode(Buffer.from("<a>\uFFFD</a>", "utf8")), "<a>\uFFFD</a>");
  t.is(new Utf8Stream().decode(Buffer.from([0x3c, 0x61, 0x3e, 0xef, 0xbf, 0xbd, 0xff, 0x3c, 0x2f, 0x61, 0x3e])), null);
  t.is(new Utf8Stream().decode(Buffer.from([0x3c, 0x61, 0x3e, 0xed, 0xa0, 0x80, 0x3c, 0x2f, 0x61, 0x3e])), null, "a surrogate");
  t.is(new Utf8Stream().decode(Buffer.from([0x3c, 0x61, 0x3e, 0xc0, 0xbc, 0x3c, 0x2f, 0x61, 0x3e])), null, "an overlong '<'");
});
