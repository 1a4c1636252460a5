/**
 * A bar chart of the key ratios, as a standalone SVG: for each scenario's headline figure (server CPU per
 * unit of work, memory per session), each other server's value divided by the baseline's, on a log scale
 * centred on 1. A bar to the right of 1 means the baseline uses less.
 */
import { fmt, fmtRatio, type RunReport } from "./results.js";

const COLORS = ["#d9822b", "#2b83ba", "#7b3294", "#1a9641", "#d7191c"];
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

interface Row { label: string; sub: string; bars: { server: string; ratio: number }[] }

export function svgChart(report: RunReport): string {
  const servers = report.servers.filter((s) => !s.error).map((s) => s.name);
  const others = servers.filter((s) => s !== report.baseline);
  const rows: Row[] = [];
  for (const sc of [...new Set(report.runs.map((r) => r.scenario))]) {
    const base = report.runs.find((r) => r.scenario === sc && r.server === report.baseline);
    const head = base?.metrics.find((m) => m.headline);
    if (!base || !head || !(head.value > 0)) continue;
    const bars = others.flatMap((o) => {
      const v = report.runs.find((r) => r.scenario === sc && r.server === o)?.metrics.find((m) => m.id === head.id)?.value;
      return v !== undefined && v > 0 ? [{ server: o, ratio: v / head.value }] : [];
    });
    if (bars.length) rows.push({ label: sc, sub: `${head.label}: ${report.baseline} ${fmt(head.value)} ${head.unit}`, bars });
  }

  const W = 860, left = 290, right = 70, top = 64, barH = 16, gap = 4, groupGap = 16;
  const ratios = rows.flatMap((r) => r.bars.map((b) => b.ratio));
  let lo = -2, hi = 2; // log2 range, at least 1/4 .. 4
  for (const r of ratios) { lo = Math.min(lo, Math.floor(Math.log2(r))); hi = Math.max(hi, Math.ceil(Math.log2(r))); }
  const plotW = W - left - right;
  const x = (ratio: number) => left + ((Math.log2(ratio) - lo) / (hi - lo)) * plotW;
  let y = top;
  const parts: string[] = [];
  for (const row of rows) {
    const groupH = row.bars.length * (barH + gap) - gap;
    parts.push(`<text x="${left - 10}" y="${y + groupH / 2 - 2}" text-anchor="end" font-weight="bold">${esc(row.label)}</text>`);
    parts.push(`<text x="${left - 10}" y="${y + groupH / 2 + 12}" text-anchor="end" font-size="10" fill="#555">${esc(row.sub)}</text>`);
    row.bars.forEach((b, i) => {
      const by = y + i * (barH + gap);
      const x0 = x(1), x1 = x(b.ratio);
      const color = COLORS[others.indexOf(b.server) % COLORS.length];
      parts.push(`<rect x="${Math.min(x0, x1).toFixed(1)}" y="${by}" width="${Math.max(1, Math.abs(x1 - x0)).toFixed(1)}" height="${barH}" fill="${color}"><title>${esc(`${b.server} ÷ ${report.baseline}: ${b.ratio.toFixed(3)}`)}</title></rect>`);
      // Labels go right of the bar's end, or right of the 1× line for bars that go left.
      const tx = Math.max(x0, x1) + 4;
      parts.push(`<text x="${tx.toFixed(1)}" y="${by + barH - 4}" font-size="11">${esc(`${fmtRatio(b.ratio)} ${b.server}`)}</text>`);
    });
    y += groupH + groupGap;
  }
  const H = Math.max(y, top + 40) + 40;
  const grid: string[] = [];
  for (let e = lo; e <= hi; e++) {
    const gx = x(2 ** e);
    grid.push(`<line x1="${gx.toFixed(1)}" y1="${top - 8}" x2="${gx.toFixed(1)}" y2="${H - 32}" stroke="${e === 0 ? "#000" : "#ddd"}" stroke-width="${e === 0 ? 1.5 : 1}"/>`);
    grid.push(`<text x="${gx.toFixed(1)}" y="${H - 18}" text-anchor="middle" font-size="11" fill="#555">${e >= 0 ? `${2 ** e}×` : `1/${2 ** -e}`}</text>`);
  }
  const legend = others.map((o, i) => `<rect x="${left + i * 140}" y="34" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/><text x="${left + i * 140 + 16}" y="44" font-size="12">${esc(o)} ÷ ${esc(report.baseline)}</text>`).join("");
  const empty = rows.length === 0 ? `<text x="${W / 2}" y="${top + 20}" text-anchor="middle" fill="#555">No ratios: run at least two servers.</text>` : "";
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
<text x="12" y="20" font-size="15" font-weight="bold">${esc(`Server cost relative to ${report.baseline} (log scale; right of 1×: ${report.baseline} uses less)`)}</text>
${legend}
${grid.join("\n")}
${parts.join("\n")}
${empty}
<text x="12" y="${H - 4}" font-size="10" fill="#777">${esc(`${report.date}${report.quick ? " (quick)" : ""} · ${report.servers.map((s) => `${s.name} ${s.version ?? ""}`).join(" · ")}`)}</text>
</svg>
`;
}
