// The alpha chain the editor tests draw, import and run: stream input → IIR 1–40 Hz → sliding window
// of 2 s → Welch → alpha/beta band power → stream output, as a pipeline document (issue 18's chain).
export function alphaChain(name: string, stepS: number) {
  return {
    format: 'neurotab.pipeline',
    version: 1,
    meta: { name, description: '' },
    nodes: [
      { id: 'in', type: 'io.stream-input', params: {} },
      { id: 'bp', type: 'filter.iir', params: { frequencies: [1, 40], order: 2 } },
      { id: 'win', type: 'time.sliding-window', params: { window_length: 2, step: stepS } },
      { id: 'psd', type: 'spectral.welch', params: { segment_samples: 256, scaling: 'density' } },
      { id: 'bands', type: 'spectral.band-power', params: { bands: { alpha: [8, 13], beta: [13, 30] } } },
      { id: 'out', type: 'io.stream-output', params: { stream_name: 'bandpower', stream_type: 'Features' } },
    ],
    edges: [
      { source: 'in', target: 'bp' },
      { source: 'bp', target: 'win' },
      { source: 'win', target: 'psd' },
      { source: 'psd', target: 'bands' },
      { source: 'bands', target: 'out' },
    ],
  };
}
