// qc_eeg on a real recording (EEGMMIDB S001R04, 64 channels at 160 Hz): the Welch PSD, line-noise
// power and ratio, RMS after the 0.5 Hz high-pass and the ±100 µV share against SciPy/MNE
// (tests/kernel/make-kernel-peers.py), the report's files, and FAILED reasons for data without EEG.
import { describe, expect, it } from 'vitest';
import { kernelPeers as peers, sharedDataset, testContext, utf8Text as text } from '../../../../tests/kernel/support';
import { hasShared, referenceError } from '../../../../tests/support/shared';
import { PipelineFailure } from '../pipeline';
import { electrodeName, qcEeg } from './qc-eeg';

describe.skipIf(!hasShared)('qc_eeg', () => {
  it('matches SciPy on S001R04: PSD, line power and ratio, high-passed RMS and ±100 µV share', async () => {
    const out = await qcEeg(await sharedDataset('edf/S001R04.edf'), testContext());
    expect(out.map((o) => o.filename)).toEqual(['qc_eeg.html', 'qc_eeg.json']);
    const j = JSON.parse(text(out[1].bytes));
    const ref = peers.qc_eeg;
    expect(j.psd.nperseg).toBe(ref.nperseg);
    expect(referenceError(j.psd.freqs_hz, ref.freqs_hz, 'abs')).toBeLessThan(1e-12);
    // The report lists channels in the file's order except Flow's electrodes (Oz, Pz, Cz, Fz, F3, F4) first.
    const byLabel = new Map<string, any>(j.channels.map((c: any) => [c.label, c]));
    expect(byLabel.size).toBe(ref.channels.length);
    ref.channels.slice(0, 3).forEach((label: string, i: number) => {
      expect(referenceError(j.psd.channels[label], ref.psd_first3_uv2_hz[i], 'nmax')).toBeLessThan(1e-10);
    });
    for (const f0 of ['50', '60']) {
      const got = ref.channels.map((l: string) => byLabel.get(l).line_power_uv2[f0]);
      expect(referenceError(got, ref.line_power_uv2[f0], 'nmax')).toBeLessThan(1e-10);
      const ratio = ref.channels.map((l: string) => byLabel.get(l).line_ratio_db[f0]);
      expect(referenceError(ratio, ref.line_ratio_db[f0], 'abs')).toBeLessThan(1e-9);
    }
    expect(referenceError(ref.channels.map((l: string) => byLabel.get(l).rms_uv), ref.rms_uv, 'nmax')).toBeLessThan(1e-9);
    expect(ref.channels.map((l: string) => byLabel.get(l).within_amplitude_fraction)).toEqual(ref.within_100uv_fraction);
    expect(j.channels.slice(0, 6).map((c: any) => electrodeName(c.label))).toEqual(['oz', 'pz', 'cz', 'fz', 'f3', 'f4']);
    const html = text(out[0].bytes);
    expect(html).toContain('<svg');
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/<script/i);
  });

  it('runs on BDF (BioSemi, 256 Hz: 50 and 60 Hz in range) and XDF (100 Hz: no line-noise check, said so)', async () => {
    const bdf = JSON.parse(text((await qcEeg(await sharedDataset('bdf/Newtest17-256.bdf'), testContext()))[1].bytes));
    expect(bdf.channels).toHaveLength(16);
    expect(Object.keys(bdf.channels[0].line_power_uv2)).toEqual(['50', '60']);
    expect(bdf.psd.freqs_hz.at(-1)).toBe(128);
    const xdf = JSON.parse(text((await qcEeg(await sharedDataset('xdf/xdfmodules_clock_resets.xdf'), testContext()))[1].bytes));
    expect(xdf.line_frequency_hz).toBeNull();
    const line = xdf.sections.find((x: { id: string }) => x.id === 'line-noise');
    expect(line).toMatchObject({ status: 'grey', summary: 'The sampling rate (100 Hz) is too low to see 50 or 60 Hz.' });
  });

  it('fails with a reason that names what the dataset has when there is no EEG (a SNIRF file)', async () => {
    const err = await qcEeg(await sharedDataset('snirf/Simple_Probe.snirf'), testContext()).catch((e) => e);
    expect(err).toBeInstanceOf(PipelineFailure);
    expect(err.message).toMatch(/qc_eeg needs EEG channels; this dataset has 2 streams: nirs \(8 NIRS_CW_AMPLITUDE channels at 10 Hz\)/);
  });

  it('refuses bad parameters with what is allowed', async () => {
    const err = await qcEeg(await sharedDataset('edf/S001R04.edf'), testContext({ highpass_hz: 'fast' })).catch((e) => e);
    expect(err).toBeInstanceOf(PipelineFailure);
    expect(err.message).toMatch(/params.highpass_hz must be a number in \[0.01, 40\]/);
  });
});
