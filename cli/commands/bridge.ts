// `neurotab bridge`: serves the Neurotab REST API on 127.0.0.1 for programs outside the browser
// (Python requests, curl, NeuroPype's exec.py, the vendors' own clients) by relaying it to a paired
// app tab, each family at its vendor's default port. Node only. Argument parsing and status lines
// only; the relay lives in cli/bridge/relay.ts.
import { BRIDGE_DEFAULT_PORTS, BRIDGE_FAMILIES, FAMILY_MOUNTS, startBridge, type BridgeFamily } from '../bridge/relay';

export const summary =
  'relay the REST API to an open Neurotab tab, each family at its vendor port [--port-neuropype 6937|off] [--port-exphub 8010|off] [--port-instinct 42069|off] [--port-neurascale 8000|off] [--port-kernel 8050|off] [--no-sink-ports] [--token T] [--app URL] [--timeout S]';

export interface BridgeArgs {
  /** Each family's port; null: off. */
  ports: Record<BridgeFamily, number | null>;
  /** Open ws://127.0.0.1:<port>/ for running Instinct sinks. */
  sinkPorts: boolean;
  token?: string;
  appUrl: string;
  timeoutMs: number;
  /** NeuroPype's port, as before (--port); null when it is off. */
  port: number | null;
}

const WHAT: Record<BridgeFamily, string> = {
  neuropype: 'NeuroPype API',
  exphub: 'ExperimentHub API',
  instinct: 'Instinct API',
  neurascale: 'NeuraScale API',
  kernel: 'Kernel API (port of ours; the vendor serves https://api.kernel.com)',
};

const FIRST_PATH: Record<BridgeFamily, string> = {
  neuropype: '/executions',
  exphub: '/health',
  instinct: '/stream/streams',
  neurascale: '/v2/devices',
  kernel: '/api/v1/study/{id}/datasets',
};

export function parseBridgeArgs(argv: string[]): BridgeArgs {
  const ports = { ...BRIDGE_DEFAULT_PORTS } as Record<BridgeFamily, number | null>;
  const out: BridgeArgs = { ports, sinkPorts: true, appUrl: 'http://127.0.0.1:4173/', timeoutMs: 30_000, port: ports.neuropype };
  const portValue = (flag: string, raw: string): number | null => {
    if (raw === 'off') return null;
    const p = Number(raw);
    if (!/^\d+$/.test(raw) || p > 65535) throw new Error(`${flag} must be an integer 0–65535 or "off", got "${raw}"`);
    return p;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const family = /^--port-(\w+)$/.exec(a)?.[1] as BridgeFamily | undefined;
    if (a === '--port') ports.neuropype = portValue(a, value());
    else if (family && BRIDGE_FAMILIES.includes(family)) ports[family] = portValue(a, value());
    else if (family) throw new Error(`unknown family in ${a} (families: ${BRIDGE_FAMILIES.join(', ')})`);
    else if (a === '--no-sink-ports') out.sinkPorts = false;
    else if (a === '--token') {
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
    } else throw new Error(`unknown option "${a}" (try --port-<family> N|off, --no-sink-ports, --token T, --app URL, --timeout S)`);
  }
  if (BRIDGE_FAMILIES.every((f) => ports[f] === null)) throw new Error('every port is off; leave at least one family on');
  const used = BRIDGE_FAMILIES.map((f) => ports[f]).filter((p): p is number => p !== null && p !== 0);
  const dup = used.find((p, i) => used.indexOf(p) !== i);
  if (dup !== undefined) throw new Error(`port ${dup} is given to two families; give each its own`);
  out.port = ports.neuropype;
  return out;
}

export async function run(argv: string[]): Promise<number> {
  const args = parseBridgeArgs(argv);
  const stamp = () => new Date().toISOString().slice(11, 19);
  const { neuropype, ...others } = args.ports;
  const bridge = await startBridge({
    port: neuropype,
    ports: others,
    sinkServers: args.sinkPorts,
    token: args.token,
    timeoutMs: args.timeoutMs,
    log: (line) => console.log(`[${stamp()}] ${line}`),
  });
  const pairUrl = new URL(args.appUrl);
  pairUrl.searchParams.set('bridge', String(bridge.port));
  pairUrl.searchParams.set('token', bridge.token);
  console.log('Neurotab bridge (loopback only), each family at the root of its port; every mount (/np, /exphub, /instinct, /neurascale, /kernel, /bci/v1) answers on every port:');
  for (const f of BRIDGE_FAMILIES) {
    const p = bridge.ports[f];
    console.log(p === undefined ? `  ${WHAT[f]}: off` : `  ${WHAT[f]}: http://127.0.0.1:${p}${FIRST_PATH[f]} (also ${FAMILY_MOUNTS[f]}/… on any port)`);
  }
  console.log(`  Live WebSockets: ws://127.0.0.1:${bridge.ports.neurascale ?? bridge.port}/ws (NeuraScale), ws://127.0.0.1:${bridge.ports.instinct ?? bridge.port}/_sinks/<port> (Instinct sinks${args.sinkPorts ? '; also ws://127.0.0.1:<sink port>/ while a sink runs' : ''})`);
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
