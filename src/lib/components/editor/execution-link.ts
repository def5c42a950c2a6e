// The editor's end of the execution channel (api/execution-channel.ts): opens an execution's
// document, hears every change any writer makes to it (the REST API, another editor), and sends
// the editor's edits as whole documents through the engine's live-change path. Main thread.
import { EXECUTION_CHANNEL, WATCH_TTL_MS, type ChannelEvent, type ChannelRequest } from '../../api/execution-channel';
import type { PipelineDocument } from '../../engine/index';

export type ExecutionReport = Extract<ChannelEvent, { type: 'report' }>;
export type ReplaceResult = { ok: true; doc: PipelineDocument | null } | { ok: false; message: string };

export class ExecutionLink {
  private readonly channel = new BroadcastChannel(EXECUTION_CHANNEL);
  private readonly pending = new Map<string, (e: Extract<ChannelEvent, { type: 'reply' }>) => void>();
  private readonly watcherId = crypto.randomUUID();
  private watchTimer: ReturnType<typeof setInterval> | null = null;
  private onReport: ((r: ExecutionReport) => void) | null = null;

  constructor(
    readonly executionId: number,
    private readonly onChanged: (doc: PipelineDocument | null) => void,
  ) {
    this.channel.onmessage = (ev: MessageEvent) => {
      const m = ev.data as ChannelEvent | null;
      if (!m || typeof m !== 'object') return;
      if (m.type === 'reply') this.pending.get(m.requestId)?.(m);
      else if (m.type === 'changed' && m.executionId === this.executionId) this.onChanged(m.doc);
      else if (m.type === 'report' && m.executionId === this.executionId) this.onReport?.(m);
    };
  }

  private request(m: { type: 'get'; executionId: number } | { type: 'replace'; executionId: number; doc: PipelineDocument }, timeoutMs = 5000): Promise<Extract<ChannelEvent, { type: 'reply' }>> {
    const requestId = crypto.randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new Error(`the engine did not answer for execution ${this.executionId} within ${timeoutMs} ms; is a Neurotab tab hosting the engine?`));
      }, timeoutMs);
      this.pending.set(requestId, (e) => {
        clearTimeout(timer);
        this.pending.delete(requestId);
        resolve(e);
      });
      this.channel.postMessage({ ...m, requestId } as ChannelRequest);
    });
  }

  /** The execution's document now (null: nothing loaded). */
  async get(): Promise<PipelineDocument | null> {
    const r = await this.request({ type: 'get', executionId: this.executionId });
    if (!r.ok) throw new Error(r.message);
    return r.doc;
  }

  async replace(doc: PipelineDocument): Promise<ReplaceResult> {
    const r = await this.request({ type: 'replace', executionId: this.executionId, doc });
    return r.ok ? { ok: true, doc: r.doc } : { ok: false, message: r.message };
  }

  /** Asks for the execution's 10 Hz reports (metrics, logs, errors, edge previews), renewing the watch until close(). */
  watch(onReport: (r: ExecutionReport) => void): void {
    this.onReport = onReport;
    const renew = () => this.channel.postMessage({ type: 'watch', watcherId: this.watcherId, executionId: this.executionId } satisfies ChannelRequest);
    renew();
    this.watchTimer ??= setInterval(renew, WATCH_TTL_MS / 3);
  }

  close(): void {
    if (this.watchTimer) clearInterval(this.watchTimer);
    this.channel.postMessage({ type: 'unwatch', watcherId: this.watcherId } satisfies ChannelRequest);
    this.pending.clear();
    this.channel.close();
  }
}
