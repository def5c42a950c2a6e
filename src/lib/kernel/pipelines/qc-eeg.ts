// qc_eeg (API.md §8.5): quality of each EEG electrode — flat lines, railing, RMS amplitude after a
// 0.5 Hz high-pass, share of time within ±100 µV, line-noise power at 50/60 Hz and a Welch PSD — with
// a traffic light per electrode and per check. Kernel Flow's six electrodes (Oz, Pz, Cz, Fz, F3, F4)
// are listed first when present. Pure computation; any thread. Numbers checked against SciPy
// (tests/kernel/make-kernel-peers.py).
import { butter } from '../../dsp/filter-design';
import { sosfiltfilt } from '../../dsp/iir';
import { welch } from '../../dsp/spectral';
import { channelsLight, renderReport, type Light, type Report, type Section } from '../report';
import { eegBlock, median, params, pow2Below, type ChannelBlock, type PipelineContext, type PipelineOutput } from '../pipeline';
import type { DatasetInput } from '../model';

/** Kernel Flow's integrated electrodes [doc]. */
export const FLOW_ELECTRODES = ['Oz', 'Pz', 'Cz', 'Fz', 'F3', 'F4'];

/** µV per unit of a channel (unknown units are taken as µV). */
export function microvoltsPer(unit: string): number {
  const u = unit.trim();
  if (u === 'V') return 1e6;
  if (u === 'mV') return 1e3;
  if (u === 'nV') return 1e-3;
  return 1;
}

/** "Cz.." (EDF padding), "EEG Cz-Ref" → "cz", for matching electrode names. */
export function electrodeName(label: string): string {
  return label.replace(/^EEG\s*/i, '').replace(/[-\s].*$/, '').replace(/\.+$/, '').toLowerCase();
}

/** The block in µV (a copy when any channel needs scaling). */
export function inMicrovolts(b: ChannelBlock): { data: Float64Array; unknownUnits: string[] } {
  const unknown = new Set<string>();
  const scales = b.channels.map((c) => {
    const u = c.unit.trim();
    if (!['V', 'mV', 'nV', 'uV', 'µV', 'μV'].includes(u)) unknown.add(u || '(none)');
    return microvoltsPer(u);
  });
  if (scales.every((s) => s === 1)) return { data: b.data, unknownUnits: [...unknown] };
  const out = Float64Array.from(b.data);
  scales.forEach((s, c) => {
    for (let t = 0; t < b.sampleCount; t++) out[c * b.sampleCount + t] *= s;
  });
  return { data: out, unknownUnits: [...unknown] };
}

export interface EegQcChannel {
  label: string;
  status: Light;
  rms_uv: number;
  within_amplitude_fraction: number;
  flat_fraction: number;
  railed_fraction: number;
  line_power_uv2: Record<string, number>;
  line_ratio_db: Record<string, number>;
}

/** Mean of a PSD over the bins with lo ≤ f ≤ hi. */
function meanPsd(psd: Float64Array, off: number, freqs: Float64Array, ranges: [number, number][]): number {
  let s = 0;
  let k = 0;
  for (let i = 0; i < freqs.length; i++) if (ranges.some(([lo, hi]) => freqs[i] >= lo && freqs[i] <= hi)) (s += psd[off + i]), k++;
  return k ? s / k : NaN;
}

/** Trapezoid of a PSD over the bins with lo ≤ f ≤ hi (dsp bandPower's rule). */
function bandPowerOf(psd: Float64Array, off: number, freqs: Float64Array, lo: number, hi: number): number {
  let s = 0;
  let prev = -1;
  for (let i = 0; i < freqs.length; i++) {
    if (freqs[i] < lo || freqs[i] > hi) continue;
    if (prev >= 0) s += ((freqs[i] - freqs[prev]) * (psd[off + i] + psd[off + prev])) / 2;
    prev = i;
  }
  return s;
}

export async function qcEeg(input: DatasetInput, ctx: PipelineContext): Promise<PipelineOutput[]> {
  const p = ctx.params;
  const block = eegBlock(input.recording, 'qc_eeg');
  const fs = block.sampleRateHz;
  const n = block.sampleCount;
  const C = block.channels.length;
  const highpassHz = params.num(p, 'highpass_hz', 0.5, [0.01, fs / 4]);
  const amplitudeUv = params.num(p, 'amplitude_uv', 100, [1, 1e6]);
  const flatUv = params.num(p, 'flat_uv', 1, [0, 1e6]);
  const windowS = params.num(p, 'window_s', 1, [0.1, 60]);
  const { data: x, unknownUnits } = inMicrovolts(block);

  ctx.progress(0.1, 'high-pass');
  const hp = sosfiltfilt(butter(4, highpassHz, 'highpass', fs), x, C, n) as Float64Array;
  ctx.progress(0.4, 'power spectra');
  const nperseg = Math.min(n, pow2Below(4 * fs));
  const spec = welch(x, C, n, fs, { window: 'hann', nperseg, noverlap: nperseg >> 1, detrend: 'constant', scaling: 'density' });
  const nb = spec.binCount;
  const lines = [50, 60].filter((f0) => f0 + 5 < fs / 2);
  const requestedLine = p.line_hz === undefined ? undefined : params.num(p, 'line_hz', 50, [1, fs / 2]);

  ctx.progress(0.7, 'electrode checks');
  const win = Math.max(2, Math.round(windowS * fs));
  const channels: EegQcChannel[] = block.channels.map((ch, c) => {
    const o = c * n;
    let ss = 0;
    let within = 0;
    for (let t = 0; t < n; t++) {
      const v = hp[o + t];
      ss += v * v;
      if (Math.abs(v) <= amplitudeUv) within++;
    }
    // Flat: windows whose raw peak-to-peak is under flat_uv.
    let flatWindows = 0;
    let windows = 0;
    for (let w0 = 0; w0 + win <= n; w0 += win) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let t = w0; t < w0 + win; t++) {
        const v = x[o + t];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      windows++;
      if (hi - lo < flatUv) flatWindows++;
    }
    // Railing: samples in runs of ≥ 3 equal values at the channel's extreme (a saturated amplifier).
    let lo = Infinity;
    let hi = -Infinity;
    for (let t = 0; t < n; t++) {
      const v = x[o + t];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    let railed = 0;
    if (hi > lo)
      for (let t = 0; t < n; ) {
        const v = x[o + t];
        let e = t + 1;
        while (e < n && x[o + e] === v) e++;
        if ((v === hi || v === lo) && e - t >= 3) railed += e - t;
        t = e;
      }
    const line_power_uv2: Record<string, number> = {};
    const line_ratio_db: Record<string, number> = {};
    for (const f0 of lines) {
      line_power_uv2[f0] = bandPowerOf(spec.psd, c * nb, spec.freqsHz, f0 - 1, f0 + 1);
      line_ratio_db[f0] = 10 * Math.log10(meanPsd(spec.psd, c * nb, spec.freqsHz, [[f0 - 1, f0 + 1]]) / meanPsd(spec.psd, c * nb, spec.freqsHz, [[f0 - 5, f0 - 2], [f0 + 2, f0 + 5]]));
    }
    return {
      label: ch.label,
      status: 'grey',
      rms_uv: Math.sqrt(ss / n),
      within_amplitude_fraction: within / n,
      flat_fraction: windows ? flatWindows / windows : 0,
      railed_fraction: railed / n,
      line_power_uv2,
      line_ratio_db,
    };
  });
  const lineHz = requestedLine ?? (lines.length ? lines.reduce((a, b) => (median(channels.map((c) => c.line_ratio_db[b])) > median(channels.map((c) => c.line_ratio_db[a])) ? b : a)) : null);
  for (const c of channels) {
    const ratio = lineHz !== null ? c.line_ratio_db[lineHz] : NaN;
    c.status =
      c.flat_fraction >= 0.1 || c.railed_fraction >= 0.05 || c.within_amplitude_fraction < 0.5
        ? 'red'
        : c.flat_fraction >= 0.01 || c.railed_fraction >= 0.001 || c.within_amplitude_fraction < 0.9 || ratio >= 20
          ? 'orange'
          : 'green';
  }
  // Flow's electrodes first, then the file's order.
  const order = block.channels.map((_, i) => i).sort((a, b) => flowRank(block.channels[a].label) - flowRank(block.channels[b].label) || a - b);
  const rows = order.map((i) => channels[i]);
  const lights = (f: (c: EegQcChannel) => Light) => rows.map(f);
  const flatLights = lights((c) => (c.flat_fraction >= 0.1 || c.railed_fraction >= 0.05 ? 'red' : c.flat_fraction >= 0.01 || c.railed_fraction >= 0.001 ? 'orange' : 'green'));
  const ampLights = lights((c) => (c.within_amplitude_fraction < 0.5 ? 'red' : c.within_amplitude_fraction < 0.9 ? 'orange' : 'green'));
  const lineLights = lights((c) => (lineHz === null ? 'grey' : c.line_ratio_db[lineHz] >= 20 ? 'orange' : 'green'));
  const labels = rows.map((c) => c.label);
  const durationS = n / fs;
  const flowPresent = FLOW_ELECTRODES.filter((e) => block.channels.some((c) => electrodeName(c.label) === e.toLowerCase()));

  const sections: Section[] = [
    {
      id: 'electrodes',
      title: 'Electrodes',
      status: channelsLight(rows.map((c) => c.status)),
      summary: `${C} EEG channels at ${+fs.toFixed(3)} Hz over ${durationS.toFixed(1)} s; ${rows.filter((c) => c.status === 'green').length} green, ${rows.filter((c) => c.status === 'orange').length} orange, ${rows.filter((c) => c.status === 'red').length} red.`,
      notes: [
        ...(flowPresent.length ? [`Kernel Flow electrodes present: ${flowPresent.join(', ')} (listed first).`] : []),
        ...(unknownUnits.length ? [`Channel unit ${unknownUnits.join(', ')} is not a voltage unit; values were taken as µV.`] : []),
      ],
      tables: [
        {
          id: 'channels',
          title: 'Per electrode',
          columns: ['channel', 'status', 'rms_uv', `within_${amplitudeUv}uv_fraction`, 'flat_fraction', 'railed_fraction', ...lines.map((f) => `line_${f}hz_ratio_db`)],
          rows: rows.map((c) => [c.label, c.status, c.rms_uv, c.within_amplitude_fraction, c.flat_fraction, c.railed_fraction, ...lines.map((f) => c.line_ratio_db[f])]),
        },
      ],
    },
    {
      id: 'flat-railing',
      title: 'Flat lines and railing',
      status: channelsLight(flatLights),
      summary: `A ${windowS} s window whose peak-to-peak is under ${flatUv} µV is flat; samples in runs of 3 or more at a channel's extreme are railed (a saturated amplifier).`,
      metrics: [
        { label: 'channels with flat windows', value: rows.filter((c) => c.flat_fraction > 0).length },
        { label: 'channels railed', value: rows.filter((c) => c.railed_fraction > 0).length },
        { label: 'worst flat share', value: Math.max(...rows.map((c) => c.flat_fraction)) },
      ],
      figures: [{ kind: 'bar', id: 'flat', title: 'Share of time flat or railed', yLabel: 'fraction of time', categories: labels, groups: [{ name: 'flat', values: rows.map((c) => c.flat_fraction) }, { name: 'railed', values: rows.map((c) => c.railed_fraction) }] }],
    },
    {
      id: 'amplitude',
      title: 'Amplitude',
      status: channelsLight(ampLights),
      summary: `After a 4th-order Butterworth high-pass at ${highpassHz} Hz (forward–backward): RMS per electrode and the share of samples within ±${amplitudeUv} µV (green ≥ 90 %, red < 50 %).`,
      metrics: [
        { label: 'median RMS', value: median(rows.map((c) => c.rms_uv)), unit: 'µV' },
        { label: `median share within ±${amplitudeUv} µV`, value: median(rows.map((c) => c.within_amplitude_fraction)) },
      ],
      figures: [{ kind: 'bar', id: 'rms', title: 'RMS amplitude per electrode', yLabel: 'µV', categories: labels, groups: [{ name: 'RMS', values: rows.map((c) => c.rms_uv) }], lights: ampLights }],
    },
    {
      id: 'line-noise',
      title: 'Line noise',
      status: lineHz === null ? 'grey' : channelsLight(lineLights),
      summary:
        lineHz === null
          ? `The sampling rate (${fs} Hz) is too low to see 50 or 60 Hz.`
          : `Mains at ${lineHz} Hz${requestedLine ? ' (params.line_hz)' : ' (the larger median peak of 50 and 60 Hz)'}: power within ±1 Hz and its ratio to the mean PSD 2–5 Hz either side (orange ≥ 20 dB).`,
      metrics: lineHz === null ? [] : [
        { label: 'mains frequency', value: lineHz, unit: 'Hz' },
        { label: 'median line ratio', value: median(rows.map((c) => c.line_ratio_db[lineHz])), unit: 'dB' },
        { label: 'median line power', value: median(rows.map((c) => c.line_power_uv2[lineHz])), unit: 'µV²' },
      ],
      figures: lineHz === null ? [] : [{ kind: 'bar', id: 'line', title: `Line noise at ${lineHz} Hz`, yLabel: 'dB over neighbours', categories: labels, groups: [{ name: `${lineHz} Hz`, values: rows.map((c) => c.line_ratio_db[lineHz]) }], levels: [{ y: 20, label: '20 dB' }], lights: lineLights }],
    },
    {
      id: 'psd',
      title: 'Power spectrum',
      status: 'green',
      summary: `Welch PSD (Hann, ${nperseg} samples = ${(nperseg / fs).toFixed(2)} s segments, 50 % overlap, mean removed per segment).`,
      figures: [
        {
          kind: 'line',
          id: 'psd',
          title: 'Power spectral density',
          xLabel: 'frequency (Hz)',
          yLabel: 'µV²/Hz',
          logY: true,
          series: order.map((i) => ({ name: block.channels[i].label, x: spec.freqsHz, y: spec.psd.subarray(i * nb, (i + 1) * nb) })),
          marks: lines.map((f) => ({ x: f, label: `${f} Hz` })),
        },
      ],
    },
  ];
  const report: Report = {
    pipeline: 'qc_eeg',
    label: 'EEG QC report',
    dataset: { id: input.dataset.id.replace(/-/g, ''), name: input.dataset.name },
    createdAtMs: ctx.nowMs,
    summary: [
      { label: 'channels', value: C },
      { label: 'sample rate', value: fs, unit: 'Hz' },
      { label: 'duration', value: durationS, unit: 's' },
      { label: 'green electrodes', value: `${rows.filter((c) => c.status === 'green').length} of ${C}` },
    ],
    sections,
    data: {
      sample_rate_hz: fs,
      duration_s: durationS,
      highpass_hz: highpassHz,
      amplitude_uv: amplitudeUv,
      line_frequency_hz: lineHz,
      channels: rows,
      psd: { units: 'uV^2/Hz', window: 'hann', nperseg, noverlap: nperseg >> 1, freqs_hz: spec.freqsHz, channels: Object.fromEntries(order.map((i) => [block.channels[i].label, spec.psd.subarray(i * nb, (i + 1) * nb)])) },
    },
  };
  ctx.progress(0.95, 'report');
  return renderReport(report, 'qc_eeg');
}

function flowRank(label: string): number {
  const i = FLOW_ELECTRODES.findIndex((e) => e.toLowerCase() === electrodeName(label));
  return i < 0 ? FLOW_ELECTRODES.length : i;
}
