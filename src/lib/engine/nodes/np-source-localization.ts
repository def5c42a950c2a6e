// NeuroPype's source_localization module on the packet model: AssignChannelLocations (standard 10-05
// positions by label, dsp/montage-1005.ts: MNE's standard_1005) and RemoveUnlocalizedChannels.
// Engine worker / Node. Both cache their result per incoming space axis (axes are never mutated),
// so a live stream costs one Map look-up per step; AssignChannelLocations copies no data.
import { InputError } from '../../core/errors';
import type { SpaceAxis } from '../axes';
import { axisIndex, selectAlong } from '../block';
import { assignStandard1005 } from '../../dsp/montage-1005';
import { mapChunks, type Chunk } from '../packet';
import { mapShapes, sameAs } from '../shapes';
import type { NodeClass } from '../types';
import { input, normLabel, np, output, p, WITH_SPACE } from './common';

const MONTAGE = 'standard_1005';

/** The space axis of a chunk; the chunk matched WITH_SPACE. */
function spaceIndex(c: Chunk): number {
  return axisIndex(c.block, 'space');
}

/** Refuses a `montage`/`montage_type` other than the standard 10-05 one (the only table shipped). */
export function refuseOtherMontages(params: Readonly<Record<string, unknown>>, who: string): void {
  const m = String(params.montage ?? '');
  if (m !== '' && !/^standard[_-]?1005$/i.test(m.replace(/\.\w+$/, '').split(/[\\/]/).pop()!)) throw new InputError(`parameter "montage" = ${JSON.stringify(m)}: only the standard 10-05 montage ships; set montage "" (or "standard_1005")`, who);
  if (!['auto', '10-05', '10-20', '10-10', 'standard_1005', ''].includes(String(params.montage_type ?? 'auto'))) throw new InputError(`parameter "montage_type" = ${JSON.stringify(params.montage_type)}: only the standard 10-05 montage ships; leave it at "auto"`, who);
}

export const assignChannelLocations: NodeClass = {
  type: 'channels.assign-locations',
  package: 'channels',
  title: 'Assign channel locations',
  version: '1.2.0',
  neuropype: np('AssignChannelLocations', 'source_localization'),
  doc: `Looks up 3-D electrode positions by channel label (NeuroPype's AssignChannelLocations) in the
standard 10-05 montage (MNE's standard_1005, head frame, metres; docs/neural.md). Look-up is
case-insensitive and tolerates EDF padding ("C3.."), an "EEG " prefix and reference suffixes.
Unmatched channels get NaN positions (RemoveUnlocalizedChannels drops them); the space axis
records the montage used.

- **in/out \`data\`**: chunks with a space axis; other chunks pass through. The data is not copied.
- **montage** ("" = the standard 10-05 set, or "standard_1005"), **montage_type** ("auto"),
  **force_override** (false: positions already present are kept). Other montages are refused:
  only the 10-05 table ships.`,
  inputs: [input('data', [WITH_SPACE], 'Data with channels.', { hint: 'channel locations go on a space axis' })],
  outputs: [output('data', sameAs('data'), 'The data with positions on its space axis.')],
  params: [
    p.string('montage', '', 'Montage ("" = standard 10-05).'),
    p.string('montage_type', 'auto', 'Montage family ("auto").'),
    p.bool('force_override', true, 'Overwrite positions already present.'),
    p.dict('metadata', {}, 'Accepted for NeuroPype compatibility (ignored).'),
    p.bool('set_breakpoint', false, 'Accepted for NeuroPype compatibility (ignored).'),
  ],
  create(params, ctx) {
    refuseOtherMontages(params, ctx.nodeId);
    const force = params.force_override as boolean;
    const cache = new WeakMap<SpaceAxis, SpaceAxis>();
    const locate = (s: SpaceAxis): SpaceAxis => {
      let out = cache.get(s);
      if (!out) {
        const { positions, missing } = assignStandard1005(s.channels.map((c) => c.label));
        if (!force && s.positions) for (let i = 0; i < s.channels.length; i++) if (s.positions.subarray(i * 3, i * 3 + 3).every(Number.isFinite)) positions.set(s.positions.subarray(i * 3, i * 3 + 3), i * 3);
        if (missing.length) ctx.log(30, `no 10-05 position for ${missing.map((l) => JSON.stringify(l)).join(', ')}`);
        out = { ...s, positions, montage: MONTAGE, namingSystem: '10-05' };
        cache.set(s, out);
      }
      return out;
    };
    return {
      process(inputs) {
        const out = mapChunks(inputs.data, [WITH_SPACE], (c) => {
          const d = spaceIndex(c);
          const axes = c.block.axes.slice();
          axes[d] = locate(axes[d] as SpaceAxis);
          return { block: { ...c.block, axes }, props: c.props };
        });
        return out ? { data: out } : undefined;
      },
      reset() {},
    };
  },
};

export const removeUnlocalizedChannels: NodeClass = {
  type: 'channels.remove-unlocalized',
  package: 'channels',
  title: 'Remove unlocalized channels',
  version: '1.2.0',
  neuropype: np('RemoveUnlocalizedChannels', 'source_localization'),
  doc: `Drops the channels without a finite 3-D position (NeuroPype's RemoveUnlocalizedChannels), e.g.
after AssignChannelLocations left EOG or trigger channels unmatched.

- **in/out \`data\`**: chunks with a space axis (other chunks pass through); the space axis shrinks.
- **protect_channels** (list of labels): kept even without a position.`,
  inputs: [input('data', [WITH_SPACE], 'Data with channels.', { hint: 'channels are removed from a space axis' })],
  outputs: [output('data', mapShapes('data', [WITH_SPACE], (s) => s), 'The localised channels.')],
  params: [
    p.list('protect_channels', [], 'Channel labels never removed.', { items: 'string' }),
    p.dict('metadata', {}, 'Accepted for NeuroPype compatibility (ignored).'),
    p.bool('set_breakpoint', false, 'Accepted for NeuroPype compatibility (ignored).'),
  ],
  create(params, ctx) {
    const keep = new Set((params.protect_channels as string[]).map(normLabel));
    const cache = new WeakMap<SpaceAxis, Int32Array>();
    const kept = (s: SpaceAxis): Int32Array => {
      let idx = cache.get(s);
      if (!idx) {
        const list: number[] = [];
        s.channels.forEach((c, i) => {
          const pos = s.positions?.subarray(i * 3, i * 3 + 3);
          if ((pos && pos.every(Number.isFinite)) || keep.has(normLabel(c.label))) list.push(i);
        });
        if (!list.length) throw new InputError(`no channel has a position (channels ${s.channels.slice(0, 8).map((c) => c.label).join(', ')}…); run AssignChannelLocations before this node`, ctx.nodeId);
        idx = Int32Array.from(list);
        cache.set(s, idx);
      }
      return idx;
    };
    return {
      process(inputs) {
        const out = mapChunks(inputs.data, [WITH_SPACE], (c) => {
          const d = spaceIndex(c);
          const idx = kept(c.block.axes[d] as SpaceAxis);
          return idx.length === c.block.shape[d] ? c : { block: selectAlong(c.block, d, idx), props: c.props };
        });
        return out ? { data: out } : undefined;
      },
      reset() {},
    };
  },
};

/** This module's classes, most used first (registered by nodes/index.ts). */
export const NP_SOURCE_LOCALIZATION: NodeClass[] = [assignChannelLocations, removeUnlocalizedChannels];
