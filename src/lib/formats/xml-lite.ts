// A tiny XML reader and writer for the small, attribute-light documents in file headers (XDF stream
// headers and footers, LSL stream infos). Pure; runs anywhere. Not a general XML parser: no DTDs,
// namespaces are kept in tag names, attributes are parsed but rarely needed; CDATA and the five
// predefined entities (plus numeric references) are decoded. Throws plain Error on malformed input
// (callers wrap it). The writer emits an element's own text before its children (the model keeps
// no interleaving), which is all these documents use.

export interface XmlElement {
  tag: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Concatenated text directly inside this element (trimmed). */
  text: string;
}

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);/g, (_, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" } as Record<string, string>)[e];
  });
}

/** Parse a document and return its root element. */
export function parseXml(xml: string): XmlElement {
  let i = 0;
  const root: XmlElement = { tag: '#document', attributes: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  const texts: string[][] = [[]];
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    if (lt < 0) {
      texts[texts.length - 1].push(xml.slice(i));
      break;
    }
    if (lt > i) texts[texts.length - 1].push(xml.slice(i, lt));
    if (xml.startsWith('<!--', lt)) {
      const end = xml.indexOf('-->', lt + 4);
      if (end < 0) throw new Error('unterminated comment');
      i = end + 3;
    } else if (xml.startsWith('<![CDATA[', lt)) {
      const end = xml.indexOf(']]>', lt + 9);
      if (end < 0) throw new Error('unterminated CDATA');
      texts[texts.length - 1].push(xml.slice(lt + 9, end).replace(/&/g, '&amp;').replace(/</g, '&lt;'));
      i = end + 3;
    } else if (xml.startsWith('<?', lt) || xml.startsWith('<!', lt)) {
      const end = xml.indexOf('>', lt + 2);
      if (end < 0) throw new Error('unterminated declaration');
      i = end + 1;
    } else if (xml[lt + 1] === '/') {
      const end = xml.indexOf('>', lt);
      if (end < 0) throw new Error('unterminated end tag');
      const tag = xml.slice(lt + 2, end).trim();
      const el = stack.pop();
      const t = texts.pop();
      if (!el || el === root || el.tag !== tag) throw new Error(`unexpected </${tag}>`);
      el.text = decodeEntities(t!.join('')).trim();
      i = end + 1;
    } else {
      const end = xml.indexOf('>', lt);
      if (end < 0) throw new Error('unterminated tag');
      let body = xml.slice(lt + 1, end);
      const selfClosing = body.endsWith('/');
      if (selfClosing) body = body.slice(0, -1);
      const m = /^([^\s/>]+)\s*([\s\S]*)$/.exec(body.trim());
      if (!m) throw new Error('empty tag');
      const attributes: Record<string, string> = {};
      for (const a of m[2].matchAll(/([^\s=]+)\s*=\s*("([^"]*)"|'([^']*)')/g)) attributes[a[1]] = decodeEntities(a[3] ?? a[4] ?? '');
      const el: XmlElement = { tag: m[1], attributes, children: [], text: '' };
      stack[stack.length - 1].children.push(el);
      if (!selfClosing) {
        stack.push(el);
        texts.push([]);
      }
      i = end + 1;
    }
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1].tag}>`);
  if (root.children.length !== 1) throw new Error('expected exactly one root element');
  return root.children[0];
}

/** First child with this tag, following a path like "desc/channels". */
export function child(el: XmlElement | undefined, path: string): XmlElement | undefined {
  let cur = el;
  for (const p of path.split('/')) {
    if (!cur) return undefined;
    cur = cur.children.find((c) => c.tag === p);
  }
  return cur;
}

/** Text of the first child at path ('' if absent). */
export function childText(el: XmlElement | undefined, path: string): string {
  return child(el, path)?.text ?? '';
}

/** An element with text content and no children or attributes. */
export function textElement(tag: string, text: string | number): XmlElement {
  return { tag, attributes: {}, children: [], text: String(text) };
}

function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Serialise an element: `indent` '' writes one line (XDF, LabRecorder style), '\t' one element per
 * line (liblsl style). `selfClose` false writes empty elements as `<a></a>` (liblsl's setters only
 * fill fields that hold a text node, which pugixml reads from that form, not from `<a />`).
 */
export function writeXml(root: XmlElement, options: { declaration?: boolean; indent?: string; selfClose?: boolean } = {}): string {
  const indent = options.indent ?? '';
  const selfClose = options.selfClose ?? true;
  const nl = indent ? '\n' : '';
  const out: string[] = options.declaration === false ? [] : [`<?xml version="1.0"?>${nl}`];
  // Iterative (an explicit stack), so a deep document read from a file cannot overflow the call stack.
  const stack: { el: XmlElement; depth: number; close: boolean }[] = [{ el: root, depth: 0, close: false }];
  while (stack.length) {
    const { el, depth, close } = stack.pop()!;
    const pad = indent.repeat(depth);
    if (close) {
      out.push(`${pad}</${el.tag}>${nl}`);
      continue;
    }
    let open = `<${el.tag}`;
    for (const [k, v] of Object.entries(el.attributes)) open += ` ${k}="${escapeText(v).replace(/"/g, '&quot;')}"`;
    if (el.children.length === 0) {
      out.push(el.text || !selfClose ? `${pad}${open}>${escapeText(el.text)}</${el.tag}>${nl}` : `${pad}${open} />${nl}`);
      continue;
    }
    out.push(`${pad}${open}>${el.text ? escapeText(el.text) : ''}${nl}`);
    stack.push({ el, depth, close: true });
    for (let i = el.children.length - 1; i >= 0; i--) stack.push({ el: el.children[i], depth: depth + 1, close: false });
  }
  return out.join('');
}
