// A small, safe Markdown subset for lesson instructions written by someone else (a shared link):
// headings (#, ##, ###), paragraphs, "-"/"*" and "1." lists, **bold**, *emphasis*, `code` and
// [links](https://…). Parsed into plain data that components render as text nodes — there is no
// HTML path at all, so markup in the source shows as text and no link runs script. Pure.
// Why not a Markdown library plus a sanitiser: either emits HTML to sanitise and inject; this
// subset is what lesson instructions need, and rendering data as text cannot be bypassed.

export type Inline =
  | { kind: 'text'; text: string }
  | { kind: 'strong'; children: Inline[] }
  | { kind: 'em'; children: Inline[] }
  | { kind: 'code'; text: string }
  | { kind: 'link'; href: string; children: Inline[] };

export type Block =
  | { kind: 'heading'; level: 1 | 2 | 3; children: Inline[] }
  | { kind: 'paragraph'; children: Inline[] }
  | { kind: 'list'; ordered: boolean; items: Inline[][] };

/** Links kept as links: http(s) and mailto only (javascript:, data:, relative paths stay text). */
export function safeHref(href: string): string | null {
  try {
    const u = new URL(href);
    return u.protocol === 'https:' || u.protocol === 'http:' || u.protocol === 'mailto:' ? u.href : null;
  } catch {
    return null;
  }
}

export function parseMarkdown(source: string): Block[] {
  const blocks: Block[] = [];
  let para: string[] = [];
  let list: { ordered: boolean; items: string[] } | null = null;
  const flush = () => {
    if (para.length) blocks.push({ kind: 'paragraph', children: parseInline(para.join(' ')) });
    para = [];
    if (list) blocks.push({ kind: 'list', ordered: list.ordered, items: list.items.map(parseInline) });
    list = null;
  };
  for (const raw of source.replace(/\r\n?/g, '\n').split('\n')) {
    const line = raw.trim();
    const heading = /^(#{1,3})\s+(.*)$/.exec(line);
    const bullet = /^[-*]\s+(.*)$/.exec(line);
    const numbered = /^\d{1,3}[.)]\s+(.*)$/.exec(line);
    if (!line) flush();
    else if (heading) {
      flush();
      blocks.push({ kind: 'heading', level: heading[1].length as 1 | 2 | 3, children: parseInline(heading[2]) });
    } else if (bullet || numbered) {
      const ordered = !!numbered;
      if (para.length || (list && list.ordered !== ordered)) flush();
      list ??= { ordered, items: [] };
      list.items.push((bullet ?? numbered)![1]);
    } else if (list) list.items[list.items.length - 1] += ` ${line}`;
    else para.push(line);
  }
  flush();
  return blocks;
}

/** Inline spans, left to right; an unmatched marker stays literal text. */
export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  const push = (t: string) => {
    if (!t) return;
    const last = out[out.length - 1];
    if (last?.kind === 'text') last.text += t;
    else out.push({ kind: 'text', text: t });
  };
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    let m: RegExpExecArray | null;
    if ((m = /^`([^`]+)`/.exec(rest))) out.push({ kind: 'code', text: m[1] });
    else if ((m = /^\*\*(.+?)\*\*/.exec(rest))) out.push({ kind: 'strong', children: parseInline(m[1]) });
    else if ((m = /^\*([^*\s](?:[^*]*[^*\s])?)\*/.exec(rest))) out.push({ kind: 'em', children: parseInline(m[1]) });
    else if ((m = /^\[([^\]]+)\]\(([^)\s]+)\)/.exec(rest))) {
      const href = safeHref(m[2]);
      if (href) out.push({ kind: 'link', href, children: parseInline(m[1]) });
      else push(m[0]);
    } else {
      const next = rest.slice(1).search(/[`*[]/);
      const take = next < 0 ? rest.length : next + 1;
      push(rest.slice(0, take));
      i += take;
      continue;
    }
    i += m[0].length;
  }
  return out;
}
