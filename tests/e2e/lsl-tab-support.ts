// What the LSL tab scenarios (lsl-tab-scenario.ts, lsl-devices-scenario.ts) share: the served app,
// Chromium and the bridge opened and closed around a scenario whose result is printed as one
// {"result": …} line (exit 1 with the stack when it throws), and lsl-peer started with its JSON
// lines collected. Test support only; run inside a network namespace (lsl-tab.test.ts).
import { spawn } from 'node:child_process';
import type { BrowserContext } from 'playwright-core';
import { launch, newContext, serveApp, type AppServer } from './harness';
import { jsonLines } from '../../cli/bridge/lsl/testing/netns';
import { startBridge } from '../../cli/bridge/relay';

export type Bridge = Awaited<ReturnType<typeof startBridge>>;

/** lsl-peer (LSL_PEER) with `args`; `lines()` are the complete JSON lines it printed so far. */
export function lslPeer(args: (string | number)[], stderr: 'ignore' | 'inherit' = 'ignore') {
  const child = spawn(process.env.LSL_PEER!, args.map(String), { stdio: ['ignore', 'pipe', stderr] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  return { child, lines: () => jsonLines(out.slice(0, out.lastIndexOf('\n') + 1)) };
}

/** Runs `scenario` with the app served, a browser context and a bridge (pairing token `token`), prints its result, exits. */
export function runTabScenario(token: string, scenario: (app: { server: AppServer; context: BrowserContext; bridge: Bridge }) => Promise<unknown>): void {
  const main = async () => {
    const server = await serveApp();
    const browser = await launch();
    const context = await newContext(browser);
    const bridge = await startBridge({ port: 0, ports: { exphub: null, instinct: null, neurascale: null, kernel: null }, token, timeoutMs: 20_000, log: (l) => process.stderr.write(`[bridge] ${l}\n`) });
    try {
      return await scenario({ server, context, bridge });
    } finally {
      await context.close();
      await browser.close();
      await bridge.close();
      await server.close();
    }
  };
  main().then(
    (result) => {
      console.log(JSON.stringify({ result }));
      process.exit(0);
    },
    (e: unknown) => {
      console.error(e instanceof Error ? e.stack : String(e));
      process.exit(1);
    },
  );
}
