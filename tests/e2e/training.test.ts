// The training page in Chromium: import S001R04/R08/R12.edf (left/right fist imagery, T1/T2) on
// /recordings, train a CSP+LDA experiment and a short EEGNet run in the training worker, see the
// live curves, the cross-validated metrics and the backend; a bad class mapping is refused before
// training; and the zero-hardware demo: eyes open/closed on the synthetic device, recorded with
// markers on Live, classified by CSP+LDA, deployed on the live synthetic stream (the prediction
// follows the eyes-closed switch). Prints the browser's EEGNet ms/epoch and inference p50/p99 (reported, not asserted).
import { describe, expect, it } from 'vitest';
import { openApp, screenshot, useApp } from './harness';
import { sharedPath, needsShared } from '../support/shared';

const fx = useApp();

describe('training page', needsShared, () => {
  it('trains CSP+LDA and EEGNet on imported EDFs and shows metrics', async () => {
    const page = await openApp(fx.context, fx.server.url, '/recordings');
    for (const f of ['S001R04', 'S001R08', 'S001R12']) {
      await page.setInputFiles('[data-testid="import-input"]', sharedPath(`data/edf/${f}.edf`));
      await page.locator('[data-testid="recording-row"]', { hasText: `${f}.edf` }).first().waitFor({ timeout: 60_000 });
    }

    await page.click('nav a[href="/training"]');
    await page.locator('h1', { hasText: 'Training' }).waitFor();
    await expect.poll(() => page.locator('[data-testid="tf-backend"]').textContent(), { timeout: 30_000 }).toMatch(/backend: (webgpu|webgl|cpu)/);
    const backend = (await page.locator('[data-testid="tf-backend"]').textContent())!.replace(/.*backend: /, '').trim();
    await page.locator('[data-testid="training-recordings"] label', { hasText: 'S001R04.edf' }).first().locator('input').check();
    await page.locator('input[data-marker="T1"]').fill('left');

    // One class only: the button stays disabled (at least two classes are needed).
    expect(await page.locator('[data-testid="train-button"]').isDisabled()).toBe(true);
    await page.locator('input[data-marker="T2"]').fill('right');

    // CSP + LDA (classic recipe, in the worker).
    await page.fill('[data-testid="experiment-name"]', 'mi-csp');
    await page.selectOption('[data-testid="experiment-type"]', 'motor_imagery_csp_lda');
    await page.click('[data-testid="train-button"]');
    const metrics = page.locator('[data-testid="training-metrics"]');
    await metrics.waitFor({ timeout: 60_000 });
    expect(await page.locator('[data-testid="fold-scores"] .fold').count()).toBe(5);
    const cm = page.locator('[data-testid="confusion-matrix"] tbody td');
    expect(await cm.count()).toBe(4);
    const cells = (await cm.allTextContents()).map(Number);
    expect(cells.reduce((a, b) => a + b, 0)).toBe(15); // S001R04: 15 T1/T2 epochs (45 over R04, R08, R12)
    expect(await page.locator('[data-testid="cv-mean"]').textContent()).toMatch(/accuracy\s*[\d.]+ %/);
    await screenshot(page, 'training-csp-lda');

    // A short EEGNet run on 8 motor channels of the three runs (45 epochs): live curves, then metrics.
    // With R04 alone (7 + 8 epochs) two folds leave too few trials: refused before training.
    await page.fill('[data-testid="experiment-name"]', 'mi-eegnet');
    await page.selectOption('[data-testid="experiment-type"]', 'eegnet');
    await page.fill('[data-testid="deep-epochs"]', '3');
    await page.fill('[data-testid="cv-folds"]', '2');
    await page.fill('[data-testid="channels"]', 'C3.., Cz.., C4.., Cp3., Cp4., Fc3., Fc4., C1..');
    await page.click('[data-testid="train-button"]');
    await expect.poll(() => page.locator('[data-testid="train-error"]').textContent().catch(() => ''), { timeout: 60_000 }).toMatch(/class "(left|right)" has \d epochs, at least 9 are needed/);
    expect(await page.locator('[data-testid="training-curves"]').getAttribute('data-epochs')).toBe('0');
    for (const f of ['S001R08', 'S001R12']) await page.locator('[data-testid="training-recordings"] label', { hasText: `${f}.edf` }).first().locator('input').check();
    await page.click('[data-testid="train-button"]');
    await expect.poll(async () => Number(await page.locator('[data-testid="training-curves"]').getAttribute('data-epochs')), { timeout: 180_000 }).toBeGreaterThan(0);
    await page.locator('[data-testid="run-timings"]', { hasText: 'eegnet' }).waitFor({ timeout: 300_000 });
    const timings = (await page.locator('[data-testid="run-timings"]').textContent()) ?? '';
    expect(timings).toMatch(/ms per training epoch/);
    expect(timings).toMatch(/inference \(\w+\) p50 [\d.]+ ms, p99 [\d.]+ ms/);
    expect(await page.locator('[data-testid="fold-scores"] .fold').count()).toBe(2);
    console.log(`[chromium ${backend}] ${timings.replace(/\s+/g, ' ').trim()}`);
    await page.waitForTimeout(300);
    await screenshot(page, 'training-eegnet');

    // The benchmark figure: one EEGNet epoch on all 64 channels of the 45 S001 epochs (no CV).
    await page.fill('[data-testid="experiment-name"]', 'mi-eegnet-64');
    await page.fill('[data-testid="deep-epochs"]', '2');
    await page.fill('[data-testid="cv-folds"]', '0');
    await page.fill('[data-testid="channels"]', '');
    await page.click('[data-testid="train-button"]');
    await page.locator('[data-testid="run-timings"]', { hasText: 'mi-eegnet-64' }).or(page.locator('[data-testid="training-metrics"]', { hasText: 'No cross-validation' })).first().waitFor({ timeout: 300_000 });
    const t64 = (await page.locator('[data-testid="run-timings"]').textContent()) ?? '';
    expect(t64).toMatch(/ms per training epoch/);
    console.log(`[chromium ${backend}, 45 × 64 ch × 161] ${t64.replace(/\s+/g, ' ').trim()}`);

    // The runs were saved in IndexedDB and are listed.
    const saved = page.locator('[data-testid="saved-experiments"]');
    await expect.poll(() => saved.textContent()).toContain('mi-eegnet');
    expect(await saved.textContent()).toContain('mi-csp');
    // After a reload (new worker), the saved CSP+LDA run loads back from IndexedDB with its metrics.
    await page.reload();
    await page.locator('[data-testid="saved-experiments"] tr', { hasText: 'mi-csp' }).waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="saved-experiments"] tr', { hasText: 'mi-csp' }).locator('button', { hasText: 'Load' }).click();
    await page.locator('[data-testid="run-timings"]', { hasText: 'motor_imagery_csp_lda' }).waitFor({ timeout: 30_000 });
    expect((await page.locator('[data-testid="confusion-matrix"] tbody td').allTextContents()).map(Number).reduce((a, b) => a + b, 0)).toBe(15);

    // Deploying the saved EEGNet run (loaded by the engine worker, TensorFlow.js) on the synthetic
    // stream: 16 channels at 250 Hz against a model of 160 Hz EDF channels — refused, saying why.
    const savedRow = (name: string) => page.locator('[data-testid="saved-experiments"] tr').filter({ has: page.getByRole('cell', { name, exact: true }) });
    await savedRow('mi-eegnet').locator('button', { hasText: 'Load' }).click();
    await page.locator('[data-testid="run-timings"]', { hasText: 'eegnet' }).waitFor({ timeout: 30_000 });
    await page.click('[data-testid="start-synthetic-deploy"]');
    await expect.poll(() => page.locator('[data-testid="deploy-error"]').textContent().catch(() => ''), { timeout: 60_000 }).toMatch(/runs at 250 Hz; the model was trained at 160 Hz/);
    // Refused before anything runs: the headline, the pill and the Stop button all say so, with what to do.
    expect(await page.locator('[data-testid="live-prediction"]').getAttribute('data-state')).toBe('failed');
    expect(await page.locator('[data-testid="live-class"]').textContent()).toMatch(/cannot predict/);
    expect(await page.locator('[data-testid="deploy-pill"]').textContent()).toBe('not running');
    expect(await page.locator('[data-testid="deploy-error"]').textContent()).toMatch(/Deploy a model trained on recordings of this stream/);
    expect(await page.locator('[data-testid="deploy-advice"]').textContent()).toMatch(/Nothing is running/);
    expect(await page.locator('[data-testid="stop-deploy"]').isDisabled()).toBe(true);
    await screenshot(page, 'training-deploy-mismatch');
    await page.close();
  }, 600_000);
});

describe('training page with fNIRS recordings', needsShared, () => {
  it('offers fnirs_classification for a SNIRF import, trains task vs rest and shows its metrics; lists rejected TF.js backends', async () => {
    const page = await openApp(fx.context, fx.server.url, '/recordings');
    await page.setInputFiles('[data-testid="import-input"]', sharedPath('data/snirf/neuro_run01.snirf'));
    await page.locator('[data-testid="recording-row"]', { hasText: 'neuro_run01.snirf' }).first().waitFor({ timeout: 60_000 });
    await page.click('nav a[href="/training"]');
    await page.locator('h1', { hasText: 'Training' }).waitFor();
    // The backends TensorFlow.js did not use, and why, in visible text (at least wasm: no training kernels).
    await page.locator('[data-testid="tf-rejected"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-testid="tf-rejected"]').textContent()).toMatch(/wasm not used: no gradient kernels/);
    const rec = page.locator('[data-testid="training-recordings"] label', { hasText: 'neuro_run01.snirf' }).first();
    expect(await rec.textContent()).toMatch(/fNIRS · 18 ch/);
    await rec.locator('input').check();
    // Only the fNIRS type is offered, with its options.
    const options = await page.locator('[data-testid="experiment-type"] option').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value));
    expect(options).toEqual(['fnirs_classification']);
    expect(await page.locator('[data-testid="experiment-type"]').inputValue()).toBe('fnirs_classification');
    await page.locator('[data-testid="fnirs-features"]').waitFor();
    // The import kept the probe geometry: distances come from it, no distance is asked for.
    await page.locator('[data-testid="fnirs-probe-distances"]').waitFor();
    expect(await page.locator('[data-testid="fnirs-distance"]').count()).toBe(0);
    // Six stimuli ("1" ×4, "2" ×2): both are "task", task-free windows are "rest".
    await page.locator('input[data-marker="1"]').fill('task');
    expect(await page.locator('[data-testid="train-button"]').isDisabled()).toBe(true);
    await page.fill('[data-testid="rest-class"]', 'rest');
    await page.locator('input[data-marker="2"]').fill('task');
    await page.fill('[data-testid="experiment-name"]', 'fnirs-task-rest');
    await page.fill('[data-testid="cv-folds"]', '3');
    await page.click('[data-testid="train-button"]');
    await page.locator('[data-testid="run-timings"]', { hasText: 'fnirs_classification' }).waitFor({ timeout: 60_000 });
    expect(await page.locator('[data-testid="fold-scores"] .fold').count()).toBe(3);
    expect(await page.locator('[data-testid="training-metrics"]').textContent()).toMatch(/trials × classes\s*12 × 2/);
    expect((await page.locator('[data-testid="confusion-matrix"] tbody td').allTextContents()).map(Number).reduce((a, b) => a + b, 0)).toBe(12);
    const acc = (await page.locator('[data-testid="cv-mean"]').textContent()) ?? '';
    console.log(`[fnirs neuro_run01 task vs rest, 3-fold, in Chromium] ${acc.replace(/\s+/g, ' ')}`);
    await page.locator('[data-testid="hemodynamic-response"]').waitFor();
    // Not deployable on the live EEG stream: no deploy panel for this run.
    expect(await page.locator('[data-testid="deploy-panel"]').count()).toBe(0);
    await page.waitForTimeout(300);
    await screenshot(page, 'training-fnirs');
    await page.close();
  }, 180_000);
});

describe('training page without shared data', () => {
  it('zero-hardware demo: record eyes open / closed on the synthetic device, train CSP+LDA, deploy it, the live prediction follows the eyes', async () => {
    const page = await openApp(fx.context, fx.server.url, '/');
    await page.click('[data-testid="start-stream"]');
    await page.waitForSelector('[data-testid="stop-stream"]');
    await page.fill('[data-testid="recording-name"]', 'Eyes demo');
    await page.click('[data-testid="start-recording"]');
    await page.waitForSelector('[data-testid="stop-recording"]');
    const eyes = page.locator('[data-testid="eyes-closed"]');
    const mark = async (value: string) => {
      await page.fill('[data-testid="marker-text"]', value);
      await page.click('[data-testid="add-marker"]');
    };
    for (let i = 0; i < 8; i++) {
      await eyes.check();
      await mark('closed');
      await page.waitForTimeout(2000);
      await eyes.uncheck();
      await mark('open');
      await page.waitForTimeout(2000);
    }
    await page.click('[data-testid="stop-recording"]');
    await page.waitForSelector('[data-testid="start-recording"]');
    await page.click('[data-testid="stop-stream"]');

    await page.click('nav a[href="/training"]');
    await page.locator('[data-testid="training-recordings"] label', { hasText: 'Eyes demo' }).first().locator('input').check();
    await page.locator('input[data-marker="open"]').fill('open');
    await page.locator('input[data-marker="closed"]').fill('closed');
    await page.fill('[data-testid="experiment-name"]', 'eyes');
    await page.selectOption('[data-testid="experiment-type"]', 'motor_imagery_csp_lda');
    await page.locator('.pair input').nth(0).fill('0.3');
    await page.locator('.pair input').nth(1).fill('1.8');
    await page.locator('.pair input').nth(2).fill('8');
    await page.locator('.pair input').nth(3).fill('12');
    await page.fill('[data-testid="cv-folds"]', '4');
    await page.click('[data-testid="train-button"]');
    await page.locator('[data-testid="run-timings"]', { hasText: 'motor_imagery_csp_lda' }).waitFor({ timeout: 60_000 });
    const text = (await page.locator('[data-testid="cv-mean"]').textContent()) ?? '';
    const acc = Number(/([\d.]+) %/.exec(text)?.[1]);
    console.log(`[eyes demo] cross-validated accuracy ${acc} % (chance 50 %)`);
    expect(acc).toBeGreaterThanOrEqual(80);
    await page.waitForTimeout(300);
    await screenshot(page, 'training-eyes-demo');

    // Deploy: the stream was stopped, so the page says so and offers to start the synthetic device.
    const panel = page.locator('[data-testid="deploy-panel"]');
    await panel.locator('[data-testid="no-stream"]').waitFor();
    await screenshot(page, 'training-deploy-no-stream');
    await page.click('[data-testid="start-synthetic-deploy"]');
    const live = page.locator('[data-testid="live-prediction"]');
    await expect.poll(() => live.getAttribute('data-status'), { timeout: 30_000 }).toBe('running');
    await expect.poll(async () => Number(await live.getAttribute('data-predictions')), { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await live.getAttribute('data-state')).toBe('predicting');
    expect(await page.locator('[data-testid="deploy-pill"]').textContent()).toBe('predicting');
    // The live prediction follows the synthetic device's eyes-closed switch, both ways, twice.
    const switchEyes = page.locator('[data-testid="deploy-eyes-closed"]');
    for (let round = 0; round < 2; round++) {
      await switchEyes.check();
      await expect.poll(() => live.getAttribute('data-class'), { timeout: 15_000 }).toBe('closed');
      // it stays there (every prediction of the next second and a half)
      const seen = new Set<string | null>();
      for (let i = 0; i < 6; i++) {
        await page.waitForTimeout(250);
        seen.add(await live.getAttribute('data-class'));
      }
      expect([...seen]).toEqual(['closed']);
      if (round === 1) await screenshot(page, 'training-live-prediction-closed');
      await switchEyes.uncheck();
      await expect.poll(() => live.getAttribute('data-class'), { timeout: 15_000 }).toBe('open');
    }
    expect(await page.locator('[data-testid="live-history"] .cell').count()).toBeGreaterThan(10);
    expect(await page.locator('[data-testid="live-probabilities"] .bar-row').count()).toBe(2);
    const latency = (await page.locator('[data-testid="predict-latency"]').textContent()) ?? '';
    const [, p50, p99] = /([\d.]+) ms per prediction \(p99 ([\d.]+) ms\)/.exec(latency) ?? [];
    console.log(`[eyes demo, deployed] ${Number(await live.getAttribute('data-predictions'))} live predictions in Chromium's engine worker: p50 ${p50} ms, p99 ${p99} ms per window (target p99 < 10 ms)`);
    expect(Number(p50)).toBeGreaterThan(0);
    await page.waitForTimeout(300);
    await screenshot(page, 'training-live-prediction');

    // Stop ends the deployment; the stream keeps running (the Live page still owns it).
    await page.click('[data-testid="stop-deploy"]');
    await expect.poll(() => live.getAttribute('data-status'), { timeout: 10_000 }).toBe('stopped');
    expect(await live.getAttribute('data-state')).toBe('stopped');
    expect(await page.locator('[data-testid="deploy-pill"]').textContent()).toBe('stopped');
    expect(await page.locator('[data-testid="deploy-advice"]').textContent()).toMatch(/Last prediction: (open|closed)\. Deploy again/);
    expect(await page.locator('[data-testid="deploy-button"]').isEnabled()).toBe(true);
    await screenshot(page, 'training-deploy-stopped');

    // Deployed again, then the stream stops under it (Live page): the card says the stream stopped.
    await page.click('[data-testid="deploy-button"]');
    await expect.poll(() => live.getAttribute('data-state'), { timeout: 30_000 }).toBe('predicting');
    await page.click('nav a[href="/"]');
    await page.click('[data-testid="stop-stream"]');
    await page.waitForSelector('[data-testid="start-stream"]');
    await page.click('nav a[href="/training"]');
    await expect.poll(() => page.locator('[data-testid="live-prediction"]').getAttribute('data-state'), { timeout: 10_000 }).toBe('stream-stopped');
    expect(await page.locator('[data-testid="deploy-pill"]').textContent()).toBe('stream stopped');
    expect(await page.locator('[data-testid="deploy-advice"]').textContent()).toMatch(/live stream stopped/);
    await page.locator('[data-testid="no-stream"]').waitFor();
    await screenshot(page, 'training-deploy-stream-stopped');
    await page.close();
  }, 240_000);
});

describe('ExperimentHub API experiments on the Training page', () => {
  it("the seed's time_series example sent without data: the page says why it has no model and how to send data, then shows it ready", async () => {
    const page = await openApp(fx.context, fx.server.url, '/training');
    const call = (path: string, body: unknown) =>
      page.evaluate(async ([p, b]) => (await fetch(p as string, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(b) })).status, [path, body] as const);
    const config = { setup: { target: 'value', ds: 'ds' }, create_model: { model_type: 'Prophet', params: { seasonality_mode: 'multiplicative', daily_seasonality: true } } };
    expect(await call('/exphub/create_experiment/my_experiment/time_series', config)).toBe(200);
    expect(await call('/exphub/my_experiment/train', config)).toBe(200);
    const row = page.locator('[data-testid="api-experiment"][data-name="my_experiment"]');
    await expect.poll(() => row.locator('[data-testid="api-experiment-reason"]').textContent().catch(() => ''), { timeout: 15_000 }).toMatch(
      /^the last training of my_experiment failed: no data to learn from: the queue "my_experiment" is empty\. POST a DataFrame .* to \/exphub\/publish\/my_experiment /,
    );
    await screenshot(page, 'training-api-experiment-without-data');
    // Three weeks of hourly values with a daily cycle, published, then trained again.
    const frame = Array.from({ length: 24 * 21 }, (_, h) => ({ ds: new Date(Date.UTC(2024, 0, 1) + h * 3_600_000).toISOString(), value: 10 + h / 100 + 2 * Math.sin((2 * Math.PI * h) / 24) }));
    expect(await call('/exphub/publish/my_experiment', frame)).toBe(200);
    expect(await call('/exphub/my_experiment/train', config)).toBe(200);
    await expect.poll(() => row.textContent(), { timeout: 30_000 }).toContain('ready · plots forecast, components');
    await page.close();
  });
});
