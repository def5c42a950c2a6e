// Node registry: every node class with its metadata, looked up by type id ("filter.iir") or by
// NeuroPype class name ("IIRFilter"). The single source for the API node-class endpoints, the
// editor palette and `neurotab nodes`. Runs anywhere; holds no per-execution state.
import { InputError } from '../core/errors';
import { findParam, neuropypePortType, neuropypeValueDomain, neuropypeValueType } from './params';
import type { PypResolver } from '../formats/pyp';
import { acceptsOf } from './graph';
import { describeQueries } from './shapes';
import type { DataKind, NodeClass } from './types';

export interface PackageInfo {
  id: string;
  title: string;
  description: string;
}

/** Our packages (categories). NeuroPype's own package names live in each class's `neuropype` alias. */
export const PACKAGES: PackageInfo[] = [
  { id: 'io', title: 'Input / output', description: 'Device streams (rings), recordings, markers, probes.' },
  { id: 'filters', title: 'Filters', description: 'IIR, FIR, notch, moving average, DC removal, resampling, decimation.' },
  { id: 'channels', title: 'Channels', description: 'Channel selection, re-referencing, bipolar derivations.' },
  { id: 'time', title: 'Time', description: 'Sliding windows, segmentation around markers, baseline removal.' },
  { id: 'spectral', title: 'Spectral', description: 'Welch PSD, band power, FFT magnitude, spectrogram.' },
  { id: 'math', title: 'Element-wise and statistics', description: 'Variance, log, abs, scale, clip, mean, z-score, threshold.' },
  { id: 'markers', title: 'Markers', description: 'Select, rename and label marker events.' },
  { id: 'ml', title: 'Machine learning', description: 'Trainable nodes (calibration from labelled markers).' },
  { id: 'workflow', title: 'Workflow', description: 'Pipeline parameters (ParameterPort).' },
  { id: 'compat', title: 'NeuroPype compatibility', description: 'Pass-through and display nodes so existing .pyp pipelines load: StreamData, DejitterTimestamps, plots, PrintToConsole.' },
];

/** JSON view of a class's metadata (no factory), for `neurotab nodes --json`, the API and the editor. */
export interface NodeClassInfo {
  type: string;
  package: string;
  title: string;
  doc: string;
  version: string;
  trainable: boolean;
  source: boolean;
  neuropype: NodeClass['neuropype'] | null;
  /** Further NeuroPype class names this class answers to. */
  neuropypeAliases: string[];
  /** `accepts`: the chunks the port works on, in words (with the default parameters); `hint`: what to change when data does not fit. */
  inputs: { name: string; title: string; accepts: string; hint: string | null; optional: boolean; doc: string }[];
  /** `value`: a plain value for parameters (ParameterPort), not packets. */
  outputs: { name: string; title: string; value: boolean; doc: string }[];
  params: {
    name: string;
    title: string;
    type: string;
    default: unknown;
    unit: string | null;
    domain: unknown;
    nullable: boolean;
    live: boolean;
    aliases: string[];
    /** Used only when the data input carries one of these kinds (null: always). */
    input_kinds: DataKind[] | null;
    doc: string;
    /** NeuroPype vocabulary. */
    value_type: string;
    port_type: string;
    value_domain: (number | string)[] | null;
  }[];
}

export class NodeRegistry {
  private readonly byType = new Map<string, NodeClass>();
  private readonly byAlias = new Map<string, NodeClass>();

  register(cls: NodeClass): void {
    if (this.byType.has(cls.type)) throw new Error(`node class ${cls.type} registered twice`);
    this.byType.set(cls.type, cls);
    if (cls.neuropype) {
      this.byAlias.set(cls.neuropype.class, cls);
      this.byAlias.set(cls.neuropype.module, cls);
    }
    for (const a of cls.neuropypeAliases ?? []) this.byAlias.set(a, cls);
  }

  /** By type id, NeuroPype class name (case-sensitive) or fully qualified NeuroPype module. */
  find(name: string): NodeClass | undefined {
    return this.byType.get(name) ?? this.byAlias.get(name);
  }

  get(name: string, where?: string): NodeClass {
    const cls = this.find(name);
    if (!cls) throw new InputError(`unknown node type "${name}"; run "neurotab nodes" for the list`, where);
    return cls;
  }

  list(pkg?: string): NodeClass[] {
    return [...this.byType.values()].filter((c) => pkg === undefined || c.package === pkg);
  }

  packages(): (PackageInfo & { nodeCount: number })[] {
    return PACKAGES.map((p) => ({ ...p, nodeCount: this.list(p.id).length })).filter((p) => p.nodeCount > 0);
  }

  info(name: string): NodeClassInfo {
    return classInfo(this.get(name));
  }
}

function defaults(cls: NodeClass): Record<string, unknown> {
  return Object.fromEntries(cls.params.map((p) => [p.name, p.default]));
}

export function classInfo(cls: NodeClass): NodeClassInfo {
  return {
    type: cls.type,
    package: cls.package,
    title: cls.title,
    doc: cls.doc,
    version: cls.version,
    trainable: cls.trainable ?? false,
    source: cls.source ?? false,
    neuropype: cls.neuropype ?? null,
    neuropypeAliases: (cls.neuropypeAliases ?? []).filter((a) => !a.includes('.')),
    inputs: cls.inputs.map((p, i) => ({
      name: p.name,
      title: p.title,
      accepts: describeQueries(acceptsOf(p, defaults(cls))),
      hint: p.hint ?? null,
      optional: p.optional ?? i > 0,
      doc: p.doc,
    })),
    outputs: cls.outputs.map((p) => ({ name: p.name, title: p.title, value: p.value ?? false, doc: p.doc })),
    params: cls.params.map((p) => ({
      name: p.name,
      title: p.title,
      type: p.type,
      default: p.default,
      unit: p.unit ?? null,
      domain: p.domain ? (p.domain as readonly (number | string)[]).map((v) => (v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v)) : null,
      nullable: p.nullable ?? false,
      live: p.live ?? true,
      aliases: p.aliases ?? [],
      input_kinds: p.inputKinds ?? null,
      doc: p.doc,
      value_type: neuropypeValueType(p),
      port_type: neuropypePortType(p),
      value_domain: neuropypeValueDomain(p),
    })),
  };
}

/** .pyp class/parameter names through the registry's NeuroPype aliases. */
export function registryResolver(registry: NodeRegistry): PypResolver {
  return {
    nodeType: (npClass, npModule) => (registry.find(npClass) ?? registry.find(npModule))?.type,
    paramName: (type, npParam) => {
      const cls = registry.find(type);
      return cls ? findParam(cls, npParam)?.name : undefined;
    },
    neuropype: (type) => {
      const np = registry.find(type)?.neuropype;
      return np ? { class: np.class, module: np.module } : undefined;
    },
    portType: (type, param) => {
      const cls = registry.find(type);
      const spec = cls ? findParam(cls, param) : undefined;
      return spec ? neuropypePortType(spec) : 'Port';
    },
    parameters: (type) => (registry.find(type)?.params ?? []).map((p) => ({ name: p.name, portType: neuropypePortType(p), default: p.default })),
  };
}
