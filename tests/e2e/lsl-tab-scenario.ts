// Run by lsl-tab.test.ts inside a network namespace of its own (LSL multicasts): the built app in
// Debian's Chromium, paired with the bridge; a liblsl outlet listed by GET /bci/v1/lsl/streams, and
// the tab's marker bus published as an LSL outlet (POST /bci/v1/lsl/outlets) read by a liblsl inlet
// while markers are posted through the bridge; the liblsl outlet connected as a device of the tab
// (POST /bci/v1/lsl/inlets) and its ring published again, read back by liblsl. Prints one {"result": …} line. Test support only.
// Environment: LSL_PEER, LD_LIBRARY_PATH.
import { openApp } from './harness';
import { appMsToLsl } from '../../cli/bridge/lsl-link';
import { lslPeer as peer, runTabScenario } from './lsl-tab-support';

const TOKEN = 'e2e-lsl-tab-token-12345678';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

runTabScenario(TOKEN, async ({ server, context, bridge }) => {
  const http = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(bridge.url + path, { method, headers: body === undefined ? {} : { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: r.status, json: await r.json().catch(() => null) };
  };
  const page = await openApp(context, server.url, `/api?bridge=${bridge.port}&token=${TOKEN}`);
  await page.click('[data-testid="bridge-allow"]');
  await bridge.waitForTab();
  const outlet = peer(['outlet', 'e2e-eeg', 'EEG', 'float32', 4, 100, 0, 'src-e2e-eeg']);
  let streams: any = null;
  for (let i = 0; i < 60; i++) {
    const r = await http('GET', '/bci/v1/lsl/streams?wait=0.5');
    if (r.status === 200 && r.json.streams.some((s: { name: string }) => s.name === 'e2e-eeg')) {
      streams = r.json.streams;
      break;
    }
    await sleep(250);
  }
  const published = await http('POST', '/bci/v1/lsl/outlets', { source: 'markers', name: 'nt-markers' });
  const listed = await http('GET', '/bci/v1/lsl/outlets');
  const inlet = peer(['inlet', "name='nt-markers'", 10, 20]);
  // Markers posted through the bridge, stamped on this process's clock (the bridge's).
  const posted: { value: string; timestampMs: number }[] = [];
  for (let i = 0; inlet.child.exitCode === null && i < 200; i++) {
    const m = { value: `stim-${i} é`, timestampMs: performance.timeOrigin + performance.now() };
    posted.push(m);
    await http('POST', '/bci/v1/markers', m);
    await sleep(150);
  }
  const withdrawn = await http('DELETE', `/bci/v1/lsl/outlets/${published.json?.id}`);
  const lines = inlet.lines();
  // The liblsl EEG outlet connected as a device of the tab (a ring in its API worker), published
  // again from that ring, and read back by a liblsl inlet: the samples went through the tab.
  const connected = await http('POST', '/bci/v1/lsl/inlets', { query: "source_id='src-e2e-eeg'" });
  const echo = await http('POST', '/bci/v1/lsl/outlets', { source: connected.json?.stream?.id, name: 'e2e-echo' });
  const echoInlet = peer(['inlet', "name='e2e-echo'", 50, 20]);
  while (echoInlet.child.exitCode === null) await sleep(100);
  const inlets = await http('GET', '/bci/v1/lsl/inlets');
  const loop = await http('POST', '/bci/v1/lsl/inlets', { query: "name='e2e-echo'" });
  outlet.child.kill('SIGKILL');
  return {
    streams,
    published,
    listed: listed.json,
    withdrawn: withdrawn.status,
    connected,
    echo,
    inlets: inlets.json,
    loop,
    echoInfo: echoInlet.lines().find((l) => 'info' in l)?.info,
    echoSamples: echoInlet.lines().filter((l) => 'v' in l),
    info: lines.find((l) => 'info' in l)?.info,
    samples: lines.filter((l) => 'v' in l),
    expected: posted.map((m) => ({ value: m.value, lslS: appMsToLsl(m.timestampMs) })),
  };
});
