// Test support (Node only): the vendors' own examples, read from their documents in
// ../shared/seeds at test time (never copied into the project), so tests run them unmodified.
import { readFileSync } from 'node:fs';
import { sharedPath } from './shared';

const seed = (name: string) => readFileSync(sharedPath('seeds', name), 'utf8');

/** The JSON document that follows `heading` in a seed (its first `{ … }` after it). */
function jsonAfter(text: string, heading: string): unknown {
  const at = text.indexOf(heading);
  if (at < 0) throw new Error(`seed: "${heading}" not found`);
  const start = text.indexOf('\n{', at + heading.length) + 1;
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return JSON.parse(text.slice(start, i + 1));
  }
  throw new Error(`seed: unterminated JSON after "${heading}"`);
}

/** instinct-streams-api.txt: the Create Stream request body and the Update Stream body. */
export function instinctSeed(): { create: Record<string, any>; update: Record<string, any> } { // eslint-disable-line @typescript-eslint/no-explicit-any
  const t = seed('instinct-streams-api.txt');
  return { create: jsonAfter(t, 'POST /stream/streams\nRequest Body') as Record<string, unknown>, update: jsonAfter(t, 'PUT /stream/streams/{streamId}\nRequest Body') as Record<string, unknown> };
}

/**
 * experimenthub-api.txt: the seed's Python `ExperimentHubClient` and its "Example Usage", as a
 * runnable script. The seed lost its indentation; it is restored by Python's block rules only
 * (class → methods → bodies, one statement under `if`/`else`, the example at the top level),
 * every line otherwise as written.
 */
export function experimentHubClientScript(): string {
  const t = seed('experimenthub-api.txt');
  const from = t.indexOf('import requests');
  const to = t.indexOf('Troubleshooting');
  const lines = t.slice(from, to).split('\n');
  const out: string[] = [];
  let inClass = false;
  let under = false; // the line after an if/else header
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line === 'Example Usage') continue;
    let indent = 0;
    if (line.startsWith('class ')) inClass = true;
    else if (line.startsWith('def ')) indent = 4;
    else if (inClass && (line.startsWith('# ') || /^[a-z_]+ = [A-Z]\w*\(/.test(line))) inClass = false; // top-level example code
    else if (inClass) indent = under ? 12 : 8;
    under = inClass && /^(if|else|elif)\b.*:$/.test(line);
    out.push(' '.repeat(indent) + line);
  }
  return out.join('\n') + '\n';
}
