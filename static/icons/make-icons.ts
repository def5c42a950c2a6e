// Renders the app's PNG icons (192, 512 and a 512 maskable) from static/favicon.svg with resvg.
// Run by hand when the SVG changes: `npx tsx static/icons/make-icons.ts`; the PNGs are committed.
// The maskable one draws the mark inside the central 60 % on a full-bleed background (the safe zone).
import { Resvg } from '@resvg/resvg-js';
import { readFileSync, writeFileSync } from 'node:fs';

const here = new URL('.', import.meta.url);
const svg = readFileSync(new URL('../favicon.svg', here), 'utf8');
const inner = svg.replace(/^<svg[^>]*>/, '').replace(/<\/svg>\s*$/, '');
const maskable = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" fill="#0f172a"/><g transform="translate(12.8 12.8) scale(0.6)">${inner}</g></svg>`;

function render(source: string, sizePx: number, name: string): void {
  const png = new Resvg(source, { fitTo: { mode: 'width', value: sizePx } }).render().asPng();
  writeFileSync(new URL(name, here), png);
}
render(svg, 192, 'icon-192.png');
render(svg, 512, 'icon-512.png');
render(maskable, 512, 'icon-maskable-512.png');
