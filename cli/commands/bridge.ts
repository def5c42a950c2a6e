// `neurotab bridge`: serves the Neurotab REST API on 127.0.0.1 for programs outside the browser
// (Python requests, curl, NeuroPype's exec.py) by relaying it to a paired app tab. Node only.
// Argument parsing and status lines only; the relay lives in cli/bridge/relay.ts.
import { startBridge } from '../bridge/relay';

export const summary = 'relay the REST API to an open Neurotab tab for local programs [--port 6937] [--token T] [--app URL] [--timeout S]';

export interface BridgeArgs {
  port: number;
  token?: string;
  appUrl: string;
  timeoutMs: number;
}

export function parseBridgeArgs(argv: string[]): BridgeArgs {
  const out: BridgeArgs = { port: 6937, appUrl: 'http://127.0.0.1:4173/', timeoutMs: 30_000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--port') {
      const raw = value();
      const p = Number(raw);
      if (!/^\d+$/.test(raw) || p > 65535) throw new Error(`--port must be an integer 0–65535, got "${raw}"`);
      out.port = p;
    } else if (a === '--token') {
      const t = value();
      if (!/^[A-Za-z0-9._~-]{8,128}$/.test(t)) throw new Error('--token must be 8–128 characters of A–Z a–z 0–9 . _ ~ -');
      out.token = t;
    } else if (a === '--app') {
      const u = value();
      try {
        out.appUrl = new URL(u).href;
      } catch {
        throw new Error(`--app must be the URL where Neurotab is open, e.g. http://127.0.0.1:4173/, got "${u}"`);
      }
    } else if (a === '--timeout') {
      const s = Number(value());
      if (!(s > 0 && s <= 3600)) throw new Error('--timeout must be a number of seconds in (0, 3600]');
      out.timeoutMs = s * 1000;
    } else throw new Error(`unknown option "${a}" (try --port N, --token T, --app URL, --timeout S)`);
  }
  return out;
}

export async function run(argv: string[]): Promise<number> {
  const args = parseBridgeArgs(argv);
  const stamp = () => new Date().toISOString().slice(11, 19);
  const bridge = await startBridge({
    port: args.port,
    token: args.token,
    timeoutMs: args.timeoutMs,
    log: (line) => console.log(`[${stamp()}] ${line}`),
  });
  const pairUrl = new URL(args.appUrl);
  pairUrl.searchParams.set('bridge', String(bridge.port));
  pairUrl.searchParams.set('token', bridge.token);
  console.log(`Neurotab bridge listening on ${bridge.url} (loopback only)`);
  console.log(`  NeuroPype API: ${bridge.url}/executions (also ${bridge.url}/np/…); native API: ${bridge.url}/bci/v1/…`);
  console.log(`  Pairing token: ${bridge.token}`);
  console.log(`  To pair, open ${pairUrl.href} and click Allow`);
  console.log(`  (or in Neurotab: API page → Bridge → port ${bridge.port}, token above → Connect).`);
  console.log('Waiting for a tab… Press Ctrl+C to stop.');
  const stop = () => {
    void bridge.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await new Promise(() => {}); // serve until killed
  return 0;
}
