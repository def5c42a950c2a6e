// The `neurotab` command line (Node). Each command lives in cli/commands/<name>.ts and exports
// `run(argv: string[]): Promise<number>` (the exit code) and `summary` (one line for --help).
// This file only dispatches; it must stay free of command logic.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const COMMANDS = ['serve', 'run', 'check', 'nodes', 'info', 'convert', 'decode', 'evaluate', 'bridge', 'lsl', 'kernel'] as const;

interface CommandModule {
  run(argv: string[]): Promise<number>;
  summary: string;
}

async function load(name: string): Promise<CommandModule | null> {
  const file = join(here, 'commands', `${name}.ts`);
  if (!existsSync(file)) return null;
  return (await import(pathToFileURL(file).href)) as CommandModule;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log('usage: npm run neurotab -- <command> [options]\n\ncommands:');
    for (const c of COMMANDS) {
      const m = await load(c);
      if (m) console.log(`  ${c.padEnd(10)} ${m.summary}`);
    }
    return name ? 0 : 1;
  }
  const mod = await load(name);
  if (!mod) {
    console.error(`neurotab: unknown command "${name}". Run "npm run neurotab -- --help" for the list.`);
    return 2;
  }
  return mod.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`neurotab: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
