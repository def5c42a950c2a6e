// `neurotab nodes [--json] [<type>]`: lists every node class of the engine with its metadata
// (ports with the chunks they accept, parameters with type, default, unit, domain), from the node registry.
import { builtinRegistry, classInfo, type NodeClassInfo } from '../../src/lib/engine/index';

export const summary = 'list the pipeline node classes [--json] [<type or NeuroPype class>]';

function describe(i: NodeClassInfo): string {
  const lines = [`${i.type}  —  ${i.title}${i.neuropype ? `  (NeuroPype ${i.neuropype.class})` : ''}`, `  package: ${i.package}${i.trainable ? ', trainable' : ''}`];
  for (const p of i.inputs) lines.push(`  in  ${p.name}${p.optional ? ' (optional)' : ''}: ${p.doc} Accepts ${p.accepts}${p.hint ? ` (${p.hint})` : ''}.`);
  for (const p of i.outputs) lines.push(`  out ${p.name}${p.value ? ' (value)' : ''}: ${p.doc}`);
  for (const p of i.params) {
    const dom = p.domain ? ` domain ${JSON.stringify(p.domain)}` : '';
    lines.push(`  param ${p.name}: ${p.type}${p.unit ? ` [${p.unit}]` : ''} = ${JSON.stringify(p.default)}${dom} — ${p.doc}`);
  }
  lines.push('', i.doc.replace(/^/gm, '    '));
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const rest = argv.filter((a) => a !== '--json');
  const bad = rest.find((a) => a.startsWith('-'));
  if (bad) {
    console.error(`neurotab nodes: unknown option "${bad}" (usage: nodes [--json] [<type>])`);
    return 2;
  }
  const reg = builtinRegistry();
  if (rest.length) {
    const cls = reg.find(rest[0]);
    if (!cls) {
      console.error(`neurotab nodes: no node class "${rest[0]}"; run "npm run neurotab -- nodes" for the list`);
      return 1;
    }
    console.log(json ? JSON.stringify(classInfo(cls), null, 2) : describe(classInfo(cls)));
    return 0;
  }
  const infos = reg.list().map(classInfo);
  if (json) {
    console.log(JSON.stringify({ packages: reg.packages(), nodeClasses: infos }, null, 2));
    return 0;
  }
  for (const pkg of reg.packages()) {
    console.log(`${pkg.title} (${pkg.id})`);
    for (const i of infos.filter((x) => x.package === pkg.id)) {
      console.log(`  ${i.type.padEnd(24)} ${(i.neuropype?.class ?? '').padEnd(16)} ${i.title}`);
    }
  }
  console.log(`\n${infos.length} node classes. Details: npm run neurotab -- nodes <type>; all metadata: --json`);
  return 0;
}
