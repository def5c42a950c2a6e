// Public surface of the signal engine (pipelines as graphs of nodes, online and offline).
// Runs in the engine worker and in Node (CLI, API bridge, tests); never imports Svelte or storage.
//
// How the API / worker drives it:
//
//   const ex = new Execution(builtinRegistry(), { info: { logLevel: 20, errorMode: 'ignore', tickRateHz: 25 } });
//   ex.load(doc);                       // PipelineError (issues: [{path, nodeId, message}]) → nothing changes
//   ex.bind('in', { descriptor, reader });        // io.stream-input ← RingReader (+ its StreamDescriptor)
//   ex.bind('out', ringWriter);                   // io.stream-output → RingWriter (anything with push())
//   ex.bind('rec', recordingData);                // io.recording-input / io.import-file ← formats' RecordingData
//   ex.pushMarkers('mk', [{ timestampMs, value }]); // io.marker-input
//   ex.play(); await ex.runOnline(abortSignal);   // online: processes as soon as data arrives
//   ex.runOffline({ onProgress });                // offline: whole recordings, then flush; two-pass calibration
//   ex.pause() / resume() / stop(); ex.state()    // NeuroPype ExecutionState {running, paused, …, status}
//   ex.getParam(id, name); ex.setParam(id, name, value)   // live; InputError when invalid → running node untouched
//   ex.configure({ portname: value })             // ParameterPort values (all-or-nothing); returns {ignored}
//   ex.addNode / removeNode / addEdge / removeEdge / edit(fn)   // live graph edits, validated by recompiling
//   ex.logs(fromId) / errors(fromId) / metrics() / peek(nodeId) / tap(nodeId, port, fn)
//   ex.fit(nodeId?) / exportModels() / importModels() / clearCalibration()   // trainable nodes
//   ex.keepalive() / setNeedsKeepalive(true)                    // 5 s watchdog (API.md §7.5)
//
// Live edits (setParam, configure, add/remove node/edge, edit) recompile the document, keep the
// instances (and state) of unchanged nodes, and dry-run the changed nodes plus everything downstream
// on data shaped like what they receive: any problem → PipelineError/InputError, nothing changes.
// load() drops bindings: bind the new graph's source/sink nodes after each load.
//
// Data model (docs/packets.md): packets of named chunks, each an n-dimensional block with typed axes
// (axes.ts, block.ts, packet.ts); ports accept chunks by their axes and flags, output ports declare
// static shapes, and the compiler checks every edge at load (shapes.ts, graph.ts). Packet contract
// (packet.ts): a packet is valid only during the step that delivers it (sources and nodes reuse
// buffers); nodes never mutate inputs; taps must copy (copyPacket).
//
// NeuroPype vocabulary: every NodeClass may carry `neuropype: {class, module, package}` and extra
// `neuropypeAliases` (registry.find accepts the class name, e.g. "IIRFilter", "ImportEDF"); parameter
// names are NeuroPype's port names; compat.* classes (StreamData, DejitterTimestamps, plots,
// PrintToConsole) accept and ignore GUI parameters (`lenientParams`); `classInfo()`
// adds value_type ('builtins.float'), port_type ('FloatPort') and value_domain per parameter.
// Node ids are strings in documents; map NeuroPype integer ids in the API layer.

export * from './types';
export {
  PIPELINE_FORMAT,
  PIPELINE_VERSION,
  PipelineError,
  emptyPipeline,
  formatIssue,
  migrateDocument,
  parsePipelineDocument,
  pipelineDocumentSchema,
  type PipelineDocument,
  type PipelineDocumentInput,
  type PipelineEdge,
  type PipelineIssue,
  type PipelineNode,
} from './document';
export { checkParam, findParam, neuropypePortType, neuropypeValueDomain, neuropypeValueType, resolveParams } from './params';
export { NodeRegistry, PACKAGES, classInfo, registryResolver, type NodeClassInfo, type PackageInfo } from './registry';
export { acceptsOf, arrivingKinds, arrivingShapes, propagateShapes, refusal, topologicalOrder, type ShapeIssue, type ShapeNode, type ShapeReport } from './graph';
export { compilePipeline, type ExecutionPlan, type PlanNode } from './compiler';
export {
  DEFAULT_EXECUTION_INFO,
  Execution,
  type ErrorMode,
  type ErrorRecord,
  type ExecutionInfo,
  type ExecutionOptions,
  type ExecutionState,
  type ExecutionStatus,
  type LogRecord,
  type NodeMetrics,
  type PacketTap,
} from './runtime';
export * from './axes';
export * from './block';
export * from './packet';
export * from './shapes';
export { ChunkModels, labelledCount, labelsOf } from './calibration';
export { BUILTIN_NODE_CLASSES, builtinRegistry, createBuiltinRegistry } from './nodes/index';
export { MarkerQueue, outputChunk, type InspectSnapshot } from './nodes/io';
